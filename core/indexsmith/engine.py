"""The review loop: schedule -> as-of view -> screens -> ranking -> bucketing -> weighting -> capping.

:func:`run` is a pure function of (methodology, market, date range): it keeps no global
state, so builds can run side by side in processes. It loops over review dates only;
within a review every stage works on whole columns of securities. It decides target
weights; it does not calculate levels (:mod:`indexsmith.calculation`) or write anything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import attrs
import numpy as np
import pandas as pd

from indexsmith import contracts
from indexsmith.components import Review
from indexsmith.data.calendars import get_calendar
from indexsmith.data.market import Market
from indexsmith.data.view import MarketView
from indexsmith.definition.model import Methodology, Resolved
from indexsmith.errors import ComponentError, DefinitionError, IndexsmithError, Problem
from indexsmith.frames import BUCKET_COLUMNS, UNIVERSE_COLUMNS, by_security, isin

Progress = Callable[[int, int, str], None]


@attrs.frozen
class ReviewOutput:
    """What one review decided, for the family and each index."""

    review: Review
    exclusions: pd.DataFrame
    ranked: pd.DataFrame
    assignment: pd.DataFrame
    constituents: dict[str, pd.DataFrame]


def facts(view: MarketView, ids: pd.Index) -> dict[str, np.ndarray]:
    """Company market cap, float-adjusted cap, trailing-four-quarter net income, latest book
    equity and 63-session average daily dollar volume of ``ids`` on the view's date."""
    return {
        "company_market_cap": view.company_market_cap(ids).to_numpy(dtype=float),
        "float_market_cap": view.float_market_cap(ids).to_numpy(dtype=float),
        "ttm_net_income": view.ttm(ids).to_numpy(dtype=float),
        "book_equity": view.latest_fundamental(ids, "book_equity").to_numpy(dtype=float),
        "adv": view.average_dollar_volume(ids, 63).to_numpy(dtype=float),
    }


def _call(resolved: Resolved, method: str, when: Review | str, *args: Any) -> Any:
    """``resolved.component.<method>(*args)``; anything it raises becomes a
    :class:`ComponentError` naming the component, its plugin and the review."""
    label, review_date = contracts.describe(when)
    fields = contracts.fields(resolved, review_date)
    try:
        return getattr(resolved.component, method)(*args)
    except ComponentError as exc:
        raise ComponentError(f"{contracts.who(resolved)} failed {label}: {exc}", **fields) from exc
    except IndexsmithError:
        raise
    except Exception as exc:
        raise ComponentError(
            f"{contracts.who(resolved)} raised {type(exc).__name__}: {exc} {label}", **fields
        ) from exc


def schedule(
    methodology: Methodology, market: Market, start: dt.date | None = None, end: dt.date | None = None
) -> pd.DataFrame:
    """Reviews within the definition's (or the given) date range that the data can support."""
    d = methodology.definition
    first, last = market.first_session.date(), market.last_session.date()
    start = start or d.start or first
    end = end or d.end or last
    if start > end:
        raise DefinitionError([Problem(f"start {start} is after end {end}", "$.start")])
    calendar = get_calendar(d.calendar)
    reviews = _call(methodology.schedule, "reviews", f"for {start}..{end}", calendar, start, end)
    reviews = contracts.check_reviews(methodology.schedule, reviews)
    usable = (reviews["rank_date"] >= market.first_session) & (
        reviews["effective_date"] <= market.last_session
    )
    reviews = reviews[usable].reset_index(drop=True)
    if reviews.empty:
        raise DefinitionError(
            [
                Problem(
                    f"schedule '{methodology.schedule.entry.name}' gives no review between {start} and {end} "
                    f"inside the market data ({first}..{last})",
                    hint="widen start/end or use data covering the review dates",
                )
            ],
            methodology.source,
        )
    return reviews


def run(
    methodology: Methodology,
    market: Market,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    progress: Progress | None = None,
) -> list[ReviewOutput]:
    """Run every review of a methodology on a market."""
    if methodology.definition.calendar != market.calendar.code:
        raise DefinitionError(
            [
                Problem(
                    f"the definition uses calendar {methodology.definition.calendar} but the market data is on {market.calendar.code}",
                    "$.calendar",
                    f'set calendar = "{market.calendar.code}"',
                )
            ],
            methodology.source,
        )
    reviews = schedule(methodology, market, start, end)
    previous = pd.DataFrame(
        {c: pd.Series(dtype=object if c != "fraction" else float) for c in BUCKET_COLUMNS}
    )
    outputs = []
    previous_rank_date = None
    for i, row in enumerate(reviews.itertuples(index=False)):
        review = Review.from_row(row)
        if progress:
            progress(i, len(reviews), f"{review.rank_date:%Y-%m-%d}")
        view = market.view(review.rank_date)
        view.previous_rank_date = previous_rank_date
        output = run_review(methodology, view, review, previous)
        outputs.append(output)
        previous = output.assignment
        previous_rank_date = view.as_of
    if progress:
        progress(len(reviews), len(reviews), "done")
    return outputs


