"""The pro-forma of a review that has not taken effect: its members with their target
weights, and the additions and deletions against the membership in force, each with the
rule that decided it (the tables of ``pro_forma.parquet`` and ``pro_forma_changes.parquet``,
and of ``indexsmith preview``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from indexsmith.data.market import Market
from indexsmith.data.reference import ticker_history
from indexsmith.engine import ReviewOutput
from indexsmith.frames import CHANGE_COLUMNS, CONSTITUENT_COLUMNS, by_security, isin
from indexsmith.results.assemble import _dated, _deletions, _departures, _typed


def pro_forma_tables(
    index_id: str, output: ReviewOutput, current: pd.Index, market: Market, known_by: pd.Timestamp
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One index's pro-forma constituents (``change`` is ``addition`` or ``retained``
    against ``current``, the ids held now) and its changes: additions with their rank and
    bucket (or the note of the rule that placed them), deletions with the screen, rank or
    departure that removed them — a departure only if it happened by ``known_by`` (the
    last session the decision could know: a prediction never cites a later delisting)."""
    review = output.review
    members = output.constituents[index_id]
    current = pd.Index(current, dtype=object)
    frame = members.reset_index()
    added = ~isin(frame["security_id"], current)
    frame["change"] = np.where(added, "addition", "retained")
    notes = frame["note"].fillna("") if "note" in frame.columns else pd.Series("", index=frame.index)
    rank_reason = "rank " + frame["rank"].astype(str) + " in " + frame["bucket"].astype(str)
    frame["reason"] = np.where(added, np.where(notes != "", notes, rank_reason), "")
    constituents = _typed(_dated(frame, review), CONSTITUENT_COLUMNS).sort_values(
        ["rank", "security_id"], kind="stable"
    )
    additions = frame[added]
    gone = current[~isin(current, members.index)]
    tickers = ticker_history(market).on(review.rank_date)
    assigned = by_security(output.assignment)["bucket"]
    parts = [
        pd.DataFrame(
            {
                "security_id": additions["security_id"],
                "ticker": additions["ticker"],
                "change": "addition",
                "reason": additions["reason"],
            }
        ),
        _deletions(gone, tickers, output, assigned, _known(_departures(market), known_by)),
    ]
    changes = (
        _dated(pd.concat([p for p in parts if len(p)], ignore_index=True), review)
        if any(len(p) for p in parts)
        else _dated(pd.DataFrame(columns=["security_id", "ticker", "change", "reason"]), review)
    )
    changes = _typed(changes.sort_values(["change", "security_id"], kind="stable"), CHANGE_COLUMNS)
    return constituents.reset_index(drop=True), changes


def _known(
    departures: tuple[dict[str, pd.Timestamp], dict[str, str]], known_by: pd.Timestamp
) -> tuple[dict[str, pd.Timestamp], dict[str, str]]:
    left_on, why = departures
    return {sid: day for sid, day in left_on.items() if day <= known_by}, why
