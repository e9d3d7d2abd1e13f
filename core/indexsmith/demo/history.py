"""Size buckets of a market as simple total-return indices, for the calibration of the demo
market's history (:func:`bucket_levels`).

A bucket is a range of ranks by total company market cap (ranks 1-500, 1,001-3,000) of
operating companies, reconstituted at every quarter end and weighted by security market
cap (held until the next quarter end) or equally (reset at every quarter end). Daily
returns are total returns from the raw closes: split ratios, dividends on their ex-dates
and spun-off shares are added back, and a line that delists is held as cash at its last
close until the next quarter end. No index rules (screens, buffers, float) are applied:
these are the market's size segments, not its indices.
"""

from __future__ import annotations

import itertools

import attrs
import numpy as np
import pandas as pd

from indexsmith.data.market import Market

#: Lines that are not operating companies (left out, as in the calibration).
NOT_COMPANIES = ("ETF", "closed-end fund", "preferred")


@attrs.frozen
class Bucket:
    """Ranks ``first..last`` (1-based, inclusive) by company cap, weighted by ``weighting``."""

    first: int
    last: int
    weighting: str = attrs.field(validator=attrs.validators.in_(("cap", "equal")))


def quarter_ends(sessions: pd.DatetimeIndex) -> np.ndarray:
    """Positions of the last session of each calendar quarter (and of the first session)."""
    quarter = sessions.year * 4 + (sessions.month - 1) // 3
    ends = np.flatnonzero(np.r_[quarter[1:] != quarter[:-1], False])
    return np.unique(np.r_[0, ends])


def _gross_returns(market: Market, t0: int, t1: int, pos: np.ndarray) -> np.ndarray:
    """Daily gross total returns of the lines at ``pos`` for sessions ``t0+1..t1`` (rows);
    1 once a line has no close (delisted: held as cash)."""
    close = market.daily.window("close", t0, t1, pos)
    sessions = market.sessions[t0 : t1 + 1]
    column = pd.Series(np.arange(len(pos)), index=market.security_ids[pos])
    numerator = close[1:].copy()
    in_range = slice(sessions[1], sessions[-1]) if len(sessions) > 1 else slice(sessions[0], sessions[0])
    actions = market.corporate_actions.set_index("date").loc[in_range]
    splits = actions[(actions["action"] == "split") & actions["security_id"].isin(column.index)]
    for date, row in splits.iterrows():
        numerator[sessions.get_loc(date) - 1, column[row["security_id"]]] *= row["ratio"]
    spins = actions[(actions["action"] == "spin-off") & actions["security_id"].isin(column.index)]
    for date, row in spins.iterrows():
        t = sessions.get_loc(date)
        child = int(market.security_ids.get_loc(row["new_security_id"]))
        child_close = market.daily.get("close", t0 + t, np.array([child]))[0]
        if np.isfinite(child_close):
            numerator[t - 1, column[row["security_id"]]] += row["ratio"] * child_close
    dividends = market.dividends.set_index("ex_date").loc[in_range]
    dividends = dividends[dividends["security_id"].isin(column.index)]
    if len(dividends):
        t = sessions.get_indexer(dividends.index) - 1
        np.add.at(numerator, (t, column[dividends["security_id"]].to_numpy()), dividends["amount"].to_numpy())
    gross = numerator / close[:-1]
    return np.where(np.isfinite(gross), gross, 1.0)


def bucket_levels(market: Market, buckets: dict[str, Bucket], start: str | None = None) -> pd.DataFrame:
    """Daily total-return levels (first session = 1) of each bucket, one column each."""
    sessions = market.sessions
    first = 0 if start is None else market.session_index(start)
    ends = quarter_ends(sessions)
    ends = np.unique(np.r_[first, ends[ends > first], len(sessions) - 1])
    ids = market.security_ids
    deepest = max(b.last for b in buckets.values())
    daily = {name: [np.ones(1)] for name in buckets}
    for t0, t1 in itertools.pairwise(ends):
        view = market.view(sessions[t0])
        listed = view.securities[~view.securities["security_type"].isin(NOT_COMPANIES)]
        company_cap = view.company_market_cap(listed.index)
        rank = company_cap.groupby(listed["company_id"]).first().rank(ascending=False, method="first")
        line_rank = listed["company_id"].map(rank)
        held = line_rank.index[line_rank <= deepest]
        pos = ids.get_indexer(held)
        gross = _gross_returns(market, int(t0), int(t1), pos)
        cap = view.market_cap(held).to_numpy(dtype=float)
        ranks = line_rank.reindex(held).to_numpy()
        for name, bucket in buckets.items():
            inside = (ranks >= bucket.first) & (ranks <= bucket.last) & np.isfinite(cap)
            weight = cap * inside if bucket.weighting == "cap" else inside.astype(float)
            value = np.cumprod(gross, axis=0) @ (weight / weight.sum())
            daily[name].append(value / np.r_[1.0, value[:-1]])
    index = sessions[first:]
    return pd.DataFrame(
        {name: np.cumprod(np.concatenate(parts)) for name, parts in daily.items()}, index=index
    )
