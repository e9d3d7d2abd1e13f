"""One review: from the listed securities on an as-of view to each index's target weights
(screens -> ranking -> bucketing or replacement -> weighting -> capping).

Every stage works on whole columns of securities; every output is checked against its
stage contract before the next stage runs. Nothing here knows about time beyond the one
review: the timeline (:mod:`indexsmith.engine.timeline`) decides which reviews and
replacements happen when.
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
from indexsmith.data.schema import MAX_PROBLEMS
from indexsmith.data.view import MarketView
from indexsmith.definition.model import Methodology, Resolved, ResolvedIndex
from indexsmith.engine.memo import StageMemo
from indexsmith.errors import ComponentError, DataError, DefinitionError, IndexsmithError, Problem
from indexsmith.frames import BUCKET_COLUMNS, UNIVERSE_COLUMNS, by_security, isin, with_columns

Progress = Callable[[int, int, str], None]

#: What the members of each index carry from one review to the next: the state columns a
#: weighting returned (see :class:`~indexsmith.components.Weighting`), by security.
States = dict[str, pd.DataFrame]


@attrs.frozen
class ReviewOutput:
    """What one review (or a replacement between reviews) decided, for the family and each
    index. ``states`` holds each index's weighting state for the next review."""

    review: Review
    exclusions: pd.DataFrame
    ranked: pd.DataFrame
    assignment: pd.DataFrame
    constituents: dict[str, pd.DataFrame]
    states: States = attrs.field(factory=dict)


def empty_assignment() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object if c != "fraction" else float) for c in BUCKET_COLUMNS})


def facts(view: MarketView, ids: pd.Index) -> dict[str, np.ndarray]:
    """Company market cap, float-adjusted cap, trailing-four-quarter net income, latest book
    equity, 63-session average daily dollar volume, shares outstanding and float factor of
    ``ids`` on the view's date."""
    return {
        "company_market_cap": view.company_market_cap(ids).to_numpy(dtype=float),
        "float_market_cap": view.float_market_cap(ids).to_numpy(dtype=float),
        "ttm_net_income": view.ttm(ids).to_numpy(dtype=float),
        "book_equity": view.latest_fundamental(ids, "book_equity").to_numpy(dtype=float),
        "adv": view.average_dollar_volume(ids, 63).to_numpy(dtype=float),
        "shares_outstanding": view.shares_outstanding(ids).to_numpy(dtype=float),
        "float_factor": view.float_factor(ids).to_numpy(dtype=float),
    }


def call(resolved: Resolved, method: str, when: Review | str, *args: Any) -> Any:
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
    """Between reconstitutions: every listed member keeps its buckets, fractions and notes
    (the bucketing's state: a buffer used once stays used); the bucketing places only the
    newcomers, ranked among the members at today's prices (so breakpoints are the latest
    reconstitution's, market-adjusted)."""
    kept = previous[isin(previous["security_id"], ranked.index)].copy()
    if "note" not in kept.columns:
        kept["note"] = ""
    kept["note"] = kept["note"].fillna("")
    if ranked["incumbent"].all():
        return kept.reset_index(drop=True)
    placed = call(bucketing, "assign", review, view, ranked, previous)
    newcomers = placed[~isin(placed["security_id"], previous["security_id"])].copy()
    newcomers["note"] = "added between reconstitutions"
    return pd.concat([kept, newcomers[kept.columns]], ignore_index=True)


def _replace(
    methodology: Methodology,
    view: MarketView,
    ranked: pd.DataFrame,
    previous: pd.DataFrame,
    vacated: pd.DataFrame,
    review: Review,
) -> pd.DataFrame:
    """A replacement between reviews: the family's replacement policy fills the places the
    vacated securities left; every security of ``previous`` stays."""
    current = previous[isin(previous["security_id"], ranked.index)].copy()
    if "note" not in current.columns:
        current["note"] = ""
    current["note"] = current["note"].fillna("")
    placed = call(
        methodology.replacement,
        "replace",
        review,
        view,
        ranked,
        current,
        vacated,
        methodology.bucketing.component,
    )
    declared = tuple(methodology.bucketing.component.bucket_names())  # type: ignore[attr-defined]
    placed = contracts.check_buckets(methodology.replacement, placed, ranked, declared, review)
    missing = current[~isin(current["security_id"], placed["security_id"])]
    if len(missing):
        raise contracts.broke(
            methodology.replacement,
            review,
            f"security {missing['security_id'].iloc[0]} of the family was dropped",
        )
    if "note" not in placed.columns:
        placed["note"] = ""
    notes = placed["note"].fillna("")
    new = ~isin(placed["security_id"], current["security_id"])
    gone = ", ".join(sorted(vacated["security_id"].unique()))
    placed["note"] = notes.where(~new | (notes != ""), f"replacement for {gone}")
    return placed


