"""``indexsmith preview``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from indexsmith.cli.app import (
    allow_path_option,
    cli,
    data_options,
    load_definition,
    open_market,
    plugins_manager,
    stderr,
    stdout,
)


def _aum(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[float, ...]:
    out = []
    for value in values:
        try:
            number = float(value)
        except ValueError:
            number = float("nan")
        if not (number == number and 0 < number < float("inf")):
            raise click.BadParameter(f"{value!r} is not a positive number of dollars (write e.g. 10e9)")
        out.append(number)
    return tuple(out)


@cli.command()
@click.argument("definition")
@click.option(
    "--as-of",
    "as_of",
    required=True,
    type=click.DateTime(["%Y-%m-%d"]),
    help="Rank the next review on the data as of this date (or on its rank date when the date is past it).",
)
@click.option(
    "--aum",
    multiple=True,
    callback=_aum,
    metavar="DOLLARS",
    help="Assets tracking each index, for the trade list (repeatable, e.g. --aum 1e9 --aum 10e9).",
)
@click.option(
    "--participation",
    default=0.2,
    show_default=True,
    type=click.FloatRange(0, 1, min_open=True),
    help="Share of daily volume a trade may take (days of volume = trade / (participation x ADV)).",
)
@click.option(
    "--adv-sessions", default=20, show_default=True, type=click.IntRange(1), help="ADV window in sessions."
)
@click.option(
    "--bubble-ranks",
    default=25,
    show_default=True,
    type=click.IntRange(1),
    help="Bubble list: ranks either side of a breakpoint.",
)
@click.option(
    "--bubble-points",
    default=0.5,
    show_default=True,
    type=click.FloatRange(0),
    help="Bubble list: points of cumulative cap beyond a band.",
)
@click.option(
    "--bubble-size",
    default=0.25,
    show_default=True,
    type=click.FloatRange(0),
    help="Bubble list: fraction of a size threshold (a dollar range minimum) either side of it.",
)
@click.option("--no-following", is_flag=True, help="Preview only the next review, not the one after it.")
@click.option("--out", type=click.Path(), help="Write every table (Parquet and CSV) into this new folder.")
@click.option("--overwrite", is_flag=True, help="Replace an --out folder indexsmith wrote.")
@data_options
@allow_path_option
def preview(
    definition: str,
    as_of: Any,
    aum: tuple[float, ...],
    participation: float,
    adv_sessions: int,
    bubble_ranks: int,
    bubble_points: float,
    bubble_size: float,
    no_following: bool,
    out: str | None,
    overwrite: bool,
    data: str | None,
    data_params: tuple[str, ...],
    demo: str | None,
    allow_path: tuple[str, ...],
) -> None:
    """The next review of every index of DEFINITION as of --as-of: predicted additions and
    deletions with the rule that decided each, migrations, the bubble list around every
    breakpoint, pro-forma weights, one-way turnover and, for each --aum, the trade list in
    shares and dollars with days of volume — and the same for the review after it."""
    from indexsmith.io import atomic_directory
    from indexsmith.pipeline import split_source
    from indexsmith.prediction import BubbleOptions
    from indexsmith.prediction import preview as run_preview

    if out:  # refuse a bad --out before any work
        atomic_directory(Path(out), overwrite=overwrite, protect=[split_source(data)[1]] if data else [])
    manager = plugins_manager()
    methodology = load_definition(definition, manager, allow_path)
    market = open_market(data, demo, methodology.definition, data_params, manager)
    result = run_preview(
        methodology,
        market,
        as_of=as_of.date(),
        aum=aum,
        plugins=manager,
        bubble=BubbleOptions(ranks=bubble_ranks, points=bubble_points, size=bubble_size),
        participation=participation,
        adv_sessions=adv_sessions,
        following=not no_following,
    )
    for note in result.notes:
        stderr.print(f"note: {note}", markup=False)
    _print(result)
    if out:
        result.write(out, overwrite=overwrite)
        click.echo(f"preview of {methodology.definition.id} as of {result.as_of:%Y-%m-%d} -> {out}")


def _print(result: Any) -> None:
    for review in result.reviews.itertuples(index=False):
        click.echo(
            f"review {review.review}: {review.kind} effective {review.effective_date:%Y-%m-%d} "
            f"(scheduled rank date {review.scheduled_rank_date:%Y-%m-%d}; {review.basis})"
        )
        turnover = result.turnover[result.turnover["review"] == review.review]
        table = Table(show_edge=False)
        for header in ("index", "members", "additions", "deletions", "one-way turnover"):
            table.add_column(header, justify="left" if header == "index" else "right")
        for row in turnover.itertuples(index=False):
            table.add_row(
                escape(str(row.index_id)),
                f"{row.members_before} -> {row.members_after}",
                str(row.additions),
                str(row.deletions),
                f"{row.one_way:.2%}",
            )
        (stdout if stdout.is_terminal else Console(highlight=False, width=160)).print(table)
        bubble = (
            result.bubble[result.bubble["review"] == review.review] if len(result.bubble) else result.bubble
        )
        if len(bubble):
            click.echo(
                f"  bubble list: {len(bubble)} names near {bubble['breakpoint'].nunique()} breakpoint(s); nearest:"
            )
            for row in bubble.head(5).itertuples(index=False):
                click.echo(
                    f"    {row.ticker} ({row.security_id}) {row.side} {row.breakpoint}: rank {row.company_rank}, "
                    f"{row.points_from_breakpoint:+.2f} points; flips on a {row.move_to_flip:+.1%} move"
                )
        trades = (
            result.trades[result.trades["review"] == review.review] if len(result.trades) else result.trades
        )
        for aum, rows in trades.groupby("aum", sort=True) if len(trades) else ():
            worst = rows.iloc[0]
            click.echo(
                f"  ${aum:,.0f} tracking: {len(rows)} trades, ${rows['trade_value'].abs().sum():,.0f} traded; "
                f"largest {worst['days_of_volume']:.1f} days of volume ({worst['ticker']} in {worst['index_id']})"
            )
