"""``indexsmith compare`` and ``indexsmith report``."""

from __future__ import annotations

import click

from indexsmith.cli.app import cli, print_comparison, stderr


@cli.command()
@click.argument("results", nargs=-1, required=True, type=click.Path())
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True
)
@click.option("--benchmark", default=None, help="Index the relative statistics use (default: the first).")
@click.option(
    "--crisis",
    "crises",
    multiple=True,
    metavar="LABEL=START..END",
    help="Another crisis window to report (repeatable), e.g. 'tariffs 2025=2025-02-19..2025-06-30'.",
)
@click.option(
    "--accept-modified",
    is_flag=True,
    help="Use result folders whose files changed after the build (a warning instead of an error).",
)
def compare(
    results: tuple[str, ...], fmt: str, benchmark: str | None, crises: tuple[str, ...], accept_modified: bool
) -> None:
    """Compare built indices side by side: RESULTS are folders written by 'build' (a
    family folder stands for each of its indices). Statistics use the dates all share;
    the terminal shows the main ones, csv and json all of them (docs/analytics.md)."""
    from indexsmith.analytics.statistics import CRISES, parse_crisis
    from indexsmith.reporting.compare import records, summary
    from indexsmith.results.store import read_results

    windows = (*CRISES, *(parse_crisis(c) for c in crises))
    loaded = read_results(list(results), accept_modified=accept_modified, warn=_warn)
    table, note = summary(loaded, benchmark=benchmark, crises=windows)
    if note:
        stderr.print(f"note: {note}", markup=False)
    if fmt == "csv":
        click.echo(records(table).to_csv(), nl=False)
        return
    if fmt == "json":
        click.echo(table.frame.to_json(orient="columns", date_format="iso", indent=2))
        return
    print_comparison(table, "Index comparison")


@cli.command()
@click.argument("results", nargs=-1, required=True, type=click.Path())
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="HTML file to write.")
@click.option("--title", default="Index factsheet", show_default=True)
@click.option("--benchmark", default=None, help="Index the relative figures use (default: the first).")
@click.option(
    "--accept-modified",
    is_flag=True,
    help="Use result folders whose files changed after the build (a warning instead of an error).",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing --out file.")
def report(
    results: tuple[str, ...],
    out: str,
    title: str,
    benchmark: str | None,
    accept_modified: bool,
    overwrite: bool,
) -> None:
    """Write a self-contained HTML factsheet for built indices: a page per index (key
    facts, returns, risk, holdings, sectors, size) and the comparison pages; prints to
    PDF one page per section."""
    from pathlib import Path

    from indexsmith.errors import OutputError
    from indexsmith.reporting.factsheet import write
    from indexsmith.results.store import read_results

    if Path(out).is_file() and not overwrite:
        raise OutputError(f"{out} exists — pass --overwrite to replace it, or choose another --out")

    loaded = read_results(list(results), accept_modified=accept_modified, warn=_warn)
    path = write(loaded, out, title, benchmark)
    click.echo(f"factsheet for {len(loaded)} indices -> {path}")


def _warn(message: str) -> None:
    stderr.print(f"warning: {message}", markup=False)
