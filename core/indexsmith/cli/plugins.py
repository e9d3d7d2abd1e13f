"""``indexsmith plugins``, ``indexsmith components`` and ``indexsmith presets``."""

from __future__ import annotations

import json
from typing import Any

import click
from rich.table import Table

from indexsmith.cli.app import cli, plain_row, plugins_manager, stdout
from indexsmith.cli.reference import component_reference, reference_markdown
from indexsmith.components import STAGES


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def plugins(as_json: bool) -> None:
    """List plugins with their distribution, version and the components they provide."""
    manager = plugins_manager()
    rows = manager.describe()
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table("plugin", "distribution", "version", "components")
    for row in rows:
        provided = "; ".join(f"{kind}: {', '.join(names)}" for kind, names in row["components"].items())
        table.add_row(*plain_row(row["name"], row["distribution"] or "-", row["version"] or "-", provided))
    stdout.print(table)


@cli.command()
@click.option(
    "--kind",
    type=click.Choice([stage.kind for stage in STAGES]),
    help="Only this stage.",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option(
    "--markdown", is_flag=True, help="The definition-file reference in Markdown (docs/components.md)."
)
def components(kind: str | None, as_json: bool, markdown: bool) -> None:
    """List components with their params (type, default, help)."""
    manager = plugins_manager()
    rows = [component_reference(entry) for entry in manager.entries(kind)]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if markdown:
        click.echo(reference_markdown(rows), nl=False)
        return
    table = Table("stage", "name", "provided by", "params")
    for row in rows:
        params = (
            "\n".join(
                f"{p['name']}: {p['type']}"
                + (" (required)" if p["required"] else f" = {json.dumps(p['default'])}")
                for p in row["params"]
            )
            or "-"
        )
        table.add_row(
            *plain_row(
                row["kind"],
                row["name"],
                f"{row['distribution'] or row['plugin']} {row['version'] or ''}",
                params,
            )
        )
    stdout.print(table)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def presets(as_json: bool) -> None:
    """List the definitions shipped with indexsmith (use an id with 'build').

    A family preset builds all its indices; each index id builds that index alone."""
    from indexsmith.definition.model import IndexDefinition
    from indexsmith.definition.parse import parse_definition
    from indexsmith.definition.presets import preset_catalogue, read_preset

    manager = plugins_manager()
    rows: list[dict[str, Any]] = []
    for preset, (file_id, index_id) in sorted(
        preset_catalogue(manager).items(), key=lambda kv: (kv[1][0], kv[1][1] or "")
    ):
        raw, source = read_preset(preset, manager)
        definition, _ = parse_definition(raw, source)
        if isinstance(definition, IndexDefinition):
            definition = definition.to_family()
        if definition is None:
            continue
        whole = index_id is None
        rows.append(
            {
                "id": preset,
                "name": definition.name if whole else (definition.indices[0].name or preset),
                "file": file_id,
                "indices": [i.id for i in definition.indices],
            }
        )
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table("id", "name", "builds")
    for row in rows:
        family = row["id"] == row["file"]
        table.add_row(
            *plain_row(
                row["id"] if family else f"  {row['id']}",
                row["name"],
                f"{len(row['indices'])} indices" if family else f"from {row['file']}",
            )
        )
    stdout.print(table)
