"""The pipeline: schedule -> as-of view -> screens -> ranking -> bucketing -> weighting -> capping.

:func:`run` is a pure function of (methodology, market, date range): it keeps no global
state, so builds can run side by side in processes. It loops over review dates only;
within a review every stage works on whole columns of securities.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import attrs
import numpy as np
import pandas as pd

from indexsmith import contracts
from indexsmith.calendars import get_calendar
from indexsmith.components import BUCKET_COLUMNS
from indexsmith.definition import Methodology, Resolved
from indexsmith.errors import ComponentError, DefinitionError, IndexsmithError, Problem
from indexsmith.market import Market, MarketView, isin

#: Columns of the universe frame components receive (plus ``incumbent``).
UNIVERSE_COLUMNS = (
    "company_id",
    "ticker",
    "name",
    "sector",
    "industry",
    "exchange",
    "country_of_incorporation",
    "country_of_headquarters",
    "security_type",
    "listing_date",
)

Progress = Callable[[int, int, str], None]


@attrs.frozen
class ReviewOutput:
    """What one review decided, for the family and each index."""

    review: pd.Series
    exclusions: pd.DataFrame
    ranked: pd.DataFrame
    assignment: pd.DataFrame
    constituents: dict[str, pd.DataFrame]


#: What every constituent row records about its security on the rank date, so that
#: analytics (valuation, size, capacity) need only the result folder.
FACT_COLUMNS = ("company_market_cap", "float_market_cap", "ttm_net_income", "book_equity", "adv")


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


def _call(resolved: Resolved, method: str, review_label: str, *args: Any) -> Any:
    try:
        return getattr(resolved.component, method)(*args)
    except ComponentError as exc:
        raise ComponentError(f"{contracts.who(resolved)} failed {review_label}: {exc}") from exc
    except IndexsmithError:
        raise
    except Exception as exc:
        raise ComponentError(
            f"{contracts.who(resolved)} raised {type(exc).__name__}: {exc} {review_label}"
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
    for i, review in reviews.iterrows():
        label = f"on review with rank date {review['rank_date']:%Y-%m-%d} (effective {review['effective_date']:%Y-%m-%d})"
        if progress:
            progress(int(i), len(reviews), f"{review['rank_date']:%Y-%m-%d}")
        view = market.view(review["rank_date"])
        view.previous_rank_date = previous_rank_date
        output = run_review(methodology, view, review, previous, label)
        outputs.append(output)
        previous = output.assignment
        previous_rank_date = view.as_of
    if progress:
        progress(len(reviews), len(reviews), "done")
    return outputs


def by_security(rows: pd.DataFrame) -> pd.DataFrame:
    """Assignment rows folded to one row per security: fractions summed, bucket names
    joined with '+', notes with '; '. Most securities sit in one bucket, so only the few
    split ones (packeting) go through Python."""
    notes = rows["note"] if "note" in rows.columns else pd.Series("", index=rows.index)
    frame = pd.DataFrame(
        {
            "fraction": rows["fraction"].to_numpy(),
            "bucket": rows["bucket"].to_numpy(),
            "note": notes.fillna("").to_numpy(),
        },
        index=pd.Index(rows["security_id"].to_numpy(), name="security_id"),
    )
    split = frame.index.duplicated(keep=False)
    if not split.any():
        return frame
    parts = frame[split]
    grouped = parts.groupby(level=0, sort=False)
    nth = grouped.cumcount().to_numpy()
    first = parts[nth == 0]
    bucket = first["bucket"].astype(object).copy()
    note = first["note"].astype(object).copy()
    for k in range(1, int(nth.max()) + 1):  # vectorised over securities, one pass per part
        more = parts[nth == k]
        bucket[more.index] = bucket[more.index] + "+" + more["bucket"].to_numpy()
        extra = more["note"].to_numpy(dtype=object)
        old = note[more.index].to_numpy(dtype=object)
        joined = np.where((old != "") & (extra != ""), old + "; " + extra, np.where(old != "", old, extra))
        note[more.index] = joined
    folded = pd.DataFrame({"fraction": grouped["fraction"].sum(), "bucket": bucket, "note": note})
    return pd.concat([frame[~split], folded])


def _keep_members(
    bucketing: Resolved, view: MarketView, ranked: pd.DataFrame, previous: pd.DataFrame, label: str
) -> pd.DataFrame:
    """Between reconstitutions: every listed member keeps its buckets and fractions; the
    bucketing places only the newcomers, ranked among the members at today's prices (so
    breakpoints are the latest reconstitution's, market-adjusted)."""
    kept = previous[isin(previous["security_id"], ranked.index)].copy()
    kept["note"] = ""
    if ranked["incumbent"].all():
        return kept.reset_index(drop=True)
    placed = _call(bucketing, "assign", label, view, ranked, previous)
    newcomers = placed[~isin(placed["security_id"], previous["security_id"])].copy()
    if "note" not in newcomers.columns:
        newcomers["note"] = ""
    newcomers["note"] = "added between reconstitutions"
    return pd.concat([kept, newcomers[kept.columns]], ignore_index=True)


def run_review(
    methodology: Methodology,
    view: MarketView,
    review: pd.Series,
    previous: pd.DataFrame,
    label: str,
) -> ReviewOutput:
    """One review, from the listed securities to each index's target weights.

    At an ``additions`` or ``rebalance`` review (see :data:`~indexsmith.components.REVIEW_KINDS`)
    members stay while listed and are not screened; an ``additions`` review considers only
    securities first listed after the previous rank date as newcomers.
    """
    kind = str(review.get("kind", "reconstitution")) if len(previous) else "reconstitution"
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
        reasons = _call(screen, "screen", label, view, subject)
        reasons = contracts.check_reasons(screen, reasons, subject, label)
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

    measure = _call(methodology.ranking, "measure", label, view, universe)
    measure = contracts.check_measure(methodology.ranking, measure, universe, label)
    ranked = universe.assign(measure=measure)
    # Documented tie-break: measure descending, then company_id, then security_id.
    order = np.lexsort(
        (
            ranked.index.to_numpy(dtype=str),
            ranked["company_id"].to_numpy(dtype=str),
            -ranked["measure"].to_numpy(),
        )
    )
    ranked = ranked.iloc[order]
    ranked["rank"] = np.arange(1, len(ranked) + 1)
    for column, value in facts(view, ranked.index).items():
        ranked[column] = value

    bucketing = methodology.bucketing
    declared = tuple(bucketing.component.bucket_names())  # type: ignore[attr-defined]
    if kind == "reconstitution":
        assignment = _call(bucketing, "assign", label, view, ranked, previous)
    else:
        assignment = _keep_members(bucketing, view, ranked, previous, label)
    assignment = contracts.check_buckets(bucketing, assignment, ranked, declared, label)

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
        weights = _call(index.weighting, "weigh", label, view, members)
        weights = contracts.check_weights(index.weighting, weights, members, label)
        if index.capping is not None:
            weights = _call(index.capping, "cap", label, view, members, weights)
            weights = contracts.check_weights(index.capping, weights, members, label)
        members["weight"] = weights
        # A zero weight (a style index's stocks wholly in the other style) is no holding.
        constituents[index.spec.id] = members[members["weight"] > 0]
    return ReviewOutput(review, excluded, ranked, assignment, constituents)
