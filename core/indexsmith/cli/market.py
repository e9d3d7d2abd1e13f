"""``indexsmith market``: export the demo market, check a data directory, calibration."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from indexsmith.cli.app import cli, plain_row, plugins_manager, stderr, stdout


@cli.group()
def market() -> None:
    """Market data: export the demo market, check or import data, list the sources."""


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

    market_data = demo.demo_market(size, progress=lambda msg: stderr.print(f"[dim]{escape(msg)}[/dim]"))
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
@click.argument("data")
@click.option("--calendar", default="XNYS", show_default=True)
@click.option("--param", "data_params", multiple=True, metavar="KEY=VALUE", help="A parameter of the source.")
def market_check(data: str, calendar: str, data_params: tuple[str, ...]) -> None:
    """Validate market data (a directory, or SOURCE:PATH) and summarise it."""
    from indexsmith.cli.app import print_notes, source_params
    from indexsmith.pipeline import open_market

    loaded = open_market(data, calendar, plugins=plugins_manager(), params=source_params(data_params))
    print_notes(loaded.notes)
    click.echo(f"{data}: valid — {loaded!r}; fingerprint {loaded.fingerprint()}")


@market.command("import")
@click.argument("data")
@click.option(
    "--out", required=True, type=click.Path(file_okay=False), help="Folder to write (new or empty)."
)
@click.option("--calendar", default="XNYS", show_default=True)
@click.option("--param", "data_params", multiple=True, metavar="KEY=VALUE", help="A parameter of the source.")
@click.option("--format", "fmt", type=click.Choice(["parquet", "csv"]), default="parquet", show_default=True)
@click.option("--overwrite", is_flag=True, help="Replace a non-empty folder.")
def market_import(
    data: str, out: str, calendar: str, data_params: tuple[str, ...], fmt: str, overwrite: bool
) -> None:
    """Convert SOURCE:PATH once into the documented format (docs/data.md) in --out.

    The tables are validated before anything is written, and the folder appears whole or
    not at all; build from it afterwards with --data OUT."""
    from indexsmith.cli.app import print_notes, source_params
    from indexsmith.data.calendars import get_calendar
    from indexsmith.data.market import Market
    from indexsmith.data.sources import write_tables
    from indexsmith.io import atomic_directory
    from indexsmith.pipeline import market_source, split_source

    target = atomic_directory(Path(out), overwrite=overwrite, protect=[split_source(data)[1]])
    source, location, label = market_source(
        data, plugins=plugins_manager(), params=source_params(data_params)
    )
    tables = source.read(Path(location).expanduser(), get_calendar(calendar))
    loaded = Market.from_frames(tables.frames, calendar=calendar, file_names=tables.file_names, source=label)
    with target as folder:
        counts = write_tables(tables.frames, folder, fmt)
    print_notes(tables.notes)
    click.echo(f"imported {label} to {out}: " + ", ".join(f"{k} {v:,} rows" for k, v in counts.items()))
    click.echo(f"valid — {loaded!r}; fingerprint {loaded.fingerprint()}")


@market.command("sources")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def market_sources(as_json: bool) -> None:
    """List the market sources (--data SOURCE:PATH) with their plugin, version and files."""
    import json

    from indexsmith.cli.reference import component_reference

    rows = []
    for entry in plugins_manager().sources():
        row = component_reference(entry)
        row["files"] = list(entry.cls.files)
        rows.append(row)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table("source", "plugin", "distribution", "reads", "params")
    for row in rows:
        table.add_row(
            *plain_row(
                row["name"],
                row["plugin"],
                f"{row['distribution']} {row['version']}" if row["distribution"] else "-",
                ", ".join(row["files"]) or row["summary"],
                ", ".join(p["name"] for p in row["params"]) or "-",
            )
        )
    stdout.print(table)
