"""Turning the engine's per-review outputs into result tables: constituents with their
change and reason, additions and deletions, exclusions, and each index's provenance.

Nothing here calculates levels: the pipeline attaches each index's calculation
(:meth:`IndexResult.with_calculation`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from indexsmith.calculation.levels import BETWEEN_COLUMNS, Calculation
from indexsmith.components import Review
from indexsmith.data.market import Market
from indexsmith.data.reference import ticker_history
from indexsmith.definition.model import Methodology, ResolvedIndex
from indexsmith.engine import Event, ReviewOutput, Run, leaving_reasons
from indexsmith.frames import (
    CHANGE_COLUMNS,
    CONSTITUENT_COLUMNS,
    EXCLUSION_COLUMNS,
    FACT_COLUMNS,
    MEMBERSHIP_COLUMNS,
    by_security,
    isin,
)
from indexsmith.results.model import BuildResult, IndexResult
from indexsmith.version import __version__


def assemble(methodology: Methodology, market: Market, run: Run) -> BuildResult:
    """Turn what the engine decided into result tables (without levels)."""
    reviews = run.outputs
    exclusions = _exclusions(reviews, market)
    # Why each security of a change between reviews left, once for every index: a
    # security held in two buckets (packets) has two rows with one reason.
    left = [
        dict(zip(e.vacated["security_id"].astype(object), e.vacated["reason"].astype(object), strict=True))
        for e in run.events
    ]
    base_info = {
        "indexsmith_version": __version__,
        "family_id": methodology.definition.id,
        "definition_source": methodology.source,
        "definition": methodology.normalised(),
        "data": {
            "source": market.source,
            "fingerprint": market.fingerprint(),
            "calendar": market.calendar.code,
            "first_session": f"{market.first_session:%Y-%m-%d}",
            "last_session": f"{market.last_session:%Y-%m-%d}",
            "securities": len(market.securities),
        },
        "reviews": len(reviews),
        "changes_between_reviews": len(run.events),
        "warnings": list(run.warnings),
        "pending_reviews": [
            {
                "rank_date": f"{row.rank_date:%Y-%m-%d}",
                "announcement_date": f"{row.announcement_date:%Y-%m-%d}",
                "effective_date": f"{row.effective_date:%Y-%m-%d}",
                "review": str(row.kind),
                "pro_forma": i == 0 and run.pro_forma is not None,
            }
            for i, row in enumerate(run.pending.itertuples(index=False))
        ],
    }
    indices = {}
    buckets = [by_security(output.assignment)["bucket"] for output in reviews]  # once, for every index
    reasons: Reasons = {}
    for index in methodology.indices:
        constituents, changes, between = _index_tables(
            index, reviews, buckets, run.events, market, left, reasons
        )
        components = [
            c.provenance()
            for c in (
                methodology.schedule,
                *methodology.screens,
                methodology.ranking,
                methodology.bucketing,
                methodology.replacement,
                index.weighting,
                *([index.capping] if index.capping else []),
            )
        ]
        info = {
            "index_id": index.spec.id,
            "index_name": index.spec.name,
            **base_info,
            "components": components,
        }
        proposed, proposed_changes = None, None
        if run.pro_forma is not None:
            from indexsmith.results.proforma import pro_forma_tables

            held = run.state.members.get(index.spec.id, frozenset()) if run.state is not None else frozenset()
            current = pd.Index(sorted(held), dtype=object)
            known_by = run.state.as_of if run.state is not None else market.last_session
            proposed, proposed_changes = pro_forma_tables(
                index.spec.id, run.pro_forma, current, market, known_by
            )
        indices[index.spec.id] = IndexResult(
            index.spec.id,
            constituents,
            changes,
            exclusions,
            info,
            between=between,
            pro_forma=proposed,
            pro_forma_changes=proposed_changes,
        )
    return BuildResult(
        methodology.definition.id, indices, pending=run.pending, spin_off_drops=run.spin_off_drops
    )


def attach(result: IndexResult, calculation: Calculation, market: Market) -> IndexResult:
    """An index result with its calculation and its membership intervals."""
    return result.with_calculation(calculation, membership(calculation.log, result, market))


def membership(log: pd.DataFrame, result: IndexResult, market: Market) -> pd.DataFrame:
    """One row per continuous membership interval, from the calculation's entries and
    exits: ``entry_date`` is the first session held (the session after the entering close),
    ``exit_date`` the first session no longer held (null while a member); reasons come
    from the changes table where a review or replacement decided them, else from the
    corporate event."""
    if log.empty:
        return _typed(pd.DataFrame(columns=list(MEMBERSHIP_COLUMNS)), MEMBERSHIP_COLUMNS)
    # The exchange calendar, not the data's sessions: an exit at the data's last close is
    # still dated (the next session the exchange opens).
    sessions = market.calendar.sessions
    after = np.minimum(sessions.searchsorted(pd.DatetimeIndex(log["date"]), side="right"), len(sessions) - 1)
    next_session = list(sessions[after])
    # Plain dicts: the loop below looks up one row at a time (the first reason recorded
    # for a change counts).
    changes: dict[tuple[Any, str, str], Any] = {}
    frame = result.changes
    for key, text in zip(
        zip(frame["effective_date"], frame["security_id"], frame["change"], strict=True),
        frame["reason"],
        strict=True,
    ):
        changes.setdefault(key, text)
    rows: dict[str, list[Any]] = {c: [] for c in MEMBERSHIP_COLUMNS}
    open_at: dict[str, int] = {}
    company = market.company_of.to_dict()
    for i, (date, sid, event, reason) in enumerate(
        log[["date", "security_id", "event", "reason"]].itertuples(index=False)
    ):
        decided = changes.get((date, sid, "addition" if event == "entry" else "deletion"))
        text = decided if isinstance(decided, str) and decided else reason
        if event == "entry":
            if sid in open_at:
                continue
            open_at[sid] = len(rows["security_id"])
            rows["security_id"].append(sid)
            rows["company_id"].append(company.get(sid))
            rows["entry_date"].append(next_session[i])
            rows["exit_date"].append(pd.NaT)
            rows["entry_reason"].append(text)
            rows["exit_reason"].append(None)
        elif sid in open_at:
            k = open_at.pop(sid)
            rows["exit_date"][k] = next_session[i]
            rows["exit_reason"][k] = text
    table = pd.DataFrame(rows).sort_values(["entry_date", "security_id"], kind="stable")
    return _typed(table, MEMBERSHIP_COLUMNS)


def _exclusions(reviews: list[ReviewOutput], market: Market) -> pd.DataFrame:
    frames = []
    for output in reviews:
        frame = output.exclusions.copy()
        frame.insert(0, "rank_date", output.review.rank_date)
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True)
    history = ticker_history(market)
    table["ticker"] = None
    for rank_date, rows in table.groupby("rank_date", sort=False).groups.items():
        tickers = history.on(rank_date)
        table.loc[rows, "ticker"] = np.array(
            [tickers.get(sid, np.nan) for sid in table.loc[rows, "security_id"]], dtype=object
        )
    table["rank_date"] = pd.to_datetime(table["rank_date"]).astype("datetime64[ns]")
    return _typed(table.sort_values(["rank_date", "security_id"], kind="stable"), EXCLUSION_COLUMNS)


def _concat_dated(parts: list[tuple[pd.DataFrame, Review]]) -> pd.DataFrame:
    """The frames of ``parts`` one after another, each row dated by its review (as
    :func:`_dated` dates one frame), the dates set once for all rows."""
    parts = [(frame, review) for frame, review in parts if len(frame)]
    if not parts:
        return pd.DataFrame()
    table = pd.concat([frame for frame, _ in parts], ignore_index=True)
    lengths = [len(frame) for frame, _ in parts]
    for column in ("rank_date", "announcement_date", "effective_date"):
        days = pd.DatetimeIndex([getattr(review, column) for _, review in parts])
        table[column] = days.repeat(lengths)
    table["review"] = pd.Series(
        np.repeat(np.array([r.kind for _, r in parts], dtype=object), lengths), dtype=object
    )
    return table


def _dated(frame: pd.DataFrame, review: Review) -> pd.DataFrame:
    for column in ("rank_date", "announcement_date", "effective_date"):
        frame[column] = getattr(review, column)
    frame["review"] = review.kind
    return frame


def _index_tables(
    index: ResolvedIndex,
    reviews: list[ReviewOutput],
    buckets: list[pd.Series],
    events: list[Event],
    market: Market,
    left: list[dict[str, str]],
    review_reasons: Reasons | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Constituents at each review, every change (at reviews and between them) with its
    reason, and the changes between reviews as the calculation reads them."""
    frames, changes = [], []
    between: dict[str, list[Any]] = {c: [] for c in BETWEEN_COLUMNS}
    moves: dict[str, list[Any]] = {c: [] for c in CHANGE_COLUMNS}
    previous: dict[str, None] | None = None

    history = ticker_history(market)

    def tickers(date: pd.Timestamp) -> Mapping[str, str]:
        """Tickers in force on ``date`` (ticker changes applied)."""
        return history.on(date)

    departures = _departures(market)
    timeline = sorted(
        [(output.review.effective_date, 1, i) for i, output in enumerate(reviews)]
        + [(event.review.effective_date, 0, i) for i, event in enumerate(events)]
    )
    for _, is_review, i in timeline:
        if not is_review:
            event = events[i]
            removed, added = event.removed[index.spec.id], event.added.get(index.spec.id)
            if previous is None or (not len(removed) and (added is None or not len(added))):
                continue
            review = event.review
            reasons = left[i]
            migrated = [sid for sid in removed if sid not in reasons]
            now = by_security(event.assignment)["bucket"] if migrated else None
            rows = [(sid, "deletion", _left(sid, reasons, now), np.nan, np.nan, np.nan) for sid in removed]
            if added is not None and len(added):
                float_shares = added["shares_outstanding"] * (
                    added["float_factor"] if index.calculation.share_basis == "float" else 1.0
                )
                rows += [
                    (sid, "addition", note or "", shares, fs, weight)
                    for sid, note, shares, fs, weight in zip(
                        added.index,
                        added["note"],
                        added["target_shares"],
                        float_shares,
                        added["weight"],
                        strict=True,
                    )
                ]
            for sid, change, reason, shares, fs, weight in rows:
                for column, value in (
                    ("rank_date", review.rank_date),
                    ("announcement_date", review.announcement_date),
                    ("effective_date", review.effective_date),
                    ("review", review.kind),
                    ("security_id", sid),
                    ("ticker", tickers(review.rank_date).get(sid)),
                    ("change", change),
                    ("reason", reason),
                ):
                    moves[column].append(value)
                for column, value in (
                    ("rank_date", review.rank_date),
                    ("effective_date", review.effective_date),
                    ("review", review.kind),
                    ("security_id", sid),
                    ("change", change),
                    ("target_shares", shares),
                    ("float_shares", fs),
                    ("weight", weight),
                ):
                    between[column].append(value)
            for sid in removed:
                previous.pop(sid, None)
            if added is not None and len(added):
                previous.update(dict.fromkeys(added.index))
            continue
        output, assigned = reviews[i], buckets[i]
        members = output.constituents[index.spec.id]
        review = output.review
        current = members.index
        before = pd.Index(list(previous), dtype=object) if previous is not None else pd.Index([])
        added_now = ~isin(current, before)
        frame = members.reset_index()
        frame["change"] = pd.Series(added_now).map({True: "addition", False: "retained"}).to_numpy()
        reasons_now = np.full(len(frame), "", dtype=object)
        reasons_now[added_now] = (
            "rank " + frame["rank"][added_now].astype(str) + " in " + frame["bucket"][added_now]
        ).to_numpy(dtype=object)
        frame["reason"] = pd.Series(reasons_now, index=frame.index, dtype=object)
        notes = frame["note"].fillna("")
        replaced = added_now & notes.str.startswith("replacement for").to_numpy()
        frame.loc[replaced, "reason"] = notes[replaced]
        frames.append((frame, review))
        additions = frame[added_now]
        changes.append(
            (
                pd.DataFrame(
                    {
                        "security_id": additions["security_id"],
                        "ticker": additions["ticker"],
                        "change": "addition",
                        "reason": additions["reason"],
                    }
                ),
                review,
            )
        )
        if previous is not None:
            gone = before[~isin(before, current)]
            changes.append(
                (
                    _deletions(gone, tickers(review.rank_date), output, assigned, departures, review_reasons),
                    review,
                )
            )
        # The members in order, kept as a dict: each change between reviews removes and
        # appends a few (thousands of changes, each index).
        previous = dict.fromkeys(current)
    constituents = _concat_dated(frames).sort_values(["effective_date", "rank", "security_id"], kind="stable")
    at_reviews = _concat_dated(changes)
    parts = [c for c in (at_reviews, pd.DataFrame(moves)) if len(c)]
    change_table = pd.concat(parts, ignore_index=True).sort_values(
        ["effective_date", "change", "security_id"], kind="stable"
    )
    return (
        _typed(constituents, CONSTITUENT_COLUMNS),
        _typed(change_table, CHANGE_COLUMNS),
        pd.DataFrame(between, columns=list(BETWEEN_COLUMNS)),
    )


