"""Why a security is in or out of an index at a review (``indexsmith explain``)."""

from __future__ import annotations

import datetime as dt
import difflib

import pandas as pd

from indexsmith import engine
from indexsmith.data.market import Market
from indexsmith.data.view import reference_changes
from indexsmith.definition.model import Methodology
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
    bucket and the note of the bucketing, and its weight in each index."""
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
    outputs = engine.run(methodology, market, end=review["effective_date"].date()).outputs
    output = outputs[-1]
    previous = outputs[-2].assignment if len(outputs) > 1 else None
    info = market.securities.set_index("security_id").loc[sid]
    lines = [
        f"{sid} ({info['ticker']}, {info['name']}) at the review ranked {review['rank_date']:%Y-%m-%d}, "
        f"effective {review['effective_date']:%Y-%m-%d} ({review.get('kind', 'reconstitution')}) of "
        f"'{methodology.definition.id}':"
    ]
    view = market.view(review["rank_date"])
    if sid not in view.securities.index:
        lines.append(f"  not listed on the rank date (listed {info['listing_date']:%Y-%m-%d})")
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
