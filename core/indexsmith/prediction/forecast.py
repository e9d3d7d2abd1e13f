"""Predicting a family's next review (``indexsmith preview``, :func:`indexsmith.prediction`).

The family is built up to the as-of date exactly as ``build`` builds it (every review and
replacement, so the membership, the bands' and buffers' memory and the weighting states
are those in force at the as-of close). Then:

- if a review was ranked on or before the as-of date but takes effect after it, it was
  decided on its scheduled rank date as every review is (and amended for members that
  left since): that decision is its pro-forma;
- otherwise the next scheduled review is run on the as-of view as if ranked that day —
  the prediction index traders make before the rank day.

With ``following`` the review after it is predicted on the same view, from the first's
pro-forma membership (a June reconstitution and the December one after it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
import pandas as pd

from indexsmith import contracts, engine
from indexsmith.components import Review
from indexsmith.data.calendars import get_calendar
from indexsmith.data.market import Market
from indexsmith.definition.model import Methodology
from indexsmith.engine import ReviewOutput
from indexsmith.engine.review import call, empty_assignment
from indexsmith.errors import DefinitionError, Problem
from indexsmith.frames import by_security, isin
from indexsmith.pipeline import DefinitionLike, open_market, resolve_definition
from indexsmith.plugin.manager import Plugins
from indexsmith.prediction.bubble import BubbleOptions, bubble_list, fallback_breakpoints
from indexsmith.prediction.model import Preview
from indexsmith.prediction.trades import held_weights, one_way, pro_forma_weights, trade_list
from indexsmith.results.assemble import assemble
from indexsmith.results.proforma import pro_forma_tables

#: How far ahead of the as-of date the schedule is searched for the next review.
HORIZON_YEARS = 2


@attrs.frozen
class _Step:
    """One previewed review: its decision, the family before it and the basis."""

    number: int
    scheduled: Review
    output: ReviewOutput
    previous: pd.DataFrame
    members_before: dict[str, pd.Index]
    weights_before: dict[str, pd.Series]
    basis: str


def preview(
    definition: DefinitionLike,
    market: Market | str,
    *,
    as_of: dt.date | str | pd.Timestamp,
    aum: Sequence[float] = (),
    plugins: Plugins | None = None,
    bubble: BubbleOptions | None = None,
    participation: float = 0.2,
    adv_sessions: int = 20,
    following: bool = True,
) -> Preview:
    """The next review of every index of ``definition`` as of ``as_of`` (see the module
    docstring): predicted additions and deletions with the rule that decided each,
    migrations, the bubble list, pro-forma weights, one-way turnover, and for each fund
    size in ``aum`` the trade list with days of ``adv_sessions``-session average daily
    volume at ``participation``."""
    aums = _check_aum(aum)
    if not 0 < participation <= 1:
        raise DefinitionError(
            [
                Problem(
                    f"participation {participation!r} is not in (0, 1]",
                    "--participation",
                    "use e.g. 0.2 for 20%",
                )
            ]
        )
    methodology = resolve_definition(definition, plugins)
    market = open_market(
        market, methodology.definition.calendar, plugins=plugins, vocabulary=methodology.definition.vocabulary
    )
    day = _as_of_session(market, as_of)
    scheduled, started = _upcoming(methodology, market, day)
    run = _run_to(methodology, market, day, started)
    state = run.state if run is not None else None
    built = _latest(methodology, market, run) if run is not None and run.outputs else None
    view = market.view(day)
    previous = state.assignment if state is not None else empty_assignment()
    members = {
        i.spec.id: pd.Index(sorted(state.members[i.spec.id]) if state is not None else [], dtype=object)
        for i in methodology.indices
    }
    weights = {
        i.spec.id: (
            held_weights(i, built[i.spec.id], market, day, run.spin_off_drops)
            if built is not None and run is not None
            else pd.Series(dtype=float)
        )
        for i in methodology.indices
    }
    steps: list[_Step] = []
    first = scheduled[0]
    output, basis = _decide(methodology, market, day, first, run)
    steps.append(_Step(1, first, output, previous, members, weights, basis))
    if following and len(scheduled) > 1:
        second = scheduled[1]
        after = {i.spec.id: output.constituents[i.spec.id].index for i in methodology.indices}
        after_weights = {
            i.spec.id: pro_forma_weights(output.constituents[i.spec.id], view, _holds_shares(i))
            for i in methodology.indices
        }
        output2 = predict(
            methodology, market, second, output.assignment, day, output.states, output.review.rank_date
        )
        steps.append(
            _Step(
                2,
                second,
                output2,
                output.assignment,
                after,
                after_weights,
                f"predicted from the data as of {day:%Y-%m-%d}, after review 1",
            )
        )
    return _tables(
        methodology, market, day, steps, aums, bubble or BubbleOptions(), participation, adv_sessions
    )


def next_review(
    methodology: Methodology, market: Market, as_of: dt.date | str | pd.Timestamp
) -> tuple[ReviewOutput, pd.DataFrame | None, str]:
    """The next review's decision as of ``as_of`` (pro-forma or predicted, see the module
    docstring), the family's assignment before it, and the basis in words."""
    day = _as_of_session(market, as_of)
    scheduled, started = _upcoming(methodology, market, day)
    first = scheduled[0]
    run = _run_to(methodology, market, day, started)
    output, basis = _decide(methodology, market, day, first, run)
    return output, run.state.assignment if run is not None and run.state is not None else None, basis