def _left(sid: str, reasons: dict[str, str], now: pd.Series | None) -> str:
    """Why a security left an index between reviews: it left the market, or it migrated."""
    if sid in reasons:
        return str(reasons[sid])
    return f"migrated to {now.get(sid, 'no bucket') if now is not None else 'no bucket'}"


def _departures(market: Market) -> tuple[dict[str, pd.Timestamp], dict[str, str]]:
    """Each delisted security's last close and why it left the market (once per market)."""

    def both() -> tuple[dict[str, pd.Timestamp], dict[str, str]]:
        table = _departures_of(market)
        return (
            dict(zip(table.index, table["date"], strict=True)),
            dict(zip(table.index, table["reason"], strict=True)),
        )

    return market.memo("departures", both)


def _departures_of(market: Market) -> pd.DataFrame:
    securities = market.securities.dropna(subset=["delisting_date"])
    last = market.sessions.searchsorted(pd.DatetimeIndex(securities["delisting_date"]))
    reasons = leaving_reasons(market)
    return pd.DataFrame(
        {
            "date": pd.DatetimeIndex(securities["delisting_date"]),
            "reason": [
                reasons.get((sid, int(s)), f"delisted, last close {d:%Y-%m-%d}")
                for sid, s, d in zip(
                    securities["security_id"], last, securities["delisting_date"], strict=True
                )
            ],
        },
        index=pd.Index(securities["security_id"]),
    )


