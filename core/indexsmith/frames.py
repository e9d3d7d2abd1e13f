"""The frames passed between layers: their columns, and the few helpers every layer uses
on them.

Column tuples are the single source of each frame's layout: the engine builds frames with
them, the result store writes and reads them, and ``docs/outputs.md`` documents them. This
module holds no state and imports nothing of indexsmith.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from typing import Any

import numpy as np
import pandas as pd

#: Columns of the frame a schedule returns, in order.
REVIEW_COLUMNS = ("rank_date", "announcement_date", "effective_date")
#: What a review may change (the optional ``kind`` column of a schedule's frame):
#: ``reconstitution`` re-ranks and re-buckets everything; ``additions`` keeps every
#: member and only adds securities first listed since the previous rank date (quarterly
#: IPO additions, methodologies.md §1.8); ``rebalance`` keeps membership and recomputes
#: weights (e.g. equal weight or capping reset between reconstitutions).
REVIEW_KINDS = ("reconstitution", "additions", "rebalance")
#: Columns of the frame a bucketing returns, in order.
BUCKET_COLUMNS = ("security_id", "bucket", "fraction")

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

#: What every constituent row records about its security on the rank date, so that
#: analytics (valuation, size, capacity) need only the result folder.
FACT_COLUMNS = (
    "company_market_cap",
    "float_market_cap",
    "ttm_net_income",
    "book_equity",
    "adv",
    "shares_outstanding",
    "float_factor",
)

#: ``constituents.parquet``: one row per member and review.
CONSTITUENT_COLUMNS = (
    "rank_date",
    "announcement_date",
    "effective_date",
    "review",
    "security_id",
    "company_id",
    "ticker",
    "sector",
    "rank",
    "measure",
    "bucket",
    "fraction",
    "weight",
    "target_shares",
    "index_shares",
    *FACT_COLUMNS,
    "change",
    "reason",
    "note",
)
#: A bucketing's fixed breakpoints (:meth:`~indexsmith.components.Bucketing.breakpoints`).
BREAKPOINT_COLUMNS = ("breakpoint", "above", "below", "rank", "band", "buffer_rank", "measure", "floor")
#: ``changes.parquet``: additions and deletions with their reasons, at reviews and between
#: them (``review`` is the kind: a review's, or ``replacement`` / ``deletion``).
CHANGE_COLUMNS = (
    "rank_date",
    "announcement_date",
    "effective_date",
    "review",
    "security_id",
    "ticker",
    "change",
    "reason",
)
#: ``membership.parquet``: one row per continuous membership interval.
MEMBERSHIP_COLUMNS = ("security_id", "company_id", "entry_date", "exit_date", "entry_reason", "exit_reason")
#: ``exclusions.parquet``: which screen removed which security at each review.
EXCLUSION_COLUMNS = ("rank_date", "security_id", "ticker", "screen", "reason")
#: ``levels.parquet`` (``net_of_costs`` only when a cost model or a fee is set).
LEVEL_COLUMNS = (
    "date",
    "price_return",
    "total_return",
    "net_total_return",
    "divisor",
    "market_value",
    "net_of_costs",
)
#: What one-way turnover is attributed to (see :mod:`indexsmith.calculation.turnover`).
TURNOVER_CAUSES = ("additions_deletions", "replacements", "share_float", "fractions", "reweighting")
#: ``turnover.parquet``: one row per review and per change between reviews.
TURNOVER_COLUMNS = ("effective_date", "review", "one_way", "two_way", "cost", *TURNOVER_CAUSES)
#: ``trades.parquet``: one row per security traded at a review.
TRADE_COLUMNS = (
    "effective_date",
    "security_id",
    "index_shares_before",
    "index_shares_after",
    "traded_value",
)
#: ``adjustments.parquet``: every event that touched the divisor or the holdings.
ADJUSTMENT_COLUMNS = ("date", "security_id", "event", "divisor_before", "divisor_after")
#: Index shares held from each effective date (``index_shares`` in the constituents).
HOLDING_COLUMNS = ("effective_date", "security_id", "index_shares")


def isin(values: Iterable[str], pool: Iterable[str]) -> np.ndarray:
    """``values.isin(pool)`` for id strings, as a boolean array.

    pandas' Arrow-backed strings test membership one Python object at a time (tens of
    milliseconds for a few thousand ids); hashing plain object arrays is ~30x faster, and
    the engine does this for every review and index."""
    pool_array = np.asarray(list(pool) if isinstance(pool, (AbstractSet, dict)) else pool, dtype=object)
    return pd.Index(np.asarray(values, dtype=object), dtype=object).isin(pool_array)


def cumulative_fraction(values: pd.Series) -> pd.Series:
    """Running total of ``values`` (already sorted, largest first) over their sum: the
    share of the total held by each entry and every one before it."""
    return values.cumsum() / values.sum()


def cumulative_share(ranked: pd.DataFrame) -> pd.Series:
    """Cumulative share (0-100) of the ranked universe's total measure held by each
    security's company and every larger company (rank k inclusive). Share classes of one
    company count once and share their company's position."""
    companies = ranked.drop_duplicates("company_id")
    share = companies["measure"].cumsum() / companies["measure"].sum() * 100
    return ranked["company_id"].map(pd.Series(share.to_numpy(), index=companies["company_id"]))


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
        index=pd.Index(rows["security_id"].to_numpy(dtype=object), name="security_id", dtype=object),
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


def with_columns(frame: pd.DataFrame, columns: dict[str, Any]) -> pd.DataFrame:
    """``frame`` with ``columns`` (arrays, Series aligned with it or scalars) set, as
    setting them one by one would: new names appended in order, existing ones replaced in
    place; one concat instead of a block insert per column."""
    if not columns:
        return frame
    if any(c in frame.columns for c in columns):
        frame = frame.copy()
        for column, values in columns.items():
            frame[column] = values
        return frame
    return pd.concat([frame, pd.DataFrame(columns, index=frame.index)], axis=1)
