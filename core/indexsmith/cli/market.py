"""``indexsmith market``: export the demo market, check a data directory, calibration."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from indexsmith.cli.app import cli, stderr, stdout


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
    from indexsmith.io import atomic_directory

    atomic_directory(Path(directory), overwrite=overwrite)  # refuse a non-empty folder before generating
    tables = demo.generate(size, demo.DEFAULT_SEED if seed is None else seed)
    demo.export(tables, directory, fmt=fmt, overwrite=overwrite)
    click.echo(
        f"wrote the {size} demo market to {directory}: "
        + ", ".join(f"{k} {len(v):,} rows" for k, v in tables.items())
    )


def _cell(value: float, high: float) -> str:
    return f"{value:.1%}" if high <= 1 else f"{value:,.1f}" if high < 100 else f"{value:,.0f}"


@market.command("calibration")
@click.option("--size", type=click.Choice(["small", "full"]), default="full", show_default=True)
@click.option(
    "--date", "dates", multiple=True, help="As-of date (repeatable; default: the calibration dates)."
)
def market_calibration(size: str, dates: tuple[str, ...]) -> None:
    """Print the demo market's calibration figures against their targets: the
    cross-section on each date, and (full size) the history once."""
    from indexsmith import demo
    from indexsmith.demo.calibration import HISTORY_TARGETS, HISTORY_UNITS, history_calibration
    from indexsmith.units import display

    market_data = demo.demo_market(size, progress=lambda msg: stderr.print(f"[dim]{msg}[/dim]"))
    dates = dates or demo.CALIBRATION_DATES
    figures = {d: demo.calibration(market_data, d) for d in dates}
    table = Table(title=f"{size} demo market calibration: the cross-section")
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
            cells.append(_cell(value, hi) if ok else f"[red]{_cell(value, hi)}[/red]")
        target = f"{lo:.0%}-{hi:.0%}" if hi <= 1 else f"{lo:,.0f}-{hi:,.0f}"
        table.add_row(name, target, *cells)
    stdout.print(table)
    if size == "full":
        history = history_calibration(market_data)
        told = Table(title="full demo market calibration: the history (1995-2025)")
        told.add_column("figure")
        told.add_column("target", justify="right")
        told.add_column("demo", justify="right")
        for name, (lo, hi) in HISTORY_TARGETS.items():
            value, unit = history[name], HISTORY_UNITS[name]
            ok = lo <= value <= hi
            misses += not ok
            text = display(value, unit)
            told.add_row(
                name, f"{display(lo, unit)} to {display(hi, unit)}", text if ok else f"[red]{text}[/red]"
            )
        stdout.print(told)
    stdout.print(
        "all figures within their targets" if not misses else f"{misses} figure(s) outside their targets"
    )


@market.command("check")
@click.argument("directory", type=click.Path())
@click.option("--calendar", default="XNYS", show_default=True)
def market_check(directory: str, calendar: str) -> None:
    """Validate a market-data directory and summarise it."""
    from indexsmith.data.sources import load_market

    loaded = load_market(directory, calendar=calendar)
    click.echo(f"{directory}: valid — {loaded!r}; fingerprint {loaded.fingerprint()}")
