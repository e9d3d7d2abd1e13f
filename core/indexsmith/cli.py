"""The ``indexsmith`` command line.

Errors caused by input print one line per problem on stderr and exit with status 1;
``--debug`` (or ``INDEXSMITH_DEBUG=1``) shows the traceback instead.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs
import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from indexsmith import __version__
from indexsmith.errors import IndexsmithError

stdout = Console(highlight=False)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)


class Main(click.Group):
    """Turns :class:`IndexsmithError` into one line per problem on stderr."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except IndexsmithError as exc:
            if ctx.meta.get("debug") or os.environ.get("INDEXSMITH_DEBUG") == "1":
                raise
            for line in exc.lines():
                click.echo(f"error: {line}", err=True)
            ctx.exit(1)


@click.group(cls=Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="indexsmith")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Define, build and analyse stock-market indices from pluggable methodology rules."""
    ctx.meta["debug"] = debug


def _plugins() -> Any:
    from indexsmith.plugins import Plugins

    return Plugins()


@contextmanager
def _progress(description: str) -> Iterator[Any]:
    """A rich progress bar on stderr; yields a callback ``(done, total, label)``."""
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[label]}"),
        TimeElapsedColumn(),
    )
    with Progress(
        *columns,
        console=stderr,
        transient=False,
        disable=not stderr.is_terminal and os.environ.get("INDEXSMITH_PROGRESS") != "1",
    ) as progress:
        task = progress.add_task(description, total=None, label="")

        def update(done: int, total: int, label: str) -> None:
            progress.update(task, completed=done, total=total, label=label)

        yield update


def _market(data: str | None, demo: str | None, calendar: str) -> Any:
    from indexsmith.demo import demo_market
    from indexsmith.errors import DataError, Problem
    from indexsmith.market import load_market

    if data and demo:
        raise DataError([Problem("--data and --demo are alternatives", hint="pass one of them")])
    if demo:
        return demo_market(demo, progress=lambda msg: stderr.print(f"[dim]{msg}[/dim]"))
    if not data:
        raise DataError(
            [Problem("no market data given", hint="pass --data DIR (see docs/data.md) or --demo small")]
        )
    return load_market(data, calendar=calendar)


@cli.command()
@click.argument("definition")
def validate(definition: str) -> None:
    """Check a definition file (or preset id) without reading any market data."""
    from indexsmith.definition import load

    methodology = load(definition, _plugins())
    d = methodology.definition
    names = ", ".join(
        f"{i.spec.id} ({'+'.join(i.buckets)}, {i.weighting.entry.name}{', ' + i.capping.entry.name if i.capping else ''})"
        for i in methodology.indices
    )
    click.echo(
        f"{methodology.source or definition}: valid — family '{d.id}' with {len(methodology.indices)} index(es): {names}"
    )


@cli.command()
@click.argument("definition")
@click.option("--data", type=click.Path(file_okay=False), help="Market-data directory (docs/data.md).")
@click.option(
    "--demo", type=click.Choice(["small", "full"]), help="Use the embedded demo market instead of --data."
)
@click.option("--out", required=True, type=click.Path(), help="Output folder (must be empty or new).")
@click.option("--overwrite", is_flag=True, help="Replace a non-empty output folder.")
@click.option(
    "--start",
    type=click.DateTime(["%Y-%m-%d"]),
    help="First effective date (default: the definition's, else the data's).",
)
@click.option("--end", type=click.DateTime(["%Y-%m-%d"]), help="Last effective date.")
def build(
    definition: str, data: str | None, demo: str | None, out: str, overwrite: bool, start: Any, end: Any
) -> None:
    """Build DEFINITION (a file or a preset id) on market data and write the results."""
    from indexsmith import build as build_index
    from indexsmith.definition import load
    from indexsmith.result import atomic_directory

    atomic_directory(Path(out), overwrite=overwrite)  # refuse a non-empty --out before any work
    methodology = load(definition, _plugins())
    market = _market(data, demo, methodology.definition.calendar)
    with _progress(f"building {methodology.definition.id}") as progress:
        result = build_index(
            methodology,
            market,
            start=start.date() if start else None,
            end=end.date() if end else None,
            progress=progress,
        )
    result.write(out, overwrite=overwrite)
    for index in result:
        counts = index.constituents.groupby("effective_date").size()
        click.echo(
            f"{index.index_id}: {len(counts)} reviews, {counts.min()}-{counts.max()} constituents -> {out}"
        )


@cli.command()
@click.argument("results", nargs=-1, required=True, type=click.Path())
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True
)
def compare(results: tuple[str, ...], fmt: str) -> None:
    """Compare built indices side by side: RESULTS are folders written by 'build' (a
    family folder stands for each of its indices). Statistics use the dates all share."""
    from indexsmith.compare import one_note, read_results, summary

    table, notes = summary(read_results(list(results)))
    for note in notes if fmt != "table" else one_note(notes):
        stderr.print(f"note: {note}")
    if fmt == "csv":
        click.echo(table.to_csv(index_label="statistic"), nl=False)
        return
    if fmt == "json":
        click.echo(table.to_json(orient="columns", date_format="iso", indent=2))
        return
    _print_comparison(table, "Index comparison")


@cli.command()
@click.argument("results", nargs=-1, required=True, type=click.Path())
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="HTML file to write.")
@click.option("--title", default="Index factsheet", show_default=True)
def report(results: tuple[str, ...], out: str, title: str) -> None:
    """Write a self-contained HTML factsheet (charts and tables) for built indices."""
    from indexsmith.compare import read_results
    from indexsmith.report import write

    loaded = read_results(list(results))
    path = write(loaded, out, title)
    click.echo(f"factsheet for {len(loaded)} indices -> {path}")


@cli.command()
@click.argument("definition")
@click.argument("security")
@click.option(
    "--date", "when", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Review in force on this date."
)
@click.option("--data", type=click.Path(file_okay=False), help="Market-data directory (docs/data.md).")
@click.option(
    "--demo", type=click.Choice(["small", "full"]), help="Use the embedded demo market instead of --data."
)
def explain(definition: str, security: str, when: Any, data: str | None, demo: str | None) -> None:
    """Why SECURITY (an id or a ticker) is in or out of DEFINITION's indices at the review in
    force on --date: the screen that excluded it, its rank and cumulative-cap position, its
    bucket and the band or buffer that kept it, and its weight."""
    from indexsmith.definition import load
    from indexsmith.explain import explain as explain_security

    methodology = load(definition, _plugins())
    market = _market(data, demo, methodology.definition.calendar)
    for line in explain_security(methodology, market, security, when.date()):
        click.echo(line)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def plugins(as_json: bool) -> None:
    """List plugins with their distribution, version and the components they provide."""
    manager = _plugins()
    rows = manager.describe()
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table("plugin", "distribution", "version", "components")
    for row in rows:
        provided = "; ".join(f"{kind}: {', '.join(names)}" for kind, names in row["components"].items())
        table.add_row(row["name"], row["distribution"] or "-", row["version"] or "-", provided)
    stdout.print(table)


def component_reference(entry: Any) -> dict[str, Any]:
    """A component's name, provider and params (type, default, help) as plain data."""
    attrs.resolve_types(entry.cls)
    params = []
    for field in attrs.fields(entry.cls):
        default = field.default
        if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            default = default.factory()
        params.append(
            {
                "name": field.alias or field.name,
                "type": _type_name(field.type),
                "required": field.default is attrs.NOTHING,
                "default": None if default is attrs.NOTHING else _plain(default),
                "help": field.metadata.get("help", ""),
            }
        )
    return {
        "kind": entry.kind,
        "name": entry.name,
        "aliases": list(entry.aliases),
        "plugin": entry.plugin.name,
        "distribution": entry.plugin.distribution,
        "version": entry.plugin.version,
        "summary": (entry.cls.__doc__ or "").strip().split("\n\n")[0].replace("\n", " "),
        "params": params,
    }