def _deletions(
    gone: pd.Index,
    tickers: Mapping[str, str],
    output: ReviewOutput,
    assigned: pd.Series,
    departures: tuple[dict[str, pd.Timestamp], dict[str, str]],
    cache: Reasons | None = None,
) -> pd.DataFrame:
    """Why each former member left: the screen that excluded it, its leaving the market
    before the review took effect, where it ranked, or its delisting."""
    excluded, rank_of = _review_reasons(output, cache) if len(gone) else ({}, {})
    effective = output.review.effective_date
    left_on, left_why = departures
    reasons = []
    for sid in gone:
        if sid in excluded:
            screen, why = excluded[sid]
            reasons.append(f"excluded by {screen!s}: {why!s}")
        elif sid in left_on and left_on[sid] <= effective:
            reasons.append(str(left_why[sid]))
        elif sid in rank_of:
            bucket = assigned.get(sid, "no bucket")
            reasons.append(f"rank {rank_of[sid]!s} in {bucket}")
        else:
            reasons.append("no longer listed on the rank date")
    return pd.DataFrame(
        {
            "security_id": list(gone),
            "ticker": np.array([tickers.get(sid, np.nan) for sid in gone], dtype=object),
            "change": "deletion",
            "reason": reasons,
        }
    )


#: Each review's exclusions and ranks as dicts, by review (see :func:`_review_reasons`).
Reasons = dict[int, tuple[ReviewOutput, dict[str, tuple[str, str]], dict[str, int]]]


