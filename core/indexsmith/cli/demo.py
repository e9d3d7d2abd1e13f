"""``indexsmith demo``: the headline presets on the demo market, compared, with a factsheet."""

from __future__ import annotations

import click
from rich.markup import escape

from indexsmith.cli.app import cli, print_comparison, progress_bar, stderr, stdout


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
    from indexsmith.demo import showcase

    families = len(showcase.HEADLINE[size])
    with progress_bar(f"demo ({size} market)") as bar:
        done = [0]

        def step() -> None:
            done[0] += 1
            if bar:
                bar(done[0], families, "building presets")

        _, table, note = showcase.run(size, out, lambda msg: stderr.print(f"[dim]{escape(msg)}[/dim]"), step)
    if note:
        stderr.print(f"note: {note}", markup=False)
    print_comparison(table, f"Headline indices on the {size} demo market")
    stdout.print(
        f"results in {out}/ (one folder per index); every statistic: indexsmith compare {out} --format csv; "
        f"factsheet: {out}/factsheet.html",
        markup=False,
    )