def _decide(
    methodology: Methodology, market: Market, day: pd.Timestamp, first: Review, run: engine.Run | None
) -> tuple[ReviewOutput, str]:
    if (
        run is not None
        and run.pro_forma is not None
        and run.pro_forma.review.effective_date == first.effective_date
    ):
        return run.pro_forma, f"decided on its rank date {first.rank_date:%Y-%m-%d}"
    state = run.state if run is not None else None
    output = predict(
        methodology,
        market,
        first,
        state.assignment if state is not None else empty_assignment(),
        day,
        state.states if state is not None else {},
        state.previous_rank_date if state is not None else None,
    )
    return output, f"predicted from the data as of {day:%Y-%m-%d}"


def _latest(methodology: Methodology, market: Market, run: engine.Run) -> Any:
    """The result tables of the latest review in force and the changes since, which is all
    the weights held at the as-of close depend on (assembling the whole history would
    cost as much as the build's own assembly)."""
    latest = run.outputs[-1]
    since = [e for e in run.events if e.review.effective_date > latest.review.effective_date]
    return assemble(methodology, market, attrs.evolve(run, outputs=[latest], events=since))


def _holds_shares(index: Any) -> bool:
    """Whether the index holds its target shares after a review (as its calculation does):
    a capped index holds its capped weights, whatever shares its weighting computed."""
    return bool(index.calculation.holding == "shares")


def _check_aum(aum: Sequence[float]) -> tuple[float, ...]:
    out = []
    for value in aum:
        number = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else np.nan
        if not (np.isfinite(number) and number > 0):
            raise DefinitionError(
                [
                    Problem(
                        f"AUM {value!r} is not a positive number of dollars", "--aum", "give e.g. --aum 10e9"
                    )
                ]
            )
        out.append(number)
    return tuple(out)


def _as_of_session(market: Market, as_of: dt.date | str | pd.Timestamp) -> pd.Timestamp:
    """The as-of date's session (the last one on or before it); refused outside the data."""
    when = pd.Timestamp(as_of).normalize()
    first, last = market.first_session, market.last_session
    if when < first or when > last:
        raise DefinitionError(
            [
                Problem(
                    f"as-of date {when:%Y-%m-%d} is outside the market data ({first:%Y-%m-%d}..{last:%Y-%m-%d})",
                    "--as-of",
                    f"choose a date from {first:%Y-%m-%d} to {last:%Y-%m-%d}",
                )
            ]
        )
    sessions = market.sessions
    return sessions[int(sessions.searchsorted(when, side="right")) - 1]


def _upcoming(methodology: Methodology, market: Market, day: pd.Timestamp) -> tuple[list[Review], bool]:
    """The scheduled reviews taking effect after ``day`` (the next two at most), and whether
    a review ranked inside the data took effect by ``day`` (a membership is in force)."""
    d = methodology.definition
    calendar = get_calendar(d.calendar)
    start = d.start or market.first_session.date()
    horizon = (day + pd.DateOffset(years=HORIZON_YEARS)).date()
    reviews = call(methodology.schedule, "reviews", f"for {start}..{horizon}", calendar, start, horizon)
    reviews = contracts.check_reviews(methodology.schedule, reviews)
    ahead = reviews[reviews["effective_date"] > day]
    if d.end is not None:
        ahead = ahead[ahead["effective_date"] <= pd.Timestamp(d.end)]
    if ahead.empty:
        raise DefinitionError(
            [
                Problem(
                    f"schedule '{methodology.schedule.entry.name}' has no review taking effect after "
                    f"{day:%Y-%m-%d} (searched to {horizon})",
                    "$.schedule" if d.end is None else "$.end",
                    "choose an earlier --as-of or a definition whose schedule continues"
                    + (f" (its end is {d.end})" if d.end is not None else ""),
                )
            ],
            methodology.source,
        )
    started = bool(
        ((reviews["rank_date"] >= market.first_session) & (reviews["effective_date"] <= day)).any()
    )
    return [Review.from_row(row) for row in ahead.head(2).itertuples(index=False)], started


def _run_to(methodology: Methodology, market: Market, day: pd.Timestamp, started: bool) -> engine.Run | None:
    """The family built up to the close of ``day``; None when no review took effect by then."""
    return engine.run(methodology, market, end=day.date()) if started else None


def predict(
    methodology: Methodology,
    market: Market,
    review: Review,
    previous: pd.DataFrame,
    day: pd.Timestamp,
    states: dict[str, pd.DataFrame],
    previous_rank_date: pd.Timestamp | None,
) -> ReviewOutput:
    """``review`` run on the view of ``day`` as if ranked that day (a review already ranked
    by then, with no membership in force to have decided it, is ranked on its own date)."""
    ranked_on = min(review.rank_date, day)
    view = market.view(ranked_on)
    view.previous_rank_date = previous_rank_date
    as_if = Review(ranked_on, max(review.announcement_date, ranked_on), review.effective_date, review.kind)
    return engine.run_review(methodology, view, as_if, previous, states)