STAGE_TITLES = {
    "schedule": "Schedules",
    "screen": "Universe screens",
    "ranking": "Rankings",
    "bucketing": "Bucketings",
    "weighting": "Weightings",
    "capping": "Cappings",
}


def reference_markdown(rows: list[dict[str, Any]]) -> str:
    """The component reference page, generated from the component classes."""
    lines = [
        "# Component reference",
        "",
        "Generated by `indexsmith components --markdown` from the component classes; do not edit.",
        'Each component is chosen in a definition with `{ use = "name", params = { ... } }`.',
        "",
    ]
    for kind, title in STAGE_TITLES.items():
        chosen = [r for r in rows if r["kind"] == kind]
        if not chosen:
            continue
        lines += [f"## {title}", ""]
        for row in chosen:
            aliases = f" (alias: {', '.join(f'`{a}`' for a in row['aliases'])})" if row["aliases"] else ""
            lines += [f"### `{row['name']}`{aliases}", "", row["summary"], ""]
            if row["params"]:
                lines += ["| param | type | default | help |", "|---|---|---|---|"]
                for p in row["params"]:
                    default = "required" if p["required"] else f"`{json.dumps(p['default'])}`"
                    kind_text = p["type"].replace("|", "\\|")
                    lines.append(f"| `{p['name']}` | `{kind_text}` | {default} | {p['help']} |")
            else:
                lines.append("No params.")
            lines.append("")
    return "\n".join(lines)