def rank(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (with a ``measure`` column) in rank order with a ``rank`` column 1..N, by
    the documented tie-break: measure descending, then company_id, then security_id."""
    order = np.lexsort(
        (
            frame.index.to_numpy(dtype=str),
            frame["company_id"].to_numpy(dtype=str),
            -frame["measure"].to_numpy(),
        )
    )
    ranked = frame.iloc[order]
    ranked["rank"] = np.arange(1, len(ranked) + 1)
    return ranked


def _keep_members(
    bucketing: Resolved, view: MarketView, ranked: pd.DataFrame, previous: pd.DataFrame, review: Review
) -> pd.DataFrame:
    """Between reconstitutions: every listed member keeps its buckets and fractions; the
    bucketing places only the newcomers, ranked among the members at today's prices (so
    breakpoints are the latest reconstitution's, market-adjusted)."""
    kept = previous[isin(previous["security_id"], ranked.index)].copy()
    kept["note"] = ""
    if ranked["incumbent"].all():
        return kept.reset_index(drop=True)
    placed = _call(bucketing, "assign", review, view, ranked, previous)
    newcomers = placed[~isin(placed["security_id"], previous["security_id"])].copy()
    if "note" not in newcomers.columns:
        newcomers["note"] = ""
    newcomers["note"] = "added between reconstitutions"
    return pd.concat([kept, newcomers[kept.columns]], ignore_index=True)


def run_review(
    methodology: Methodology,
    view: MarketView,
    review: Review,
    previous: pd.DataFrame,
) -> ReviewOutput:
    """One review, from the listed securities to each index's target weights.

    At an ``additions`` or ``rebalance`` review (see :data:`~indexsmith.components.REVIEW_KINDS`)
    members stay while listed and are not screened; an ``additions`` review considers only
    securities first listed after the previous rank date as newcomers.
    """
    kind = review.kind if len(previous) else "reconstitution"
    label = review.label
    universe = view.securities.loc[:, list(UNIVERSE_COLUMNS)].copy()
    universe["incumbent"] = isin(universe.index, previous["security_id"])
    if kind == "rebalance":
        universe = universe[universe["incumbent"]]
    elif kind == "additions":
        since = view.previous_rank_date
        fresh = universe["listing_date"] > since if since is not None else True
        universe = universe[universe["incumbent"] | fresh]
    exclusions = []
    for screen in methodology.screens:
        if screen.applies_to == "additions" or kind != "reconstitution":
            subject = universe[~universe["incumbent"]]
        elif screen.applies_to == "incumbents":
            subject = universe[universe["incumbent"]]
        else:
            subject = universe
        reasons = _call(screen, "screen", review, view, subject)
        reasons = contracts.check_reasons(screen, reasons, subject, review)
        failed = reasons[reasons.notna()]
        if len(failed):
            exclusions.append(
                pd.DataFrame(
                    {"security_id": failed.index, "screen": screen.entry.name, "reason": failed.to_numpy()}
                )
            )
            universe = universe.drop(index=failed.index)
    excluded = (
        pd.concat(exclusions, ignore_index=True)
        if exclusions
        else pd.DataFrame(
            {
                "security_id": pd.Series(dtype=object),
                "screen": pd.Series(dtype=object),
                "reason": pd.Series(dtype=object),
            }
        )
    )

    measure = _call(methodology.ranking, "measure", review, view, universe)
    measure = contracts.check_measure(methodology.ranking, measure, universe, review)
    ranked = rank(universe.assign(measure=measure))
    for column, value in facts(view, ranked.index).items():
        ranked[column] = value

    bucketing = methodology.bucketing
    declared = tuple(bucketing.component.bucket_names())  # type: ignore[attr-defined]
    if kind == "reconstitution":
        assignment = _call(bucketing, "assign", review, view, ranked, previous)
    else:
        assignment = _keep_members(bucketing, view, ranked, previous, review)
    assignment = contracts.check_buckets(bucketing, assignment, ranked, declared, review)

    constituents = {}
    for index in methodology.indices:
        rows = assignment[assignment["bucket"].isin(index.buckets)]
        per_security = by_security(rows)
        members = ranked.loc[isin(ranked.index, per_security.index)].copy()
        for column in ("fraction", "bucket", "note"):
            members[column] = per_security[column].reindex(members.index)
        if members.empty:
            raise ComponentError(
                f"index '{index.spec.id}' has no members {label}: bucketing '{bucketing.entry.name}' put no security in "
                f"{', '.join(index.buckets)} — check the universe screens and the bucket sizes against the data"
            )
        weights = _call(index.weighting, "weigh", review, view, members)
        weights = contracts.check_weights(index.weighting, weights, members, review)
        if index.capping is not None:
            weights = _call(index.capping, "cap", review, view, members, weights)
            weights = contracts.check_weights(index.capping, weights, members, review)
        members["weight"] = weights
        # A zero weight (a style index's stocks wholly in the other style) is no holding.
        constituents[index.spec.id] = members[members["weight"] > 0]
    return ReviewOutput(review, excluded, ranked, assignment, constituents)
