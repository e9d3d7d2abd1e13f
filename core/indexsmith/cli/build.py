"""``indexsmith validate`` and ``indexsmith build``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from indexsmith.cli.app import (
    allow_path_option,
    cli,
    data_options,
    load_definition,
    open_market,
    plugins_manager,
    progress_bar,
    stderr,
)


@cli.command()
@click.argument("definition")
@allow_path_option
def validate(definition: str, allow_path: tuple[str, ...]) -> None:
    """Check a definition file (or preset id) without reading any market data."""
    methodology = load_definition(definition, plugins_manager(), allow_path)
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
@data_options
@click.option("--out", required=True, type=click.Path(), help="Output folder (must be empty or new).")
@click.option("--overwrite", is_flag=True, help="Replace a non-empty output folder.")
@click.option(
    "--start",
    type=click.DateTime(["%Y-%m-%d"]),
    help="First effective date (default: the definition's, else the data's).",
)
@click.option("--end", type=click.DateTime(["%Y-%m-%d"]), help="Last effective date.")
@allow_path_option
def build(
    definition: str,
    data: str | None,
    data_params: tuple[str, ...],
    demo: str | None,
    out: str,
    overwrite: bool,
    start: Any,
    end: Any,
    allow_path: tuple[str, ...],
) -> None:
    """Build DEFINITION (a file or a preset id) on market data and write the results."""
    import pandas as pd

    from indexsmith.io import atomic_directory, output_lock, remove_stale
    from indexsmith.pipeline import build as build_index
    from indexsmith.pipeline import split_source

    # Refuse a bad --out before any work: not empty and not indexsmith's, below a file, or
    # holding the market data; then hold the lock until the results are in place.
    protect = [split_source(data)[1]] if data else []
    atomic_directory(Path(out), overwrite=overwrite, protect=protect)
    with output_lock(Path(out)):
        for path in remove_stale(Path(out)):
            stderr.print(f"note: removed {path}, left by an interrupted build", markup=False)
        manager = plugins_manager()
        methodology = load_definition(definition, manager, allow_path)
        market = open_market(data, demo, methodology.definition, data_params, manager)
        with progress_bar(f"building {escape(methodology.definition.id)}") as progress:
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
    first = next(iter(result))
    for line in first.run_info.get("warnings", []):
        stderr.print(f"warning: {line}", markup=False)
    last = market.last_session if end is None else min(market.last_session, pd.Timestamp(end))
    ends = "the data ends" if last == market.last_session else "the build ends"
    for i, row in enumerate(result.pending.itertuples(index=False)):
        proposed = i == 0 and first.pro_forma is not None
        stderr.print(
            f"note: the review ranked {row.rank_date:%Y-%m-%d} takes effect {row.effective_date:%Y-%m-%d}, after "
            f"{ends} ({last:%Y-%m-%d}): "
            + ("its pro-forma is in pro_forma.parquet" if proposed else "it is pending, not built"),
            markup=False,
        )