def _tables(
    methodology: Methodology,
    market: Market,
    day: pd.Timestamp,
    steps: list[_Step],
    aums: tuple[float, ...],
    options: BubbleOptions,
    participation: float,
    adv_sessions: int,
) -> Preview:
    view = market.view(day)
    bucketing = methodology.bucketing
    notes: list[str] = []
    buckets = tuple(bucketing.component.bucket_names())  # type: ignore[attr-defined]
    reviews, constituents, changes, migrations, bubbles, turnover, trades = [], [], [], [], [], [], []
    for step in steps:
        output, review = step.output, step.output.review
        reviews.append(
            {
                "review": step.number,
                "kind": review.kind,
                "scheduled_rank_date": step.scheduled.rank_date,
                "ranked_on": review.rank_date,
                "announcement_date": review.announcement_date,
                "effective_date": review.effective_date,
                "basis": step.basis,
            }
        )
        tickers = output.ranked["ticker"] if len(output.ranked) else pd.Series(dtype=object)
        for index in methodology.indices:
            index_id = index.spec.id
            table, moves = pro_forma_tables(index_id, output, step.members_before[index_id], market, day)
            before = step.weights_before[index_id]
            after = pro_forma_weights(output.constituents[index_id], view, _holds_shares(index))
            table.insert(0, "index_id", index_id)
            table.insert(0, "review_number", step.number)
            table["weight_before"] = before.reindex(table["security_id"]).fillna(0.0).to_numpy()
            table["weight"] = after.reindex(table["security_id"]).to_numpy()
            moves.insert(0, "index_id", index_id)
            moves.insert(0, "review_number", step.number)
            constituents.append(table)
            changes.append(moves)
            turnover.append(
                {
                    "review": step.number,
                    "index_id": index_id,
                    "members_before": len(step.members_before[index_id]),
                    "members_after": len(output.constituents[index_id]),
                    "additions": int((moves["change"] == "addition").sum()),
                    "deletions": int((moves["change"] == "deletion").sum()),
                    "one_way": one_way(before, after) if len(before) else 1.0,
                }
            )
            trades.append(
                trade_list(
                    step.number, index_id, before, after, view, tickers, aums, participation, adv_sessions
                )
            )
        migrations.append(_migrations(step, tickers))
        fixed = bucketing.component.breakpoints(market.view(review.rank_date), output.ranked)  # type: ignore[attr-defined]
        if fixed is None:
            note = (
                f"bucketing '{bucketing.entry.name}' has no fixed breakpoints: the bubble list measures each name "
                "against the last member of each bucket by rank instead"
            )
            if note not in notes:
                notes.append(note)
        breakpoints = (
            fixed if fixed is not None else fallback_breakpoints(output.assignment, output.ranked, buckets)
        )
        found = bubble_list(output.ranked, output.assignment, step.previous, breakpoints, options)
        found.insert(0, "review", step.number)
        bubbles.append(found)
    return Preview(
        family_id=methodology.definition.id,
        as_of=day,
        reviews=pd.DataFrame(reviews),
        constituents=_concat(constituents),
        changes=_concat(changes),
        migrations=_concat(migrations),
        bubble=_concat(bubbles),
        turnover=pd.DataFrame(turnover),
        trades=_concat(trades),
        notes=tuple(notes),
        inputs={
            "definition": methodology.definition.id,
            "data": market.source,
            "fingerprint": market.fingerprint(),
            "as_of": f"{day:%Y-%m-%d}",
            "aum": list(aums),
            "participation": participation,
            "adv_sessions": adv_sessions,
            "bubble_ranks": options.ranks,
            "bubble_points": options.points,
            "bubble_size": options.size,
        },
    )


def _migrations(step: _Step, tickers: pd.Series) -> pd.DataFrame:
    """Securities that move between buckets of the family (e.g. from the large to the small tier)."""
    before = by_security(step.previous)["bucket"] if len(step.previous) else pd.Series(dtype=object)
    after = by_security(step.output.assignment)["bucket"]
    both = after.index[isin(after.index, before.index)]
    moved = both[before.reindex(both).to_numpy() != after.reindex(both).to_numpy()]
    notes = (
        by_security(step.output.assignment)["note"].reindex(moved).fillna("")
        if "note" in step.output.assignment
        else None
    )
    ranks = step.output.ranked["rank"].reindex(moved)
    return pd.DataFrame(
        {
            "review": step.number,
            "security_id": moved.astype(object),
            "ticker": tickers.reindex(moved).to_numpy(dtype=object),
            "from_bucket": before.reindex(moved).to_numpy(dtype=object),
            "to_bucket": after.reindex(moved).to_numpy(dtype=object),
            "rank": ranks.to_numpy(),
            "note": notes.to_numpy(dtype=object) if notes is not None else "",
        }
    )


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f.columns)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
