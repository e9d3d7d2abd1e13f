"""Why a security is in or out of an index at a review (``indexsmith explain``)."""

from __future__ import annotations

import datetime as dt
import difflib

import pandas as pd

from indexsmith import engine
from indexsmith.data.market import Market
from indexsmith.data.reference import reference_changes
from indexsmith.definition.model import Methodology
from indexsmith.engine import ReviewOutput, decided, leaving_reasons
from indexsmith.errors import DefinitionError, Problem
from indexsmith.frames import cumulative_share
from indexsmith.units import money


def find_security(market: Market, name: str) -> str:
    """A security id from an id or a ticker (as listed at any time)."""
    securities = market.securities
    if name in set(securities["security_id"]):
        return name
    by_ticker = securities[securities["ticker"] == name]
    if len(by_ticker):
        return str(by_ticker.sort_values("listing_date")["security_id"].iloc[-1])
    changes = market.memo("reference_changes", lambda: reference_changes(market))
    renamed = changes[(changes["column"] == "ticker").to_numpy() & (changes["value"] == name).to_numpy()]
    if len(renamed):  # a ticker taken later (a ticker-change, or a security_history row)
        return str(renamed["security_id"].iloc[-1])
    names = [*securities["security_id"], *securities["ticker"].dropna()]
    close = difflib.get_close_matches(name, names, n=3)
    hint = (
        f"did you mean {', '.join(close)}?" if close else "give a security_id or a ticker of the market data"
    )
    raise DefinitionError(
        [Problem(f"security {name!r} is not in the market data ({market.source})", hint=hint)]
    )


def explain(methodology: Methodology, market: Market, security: str, when: dt.date) -> list[str]:
    """Lines explaining ``security`` at the review in force on ``when`` (the latest review
    whose effective date is on or before it): screens, rank, cumulative-cap position,
    bucket and the note of the bucketing, its weight in each index, and when and why it
    left the market. The review's decision comes from the engine's cache of decided
    reviews (:mod:`indexsmith.engine.decided`) when it holds it; else the family is built up
    to that review once and the decisions are kept."""
    sid = find_security(market, security)
    reviews, _ = engine.schedule(methodology, market)
    inside = reviews[reviews["effective_date"] <= pd.Timestamp(when)]
    if inside.empty:
        first = reviews["effective_date"].iloc[0]
        raise DefinitionError(
            [
                Problem(
                    f"no review of '{methodology.definition.id}' is in force on {when:%Y-%m-%d}",
                    hint=f"the first review takes effect on {first:%Y-%m-%d}; try --date {first:%Y-%m-%d}",
                )
            ]
        )
    review = inside.iloc[-1]
    output, previous = decided_review(methodology, market, review["effective_date"])
    lines = explain_decision(methodology, market, sid, output, previous)
    lines.extend(_left_since(market, sid, output.review.effective_date, pd.Timestamp(when)))
    return lines


def decided_review(
    methodology: Methodology, market: Market, effective: pd.Timestamp
) -> tuple[ReviewOutput, pd.DataFrame | None]:
    """The review effective on ``effective`` and the assignment of the one before it."""
    where = decided.folder(methodology, market)
    entries = decided.held(where)
    i = decided.find(entries, effective)
    if where is not None and i is not None:
        output = decided.load(where, entries[i])
        before = decided.load(where, entries[i - 1]) if i > 0 else None
        if output is not None and (i == 0 or before is not None):
            return output, before.assignment if before is not None else None
    outputs = engine.run(methodology, market, end=effective.date()).outputs
    decided.store(where, outputs)
    return outputs[-1], outputs[-2].assignment if len(outputs) > 1 else None


def explain_decision(
    methodology: Methodology,
    market: Market,
    sid: str,
    output: ReviewOutput,
    previous: pd.DataFrame | None,
    label: str = "",
) -> list[str]:
    """Lines explaining ``sid`` in one decided (or pro-forma) review."""
    review = output.review
    info = market.securities.set_index("security_id").loc[sid]
    lines = [
        f"{sid} ({info['ticker']}, {info['name']}) at the {label + ' ' if label else ''}review ranked "
        f"{review.rank_date:%Y-%m-%d}, effective {review.effective_date:%Y-%m-%d} ({review.kind}) of "
        f"'{methodology.definition.id}':"
    ]
    view = market.view(review.rank_date)
    if sid not in view.securities.index:
        lines.append("  " + _not_listed(market, sid, info, review.rank_date))
        return lines
    excluded = output.exclusions[output.exclusions["security_id"] == sid]
    if len(excluded):
        row = excluded.iloc[0]
        lines.append(f"  out of the universe: excluded by {row['screen']}: {row['reason']}")
        return lines
    lines.append(f"  universe: passed every screen ({len(methodology.screens)})")
    ranked = output.ranked
    if sid not in ranked.index:
        lines.append("  not ranked at this review (only newcomers are placed between reconstitutions)")
    else:
        row = ranked.loc[sid]
        position = cumulative_share(ranked)[sid]
        lines.append(
            f"  rank {row['rank']:,} of {len(ranked):,} by {methodology.ranking.entry.name} "
            f"(measure {money(row['measure'])}); cumulative share of the ranked total {position:.2f}%"
        )
    placed = output.assignment[output.assignment["security_id"] == sid]
    if placed.empty:
        lines.append("  bucket: none — outside every bucket of the bucketing")
    for row in placed.itertuples():
        note = getattr(row, "note", "") or ""
        fraction = f" ({row.fraction:.0%} of it)" if row.fraction < 1 else ""
        lines.append(f"  bucket: {row.bucket}{fraction}" + (f" — {note}" if note else ""))
    if previous is not None:
        before = previous[previous["security_id"] == sid]
        lines.append(
            "  previous review: "
            + (", ".join(before["bucket"]) if len(before) else "in no bucket (a newcomer to the family)")
        )
    for index_id, members in output.constituents.items():
        if sid in members.index:
            lines.append(f"  {index_id}: member, weight {members.loc[sid, 'weight']:.4%}")
        else:
            lines.append(f"  {index_id}: not a member")
    return lines


def _not_listed(market: Market, sid: str, info: pd.Series, rank_date: pd.Timestamp) -> str:
    """Why a security is not in the market on a rank date: not yet listed, or gone."""
    if info["listing_date"] > rank_date:
        return f"not listed on the rank date: its first session is {info['listing_date']:%Y-%m-%d}"
    left = info.get("delisting_date")
    if left is not None and left == left and left < rank_date:
        return f"not listed on the rank date: it left the market before it ({_why_left(market, sid, left)})"
    return f"not listed on the rank date (listed {info['listing_date']:%Y-%m-%d}; no price on or before it)"


def _why_left(market: Market, sid: str, last: pd.Timestamp) -> str:
    session = int(market.sessions.searchsorted(pd.Timestamp(last)))
    return leaving_reasons(market).get((sid, session), f"delisted, last close {last:%Y-%m-%d}")


def _left_since(market: Market, sid: str, effective: pd.Timestamp, when: pd.Timestamp) -> list[str]:
    """A line when the security left the market after the review took effect, by ``when``."""
    info = market.securities.set_index("security_id").loc[sid]
    left = info.get("delisting_date")
    if left is None or left != left or not (effective < left <= when):
        return []
    return [
        f"  since then: it left the market — {_why_left(market, sid, left)} — and every index at that close"
    ]