def _type_name(tp: Any) -> str:
    if isinstance(tp, type):
        return tp.__name__
    return str(tp).replace("typing.", "").replace("indexsmith_plugins.", "")


def _plain(value: Any) -> Any:
    from indexsmith.definition import CONVERTER

    return CONVERTER.unstructure(value)


@cli.command()
@click.option(
    "--kind",
    type=click.Choice(["schedule", "screen", "ranking", "bucketing", "weighting", "capping"]),
    help="Only this stage.",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option(
    "--markdown", is_flag=True, help="The definition-file reference in Markdown (docs/components.md)."
)
def components(kind: str | None, as_json: bool, markdown: bool) -> None:
    """List components with their params (type, default, help)."""
    manager = _plugins()
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
            row["kind"], row["name"], f"{row['distribution'] or row['plugin']} {row['version'] or ''}", params
        )
    stdout.print(table)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def presets(as_json: bool) -> None:
    """List the definitions shipped with indexsmith (use an id with 'build').

    A family preset builds all its indices; each index id builds that index alone."""
    from indexsmith.definition import IndexDefinition, parse_definition, preset_catalogue, read_preset

    rows: list[dict[str, Any]] = []
    for preset, (file_id, index_id) in sorted(
        preset_catalogue().items(), key=lambda kv: (kv[1][0], kv[1][1] or "")
    ):
        raw, source = read_preset(preset)
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
            row["id"] if family else f"  {row['id']}",
            row["name"],
            f"{len(row['indices'])} indices" if family else f"from {row['file']}",
        )
    stdout.print(table)


@cli.group()
def market() -> None:
    """Market data: export the demo market, check a data directory."""


@market.command("export")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--size", type=click.Choice(["small", "full"]), default="small", show_default=True)
@click.option("--seed", type=int, default=None, help="Random seed (default: the demo's).")
@click.option("--format", "fmt", type=click.Choice(["parquet", "csv"]), default="parquet", show_default=True)
@click.option("--overwrite", is_flag=True, help="Replace a non-empty directory.")
def market_export(directory: str, size: str, seed: int | None, fmt: str, overwrite: bool) -> None:
    """Write the demo market to DIRECTORY in the documented format (docs/data.md)."""
    from indexsmith import demo
    from indexsmith.result import atomic_directory

    atomic_directory(Path(directory), overwrite=overwrite)  # refuse a non-empty folder before generating
    tables = demo.generate(size, demo.DEFAULT_SEED if seed is None else seed)
    demo.export(tables, directory, fmt=fmt, overwrite=overwrite)
    click.echo(
        f"wrote the {size} demo market to {directory}: "
        + ", ".join(f"{k} {len(v):,} rows" for k, v in tables.items())
    )


@market.command("calibration")
@click.option("--size", type=click.Choice(["small", "full"]), default="full", show_default=True)
@click.option(
    "--date", "dates", multiple=True, help="As-of date (repeatable; default: the calibration dates)."
)
def market_calibration(size: str, dates: tuple[str, ...]) -> None:
    """Print the demo market's calibration figures against their targets."""
    from indexsmith import demo

    market_data = demo.demo_market(size, progress=lambda msg: stderr.print(f"[dim]{msg}[/dim]"))
    dates = dates or demo.CALIBRATION_DATES
    figures = {d: demo.calibration(market_data, d) for d in dates}
    table = Table(title=f"{size} demo market calibration")
    table.add_column("figure")
    table.add_column("target", justify="right")
    for d in dates:
        table.add_column(str(d), justify="right")
    misses = 0
    for name, (lo, hi) in demo.CALIBRATION_TARGETS.items():
        cells = []
        for d in dates:
            value = figures[d][name]
            ok = lo <= value <= hi
            misses += not ok
            text = f"{value:.1%}" if hi <= 1 else f"{value:,.1f}" if hi < 100 else f"{value:,.0f}"
            cells.append(text if ok else f"[red]{text}[/red]")
        target = f"{lo:.0%}-{hi:.0%}" if hi <= 1 else f"{lo:,.0f}-{hi:,.0f}"
        table.add_row(name, target, *cells)
    stdout.print(table)
    stdout.print(
        "all figures within their targets" if not misses else f"{misses} figure(s) outside their targets"
    )


@market.command("check")
@click.argument("directory", type=click.Path())
@click.option("--calendar", default="XNYS", show_default=True)
def market_check(directory: str, calendar: str) -> None:
    """Validate a market-data directory and summarise it."""
    from indexsmith.market import load_market

    loaded = load_market(directory, calendar=calendar)
    click.echo(f"{directory}: valid — {loaded!r}; fingerprint {loaded.fingerprint()}")