def _review_reasons(
    output: ReviewOutput, cache: Reasons | None = None
) -> tuple[dict[str, tuple[str, str]], dict[str, int]]:
    """A review's first exclusion per security and rank per security, made once for every
    index of the family with a ``cache`` (which keeps the review, so its id names it)."""
    found = cache.get(id(output)) if cache is not None else None
    if found is not None and found[0] is output:
        return found[1], found[2]
    first = output.exclusions.drop_duplicates("security_id")
    excluded = dict(
        zip(first["security_id"], zip(first["screen"], first["reason"], strict=True), strict=True)
    )
    ranked = output.ranked
    rank_of = dict(zip(ranked.index, ranked["rank"].to_numpy(), strict=True))
    if cache is not None:
        cache[id(output)] = (output, excluded, rank_of)
    return excluded, rank_of


def _typed(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    out = frame.reindex(columns=list(columns)).reset_index(drop=True)
    for column in out.columns:
        if column.endswith("_date"):
            if out[column].dtype != "datetime64[ns]":
                out[column] = pd.to_datetime(out[column]).astype("datetime64[ns]")
        elif column in ("rank",):
            out[column] = out[column].astype("int64")
        elif column in ("measure", "fraction", "weight", "target_shares", *FACT_COLUMNS):
            out[column] = out[column].astype("float64")
        else:  # object text with None for a missing value
            values = out[column].to_numpy(dtype=object)
            missing = pd.isna(values)
            if missing.any():
                values = values.copy()
                values[missing] = None
            out[column] = pd.Series(values, index=out.index, dtype=object)
    return out
