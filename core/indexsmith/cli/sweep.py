"""``indexsmith sweep``: every variant of a sweep file built on one data load, the summary
written and the best variants shown sorted by a statistic."""

from __future__ import annotations

import os
import time
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from indexsmith.cli.app import cli, data_options, plugins_manager, source_params, stderr, stdout

#: Rows of the terminal table (every row is in summary.csv).
SHOWN = 20


@cli.command()
@click.argument("sweep_file", metavar="SWEEP")
@data_options
@click.option(
    "--out", required=True, type=click.Path(), help="Output folder (new, empty, or a sweep's to resume)."
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Workers (local: default 1, in this process; dask: default the CPU count).",
)
@click.option("--executor", default="local", show_default=True, help="Runner: local, dask, or a plugin's.")
@click.option(
    "--address", default=None, help="Cluster scheduler address for --executor dask (e.g. tcp://host:8786)."
)
@click.option(
    "--sort", "sort", default="annualised_return", show_default=True, help="Statistic to sort the table by."
)
@click.option("--ascending", is_flag=True, help="Sort the smallest first (e.g. for annualised_volatility).")
@click.option(
    "--keep-results", is_flag=True, help="Also write each variant's result folders (OUT/results/HASH)."
)
@click.option("--yes", is_flag=True, help="Run a sweep of more variants than its max_variants.")
@click.option(
    "--start",
    type=click.DateTime(["%Y-%m-%d"]),
    help="First effective date (default: the definition's, else the data's).",
)
@click.option("--end", type=click.DateTime(["%Y-%m-%d"]), help="Last effective date.")
def sweep(
    sweep_file: str,
    data: str | None,
    data_params: tuple[str, ...],
    demo: str | None,
    out: str,
    workers: int | None,
    executor: str,
    address: str | None,
    sort: str,
    ascending: bool,
    keep_results: bool,
    yes: bool,
    start: Any,
    end: Any,
) -> None:
    """Build every variant of SWEEP (a [sweep] file: axes of values set at paths of a
    definition or preset) and write OUT/summary.parquet, OUT/summary.csv and the factsheet
    OUT/sweep.html. The market is loaded once; a rerun skips the variants already built."""
    from pathlib import Path

    from indexsmith.definition.sweep import load_sweep
    from indexsmith.errors import DataError, Problem
    from indexsmith.runners.api import check_statistic, make_runner, sweep_market
    from indexsmith.runners.sweep import check_out, run_sweep, sorted_summary

    if data and demo:
        raise DataError([Problem("--data and --demo are alternatives", hint="pass one of them")])
    if not data and not demo:
        raise DataError(
            [Problem("no market data given", hint="pass --data DIR, --data SOURCE:PATH or --demo small")]
        )
    check_statistic(sort)
    check_out(Path(out))
    manager = plugins_manager()
    definition = load_sweep(sweep_file, manager, yes=yes)
    market = sweep_market(data or f"demo:{demo}", definition, manager, source_params(data_params) or None)
    with make_runner(executor, manager, workers=workers, address=address) as runner, _progress() as update:
        frame = run_sweep(
            definition,
            market,
            out,
            runner,
            start=start.date() if start else None,
            end=end.date() if end else None,
            keep_results=keep_results,
            statistic=sort,
            progress=update,
            plugins=manager,
        )
    failed = frame.loc[frame["status"] != "ok", "variant"].nunique()
    ok = frame[frame["status"] == "ok"]
    if len(ok):
        _print(sorted_summary(ok, sort, ascending=ascending), definition.axes, sort)
    click.echo(
        f"{frame['variant'].nunique()} variants ({failed} failed) -> {out}/summary.parquet, summary.csv, sweep.html"
    )
    for row in frame[frame["status"] != "ok"].drop_duplicates("variant").head(5).itertuples():
        stderr.print(f"failed: {row.variant}: {row.error}", markup=False)


class _progress:
    """A rich bar of variants done, with the failed count and the throughput."""

    def __enter__(self) -> Any:
        self.bar = Progress(
            TextColumn("[bold]sweep"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failed]} failed"),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            console=stderr,
            disable=not stderr.is_terminal and os.environ.get("INDEXSMITH_PROGRESS") != "1",
        )
        self.bar.__enter__()
        self.task = self.bar.add_task("sweep", total=None, failed=0, rate="")
        self.began = time.perf_counter()
        self.first: int | None = None
        return self.update

    def update(self, done: int, failed: int, total: int) -> None:
        if self.first is None:
            self.first = done  # variants resumed, not built now
        elapsed = time.perf_counter() - self.began
        built = done - self.first
        rate = f"{built / elapsed:.2f} variants/s" if built and elapsed > 0 else ""
        self.bar.update(self.task, completed=done, total=total, failed=failed, rate=rate)

    def __exit__(self, *exc: Any) -> None:
        self.bar.__exit__(*exc)


def _print(frame: Any, axes: tuple[str, ...], statistic: str) -> None:
    from indexsmith.analytics.statistics import STATISTICS
    from indexsmith.units import display

    units = {s.name: s.unit for s in STATISTICS}
    table = Table(title=escape(f"Variants by {statistic} (best {min(SHOWN, len(frame))} of {len(frame)})"))
    for header in ("variant", "index", *axes, statistic):
        table.add_column(escape(header), justify="left" if header in ("variant", "index") else "right")
    for record in frame.head(SHOWN).to_dict("records"):
        cells = [str(record["variant"]), str(record["index"]), *(str(record[a]) for a in axes)]
        cells.append(display(record[statistic], units.get(statistic, "number")))
        table.add_row(*(escape(c) for c in cells))
    (stdout if stdout.is_terminal else Console(highlight=False, width=160)).print(table)
