"""``indexsmith compare`` and ``indexsmith report``."""

from __future__ import annotations

import click

from indexsmith.cli.app import cli, print_comparison, stderr


@cli.command()
@click.argument("results", nargs=-1, required=True, type=click.Path())
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True
)
@click.option(
    "--accept-modified",
    is_flag=True,
    help="Use result folders whose files changed after the build (a warning instead of an error).",
)
def compare(results: tuple[str, ...], fmt: str, accept_modified: bool) -> None:
    """Compare built indices side by side: RESULTS are folders written by 'build' (a
    family folder stands for each of its indices). Statistics use the dates all share."""
    from indexsmith.reporting.compare import one_note, summary
    from indexsmith.results.store import read_results

    table, notes = summary(read_results(list(results), accept_modified=accept_modified, warn=_warn))
    for note in notes if fmt != "table" else one_note(notes):
        stderr.print(f"note: {note}", markup=False)
    if fmt == "csv":
        click.echo(table.to_csv(index_label="statistic"), nl=False)
        return
    if fmt == "json":
        click.echo(table.to_json(orient="columns", date_format="iso", indent=2))
        return
    print_comparison(table, "Index comparison")


@cli.command()
@click.argument("results", nargs=-1, required=True, type=click.Path())
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="HTML file to write.")
@click.option("--title", default="Index factsheet", show_default=True)
@click.option(
    "--accept-modified",
    is_flag=True,
    help="Use result folders whose files changed after the build (a warning instead of an error).",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing --out file.")
def report(results: tuple[str, ...], out: str, title: str, accept_modified: bool, overwrite: bool) -> None:
    """Write a self-contained HTML factsheet (charts and tables) for built indices."""
    from pathlib import Path

    from indexsmith.errors import OutputError
    from indexsmith.reporting.factsheet import write
    from indexsmith.results.store import read_results

    if Path(out).is_file() and not overwrite:
        raise OutputError(f"{out} exists — pass --overwrite to replace it, or choose another --out")

    loaded = read_results(list(results), accept_modified=accept_modified, warn=_warn)
    path = write(loaded, out, title)
    click.echo(f"factsheet for {len(loaded)} indices -> {path}")


def _warn(message: str) -> None:
    stderr.print(f"warning: {message}", markup=False)
