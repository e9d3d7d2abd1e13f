"""Implementation: turnover, fee drag and capacity (what tracking an index takes)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from indexsmith.analytics.performance import performance
from indexsmith.units import SESSIONS_PER_YEAR


def turnover_by_year(turnover: pd.DataFrame) -> pd.Series:
    """One-way turnover summed per calendar year."""
    frame = turnover.dropna(subset=["one_way"])
    return frame.groupby(pd.DatetimeIndex(frame["effective_date"]).year)["one_way"].sum()


def annualised_turnover(turnover: pd.DataFrame) -> float:
    """Mean over complete calendar years of the summed one-way turnover (the first and
    last years, usually partial, are left out when there are more than two)."""
    by_year = turnover_by_year(turnover)
    if by_year.empty:
        return float("nan")
    inner = by_year.iloc[1:-1] if len(by_year) > 2 else by_year
    return float(inner.mean())


def fee_drag(levels: pd.Series, fee: float) -> float:
    """Annualised return lost to an expense ratio accrued daily (e.g. 0.0003 vs 0.0020)."""
    gross = performance(levels)["annualised_return"]
    daily = (1 - fee / SESSIONS_PER_YEAR) ** np.arange(len(levels))
    net = performance(pd.Series(levels.to_numpy() * daily, index=levels.index))["annualised_return"]
    return float(gross - net)


def capacity(
    trades: pd.DataFrame,
    constituents: pd.DataFrame,
    fund_size: float,
    participation: float = 0.10,
) -> pd.DataFrame:
    """What tracking the index with ``fund_size`` dollars takes at each rebalance.

    For each review: the dollars to trade in each security (``|traded_value| x
    fund_size``), that as a share of the security's average daily dollar volume
    (``adv``, written with the constituents), the days to complete the trade at the
    ``participation`` limit (the slowest name decides), and the fund size at which the
    slowest name needs exactly one day (``fund_size / days``) — the "putting $100M into a
    $1B company" problem.
    """
    table = constituents.drop_duplicates(["effective_date", "security_id"])[
        ["effective_date", "security_id", "adv"]
    ]
    frame = trades[["effective_date", "security_id", "traded_value"]].reset_index(drop=True)
    frame = frame.iloc[np.argsort(frame["effective_date"].to_numpy(), kind="stable")].reset_index(drop=True)
    volume = (
        frame.merge(table, on=["effective_date", "security_id"], how="left")["adv"]
        .to_numpy(dtype=float)
        .copy()
    )
    # A name leaving the index has no adv on this review: use its last one before.
    missing = np.isnan(volume)
    if missing.any():
        known_adv = table[table["adv"].notna()].sort_values("effective_date", kind="stable")
        # One key dtype on both sides: a fresh build's ids are strings, a read-back one's objects.
        earlier = pd.merge_asof(
            frame.loc[missing, ["effective_date", "security_id"]]
            .reset_index()
            .astype({"security_id": object}),
            known_adv.rename(columns={"effective_date": "known_on"}).astype({"security_id": object}),
            left_on="effective_date",
            right_on="known_on",
            by="security_id",
            allow_exact_matches=False,
        ).set_index("index")["adv"]
        volume[missing] = earlier.reindex(np.flatnonzero(missing)).to_numpy(dtype=float)
    dollars_all = frame["traded_value"].abs().to_numpy() * fund_size
    ids = frame["security_id"].to_numpy(dtype=object)
    dates = frame["effective_date"].to_numpy()
    starts = np.flatnonzero(np.r_[True, dates[1:] != dates[:-1]]) if len(dates) else np.zeros(0, int)
    rows = []
    for lo, hi in zip(starts, [*starts[1:], len(dates)], strict=True):
        dollars = dollars_all[lo:hi]
        share = dollars / volume[lo:hi]
        days = share / participation
        # No trade takes no time; trades whose names have no volume at all take unknown time.
        known = bool(np.isfinite(days).any())
        unknown = 0.0 if not len(days) else float("nan")
        worst = int(np.nanargmax(days)) if known else 0
        rows.append(
            {
                "effective_date": pd.Timestamp(dates[lo]),
                "traded_dollars": float(dollars.sum()),
                "max_share_of_adv": float(np.nanmax(share)) if known else unknown,
                "days_to_trade": float(np.nanmax(days)) if known else unknown,
                "slowest": ids[lo + worst],
                "capacity_one_day": float(fund_size / np.nanmax(days))
                if known and np.nanmax(days) > 0
                else float("inf"),
            }
        )
    return pd.DataFrame(rows)