@cli.command()
@click.option("--out", type=click.Path(), default="indexsmith-demo", show_default=True, help="Output folder.")
@click.option(
    "--size",
    type=click.Choice(["small", "full"]),
    default="full",
    show_default=True,
    help="Demo market: full (1995-2025, ~4,000 companies; headline presets from 2015) or small.",
)
def demo(out: str, size: str) -> None:
    """Build the headline presets on the embedded demo market, compare them and write a
    factsheet (OUT/factsheet.html). The first run generates the market (~40 s); later
    runs reuse the cached market and results."""
    from indexsmith import showcase
    from indexsmith.compare import one_note, summary

    families = len(showcase.HEADLINE[size])
    with _progress(f"demo ({size} market)") as bar:
        done = [0]

        def step() -> None:
            done[0] += 1
            if bar:
                bar(done[0], families, "building presets")

        results = showcase.run(size, out, lambda msg: stderr.print(f"[dim]{msg}[/dim]"), step)
    table, notes = summary(results)
    for note in one_note(notes):
        stderr.print(f"note: {note}")
    _print_comparison(table, f"Headline indices on the {size} demo market")
    stdout.print(
        f"results in {out}/ (one folder per index); every statistic: indexsmith compare {out} --format csv; "
        f"factsheet: {out}/factsheet.html"
    )


def _print_comparison(table: Any, title: str) -> None:
    from indexsmith.compare import terminal_rows

    headers, rows = terminal_rows(table)
    out = Table(title=title, caption="total-return levels; max DD = worst drawdown; turnover one-way")
    for i, header in enumerate(headers):
        out.add_column(header, justify="left" if i == 0 else "right", no_wrap=i == 0)
    for row in rows:
        out.add_row(*row)
    # Piped or logged output is not cut to 80 columns.
    (stdout if stdout.is_terminal else Console(highlight=False, width=160)).print(out)


def cli_markdown() -> str:
    """The command-line reference (docs/cli.md), from the click commands themselves."""
    import inspect

    lines = [
        "# Command-line reference",
        "",
        "Generated by `indexsmith reference cli` from the commands themselves; do not edit.",
        "",
    ]
    ctx = click.Context(cli, info_name="indexsmith")
    commands: list[tuple[str, click.Command]] = []
    for name in sorted(cli.list_commands(ctx)):
        command = cli.get_command(ctx, name)
        if command is None or command.hidden:
            continue
        if isinstance(command, click.Group):
            sub = click.Context(command, info_name=name, parent=ctx)
            for inner in sorted(command.list_commands(sub)):
                found = command.get_command(sub, inner)
                if found is not None:
                    commands.append((f"{name} {inner}", found))
        else:
            commands.append((name, command))
    for name, command in commands:
        sub = click.Context(
            command, info_name=f"indexsmith {name}", parent=None, help_option_names=["-h", "--help"]
        )
        lines += [f"## `indexsmith {name}`", "", inspect.cleandoc(command.help or ""), "", "```text"]
        lines += command.get_usage(sub).splitlines()
        lines.append("")
        for param in command.get_params(sub):
            record = param.get_help_record(sub)
            if record:
                lines.append(f"  {record[0]:<32} {record[1]}".rstrip())
        lines += ["```", ""]
    return "\n".join(lines)


def hooks_markdown() -> str:
    """The hook reference (docs/hooks.md), from the hook specifications."""
    import inspect

    from indexsmith import hookspecs

    lines = [
        "# Hook reference",
        "",
        "Generated by `indexsmith reference hooks` from `indexsmith.hookspecs`; do not edit.",
        "",
        inspect.cleandoc(hookspecs.__doc__ or ""),
        "",
    ]
    for name, function in inspect.getmembers(hookspecs, inspect.isfunction):
        if name.startswith("indexsmith_"):
            lines += [f"## `{name}(register)`", "", inspect.cleandoc(function.__doc__ or ""), ""]
    return "\n".join(lines)


@cli.command(hidden=True)
@click.argument("what", type=click.Choice(["cli", "hooks"]))
def reference(what: str) -> None:
    """Print a generated reference page (docs/cli.md or docs/hooks.md)."""
    click.echo(cli_markdown() if what == "cli" else hooks_markdown(), nl=False)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``indexsmith`` script."""
    try:
        # Without standalone mode click returns the exit code of ctx.exit() instead of raising.
        status = cli.main(args=argv, prog_name="indexsmith", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 1
    return status if isinstance(status, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