def _screen(
    methodology: Methodology, view: MarketView, review: Review, universe: pd.DataFrame, kind: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The universe after the screens, and the exclusions with their reasons. At a
    reconstitution every screen applies as its ``applies_to`` says; at any other review
    only non-members are screened (members stay while listed)."""
    exclusions = []
    for screen in methodology.screens:
        if screen.applies_to == "additions" or kind != "reconstitution":
            subject = universe[~universe["incumbent"]]
        elif screen.applies_to == "incumbents":
            subject = universe[universe["incumbent"]]
        else:
            subject = universe
        reasons = call(screen, "screen", review, view, subject)
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

    return universe, excluded


def run_review(
    methodology: Methodology,
    view: MarketView,
    review: Review,
    previous: pd.DataFrame,
    states: States | None = None,
    *,
    vacated: pd.DataFrame | None = None,
    candidates: pd.Index | None = None,
    exclude: frozenset[str] = frozenset(),
    keep: dict[str, pd.DataFrame] | None = None,
    memo: StageMemo | None = None,
) -> ReviewOutput:
    """One review, from the listed securities to each index's target weights.

    At an ``additions`` or ``rebalance`` review (see :data:`~indexsmith.frames.REVIEW_KINDS`)
    members stay while listed and are not screened; an ``additions`` review considers only
    securities first listed after the previous rank date as newcomers.

    A replacement between reviews (``vacated`` given) keeps every member; the family's
    replacement policy fills the places from ``candidates`` — the non-members eligible at
    the latest review — ranked on this view, and each one it picks must still pass every
    screen on this view (one that fails is set aside and the policy picks again).
    ``exclude`` names securities that may not be chosen (they leave the market before the
    change takes effect). ``keep`` holds indices' current members: an index whose members
    the change leaves as they are keeps them (and its weighting state) without being
    weighted again. With a ``memo`` the screens and the ranking run once for every build
    that shares them with this one (:class:`~indexsmith.engine.memo.StageMemo`).
    """
    kind = review.kind if len(previous) else "reconstitution"
    if vacated is not None:
        universe, gaps = _listed(methodology, view, review, previous, exclude)
        pool = candidates if candidates is not None else universe.index
        universe = universe[universe["incumbent"] | isin(universe.index, pool)]
        return _replacement(methodology, view, review, universe, previous, states, vacated, keep, gaps)
    if memo is None:
        excluded, ranked = _select(methodology, view, review, previous, kind, exclude)
    else:  # the same view, screens, ranking and incumbents give the same selection
        key = (id(view), memo.prefix(methodology), kind, exclude, tuple(sorted(previous["security_id"])))
        excluded, ranked = memo.selection(
            key, lambda: _select(methodology, view, review, previous, kind, exclude)
        )
    bucketing = methodology.bucketing
    declared = tuple(bucketing.component.bucket_names())  # type: ignore[attr-defined]
    if kind == "reconstitution":
        assignment = call(bucketing, "assign", review, view, ranked, previous)
    else:
        assignment = _keep_members(bucketing, view, ranked, previous, review)
    assignment = contracts.check_buckets(bucketing, assignment, ranked, declared, review)
    return _output(methodology, view, review, excluded, ranked, assignment, states, keep)


def _listed(
    methodology: Methodology,
    view: MarketView,
    review: Review,
    previous: pd.DataFrame,
    exclude: frozenset[str],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The listed securities with their ``incumbent`` flag (without ``exclude`` and the
    securities the data lacks figures for), and the exclusions of those lacking figures."""
    universe = view.securities.loc[:, list(UNIVERSE_COLUMNS)].copy()
    universe["incumbent"] = isin(universe.index, previous["security_id"])
    if exclude:
        universe = universe[universe["incumbent"] | ~isin(universe.index, exclude)]
    return _data_gaps(methodology, view, review, universe)


def _select(
    methodology: Methodology,
    view: MarketView,
    review: Review,
    previous: pd.DataFrame,
    kind: str,
    exclude: frozenset[str],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The leading stages of a review: the exclusions (with reasons) and the ranked universe."""
    universe, gaps = _listed(methodology, view, review, previous, exclude)
    if kind == "rebalance":
        universe = universe[universe["incumbent"]]
    elif kind == "additions":
        since = view.previous_rank_date
        fresh = universe["listing_date"] > since if since is not None else True
        universe = universe[universe["incumbent"] | fresh]
    universe, excluded = _screen(methodology, view, review, universe, kind)
    if len(gaps):
        excluded = pd.concat([gaps, excluded], ignore_index=True)
    return excluded, _ranked(methodology, view, review, universe)


def _data_gaps(
    methodology: Methodology, view: MarketView, review: Review, universe: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Listed securities the data lacks shares or a float factor for on the rank date:
    a :class:`DataError` naming each (table, security, date) before any component sees
    them, or — with ``missing_data = "exclude"`` — the universe without them and their
    exclusion rows (screen ``data``), after those of the securities listed without a close
    on the rank date (:meth:`MarketView.unpriced`, never in the universe)."""
    reasons = view.missing_data(universe.index)
    lacking = reasons[reasons.notna()]
    if lacking.empty or methodology.definition.missing_data == "exclude":
        # Securities listed without a close on the rank date are not in the view at all:
        # they are recorded beside those the definition leaves out for missing shares.
        unpriced = view.unpriced()
        gaps = pd.DataFrame(
            {
                "security_id": [*unpriced.index.astype(object), *lacking.index.astype(object)],
                "screen": "data",
                "reason": [*unpriced.to_numpy(), *lacking.to_numpy()],
            }
        )
        return (universe.drop(index=lacking.index) if len(lacking) else universe), gaps
    problems = [
        Problem(
            f"security {security} is listed with a price but {reason}",
            f"the review with rank date {review.rank_date:%Y-%m-%d}",
            'add a shares row for it dated on or before the rank date, or set missing_data = "exclude" '
            "in the definition to leave such securities out with this reason",
        )
        for security, reason in lacking.iloc[:MAX_PROBLEMS].items()
    ]
    if len(lacking) > MAX_PROBLEMS:
        problems.append(Problem(f"... and {len(lacking) - MAX_PROBLEMS} more securities not shown"))
    raise DataError(problems, source=view.source)


def _ranked(
    methodology: Methodology, view: MarketView, review: Review, universe: pd.DataFrame
) -> pd.DataFrame:
    measure = call(methodology.ranking, "measure", review, view, universe)
    measure = contracts.check_measure(methodology.ranking, measure, universe, review)
    return rank(universe.assign(measure=measure))


def _replacement(
    methodology: Methodology,
    view: MarketView,
    review: Review,
    universe: pd.DataFrame,
    previous: pd.DataFrame,
    states: States | None,
    vacated: pd.DataFrame,
    keep: dict[str, pd.DataFrame] | None,
    gaps: pd.DataFrame,
) -> ReviewOutput:
    """Members stay; the policy picks among the candidates ranked on this view; a pick
    that fails a screen on this view is set aside with its reason and the policy picks
    again (a handful of securities are screened, not the market)."""
    set_aside = [gaps] if len(gaps) else []
    while True:
        ranked = _ranked(methodology, view, review, universe)
        assignment = _replace(methodology, view, ranked, previous, vacated, review)
        picked = universe.loc[universe.index.isin(assignment["security_id"]) & ~universe["incumbent"]]
        _, failed = _screen(methodology, view, review, picked, "replacement")
        if failed.empty:
            break
        set_aside.append(failed)
        universe = universe.drop(index=failed["security_id"].unique())
    excluded = pd.concat(set_aside, ignore_index=True) if set_aside else failed
    return _output(methodology, view, review, excluded, ranked, assignment, states, keep)


def _output(
    methodology: Methodology,
    view: MarketView,
    review: Review,
    excluded: pd.DataFrame,
    ranked: pd.DataFrame,
    assignment: pd.DataFrame,
    states: States | None,
    keep: dict[str, pd.DataFrame] | None,
) -> ReviewOutput:
    """Each index's members and target weights from the family's assignment."""
    kept: set[str] = set()
    if keep is not None:
        for index in methodology.indices:
            if index.spec.id in keep:
                mine = set(assignment.loc[assignment["bucket"].isin(index.buckets), "security_id"])
                if mine == set(keep[index.spec.id].index):
                    kept.add(index.spec.id)
    # What constituent rows record about each security, for those of the indices weighted
    # here only (an index whose members a replacement leaves alone keeps its rows).
    weighed = [i for i in methodology.indices if i.spec.id not in kept]
    if kept:
        buckets = {b for i in weighed for b in i.buckets}
        assigned = isin(ranked.index, assignment.loc[assignment["bucket"].isin(buckets), "security_id"])
    else:
        assigned = isin(ranked.index, assignment["security_id"])
    columns = {}
    for column, value in facts(view, ranked.index[assigned]).items():
        columns[column] = np.full(len(ranked), np.nan)
        columns[column][assigned] = value
    ranked = with_columns(ranked, columns)
    constituents, new_states = {}, {}
    for index in methodology.indices:
        if index.spec.id in kept:
            assert keep is not None
            constituents[index.spec.id] = keep[index.spec.id]
            new_states[index.spec.id] = (states or {}).get(index.spec.id, pd.DataFrame())
            continue
        members, state = index_members(
            index, methodology, view, review, ranked, assignment, (states or {}).get(index.spec.id)
        )
        new_states[index.spec.id] = state
        # A zero weight (a style index's stocks wholly in the other style) is no holding.
        constituents[index.spec.id] = members[members["weight"] > 0]
    return ReviewOutput(review, excluded, ranked, assignment, constituents, new_states)


def index_members(
    index: ResolvedIndex,
    methodology: Methodology,
    view: MarketView,
    review: Review,
    ranked: pd.DataFrame,
    assignment: pd.DataFrame,
    state: pd.DataFrame | None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One index's members with their target weights (and target shares, for a weighting
    that holds shares), and the weighting's state for the next review."""
    rows = assignment[assignment["bucket"].isin(index.buckets)]
    per_security = by_security(rows)
    members = ranked.iloc[np.flatnonzero(isin(ranked.index, per_security.index))]
    if members.empty:
        raise ComponentError(
            f"index '{index.spec.id}' has no members {review.label}: bucketing '{methodology.bucketing.entry.name}' put no "
            f"security in {', '.join(index.buckets)} — check the universe screens and the bucket sizes against the data"
        )
    # Every member has its row (members are the ranked securities assigned): a take.
    row = per_security.index.get_indexer(members.index)
    columns: dict[str, Any] = {}
    for column in ("fraction", "bucket", "note"):
        values = per_security[column]
        columns[column] = pd.Series(values.to_numpy()[row], index=members.index, dtype=values.dtype)
    columns["review"] = review.kind
    members = with_columns(members, columns)
    # The weighting sees the state it left at the last review as previous_* columns.
    previous: dict[str, Any] = {}
    if state is not None and len(state.columns):
        known = state.index.get_indexer(members.index) if state.index.is_unique else None
        for column in state.columns:
            if known is not None and (known >= 0).all():
                values = state[column]
                previous[f"previous_{column}"] = pd.Series(
                    values.to_numpy()[known], index=members.index, dtype=values.dtype
                )
            else:
                previous[f"previous_{column}"] = state[column].reindex(members.index)
    weighed = with_columns(members, previous) if previous else members
    weighting = index.weighting
    if getattr(weighting.component, "holding", "weights") == "shares":
        result = call(weighting, "index_shares", review, view, weighed)
        shares, new_state = contracts.split_state(weighting, result, "index_shares", weighed, review)
        shares = contracts.check_shares(weighting, shares, weighed, review)
        value = shares * view.close(weighed.index)
        weights = value / value.sum()
        target_shares: Any = shares
    else:
        result = call(weighting, "weigh", review, view, weighed)
        weights, new_state = contracts.split_state(weighting, result, "weight", weighed, review)
        weights = contracts.check_weights(weighting, weights, weighed, review)
        target_shares = np.nan
    if index.capping is not None:
        weights = call(index.capping, "cap", review, view, weighed, weights)
        weights = contracts.check_weights(index.capping, weights, weighed, review)
    out = with_columns(members, {"target_shares": target_shares, "weight": weights})
    return out, new_state


def date_range(
    methodology: Methodology, start: dt.date | None, end: dt.date | None, first: dt.date, last: dt.date
) -> tuple[dt.date, dt.date]:
    """The build's first and last dates: the caller's, else the definition's, else the
    data's; a start after the end says whose dates they were."""
    d = methodology.definition

    def said(given: dt.date | None, own: dt.date | None, name: str, data: str) -> str:
        if given is not None:
            return f"{name} {given}"
        return f"the definition's {name} {own}" if own is not None else f"the data's {data}"

    lo, hi = start or d.start or first, end or d.end or last
    if lo > hi:
        raise DefinitionError(
            [
                Problem(
                    f"{said(start, d.start, 'start', f'first session {first}')} is after "
                    f"{said(end, d.end, 'end', f'last session {last}')}",
                    hint=f"choose a start on or before the end (the data covers {first}..{last})",
                )
            ],
            methodology.source,
        )
    return lo, hi
