"""What a previewed review trades: the weights held at the as-of close, the pro-forma
weights, one-way turnover, and for each fund size a trade list in shares and dollars with
each trade as days of average daily volume at a participation limit."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from indexsmith.calculation.levels import calculate
from indexsmith.data.market import Market
from indexsmith.data.view import MarketView
from indexsmith.definition.model import ResolvedIndex
from indexsmith.results.model import IndexResult

#: ``trades`` table of a preview.
TRADE_LIST_COLUMNS = (
    "review",
    "index_id",
    "aum",
    "security_id",
    "ticker",
    "change",
    "weight_before",
    "weight_after",
    "trade_value",
    "trade_shares",
    "close",
    "adv",
    "days_of_volume",
)


def held_weights(
    index: ResolvedIndex,
    built: IndexResult,
    market: Market,
    as_of: pd.Timestamp,
    spin_off_drops: pd.DataFrame | None = None,
) -> pd.Series:
    """The index's weights at the close of ``as_of``: its index shares (from a calculation
    started at the latest review in force, through every change and corporate action since)
    times the as-of closes. Weights, unlike levels, do not depend on where the calculation
    started: at a review the index holds its targets."""
    constituents = built.constituents
    if constituents.empty:
        return pd.Series(dtype=float)
    latest = constituents["effective_date"].max()
    between = built.between
    if between is not None and len(between):
        between = between[between["effective_date"] > latest]
    calc = calculate(
        constituents[constituents["effective_date"] == latest],
        market,
        index.calculation,
        between=between,
        spin_off_drops=spin_off_drops,
        end=as_of,
        index_id=index.spec.id,
    )
    holdings = calc.holdings
    if holdings.empty:
        return pd.Series(dtype=float)
    held = holdings[holdings["effective_date"] == holdings["effective_date"].max()]
    held = held[held["index_shares"] > 0]
    ids = pd.Index(held["security_id"].astype(object))
    value = held["index_shares"].to_numpy(dtype=float) * market.view(as_of).close(ids).to_numpy(dtype=float)
    return pd.Series(value / value.sum(), index=ids, name="weight")


def pro_forma_weights(members: pd.DataFrame, view: MarketView, holds_shares: bool) -> pd.Series:
    """Target weights of a previewed review at the as-of closes: an index that holds
    shares holds its target shares (so its weights move with prices since the rank date);
    one that holds weights is set to its target weights."""
    if holds_shares and members["target_shares"].notna().all():
        value = members["target_shares"].to_numpy(dtype=float) * view.close(members.index).to_numpy(
            dtype=float
        )
        return pd.Series(value / value.sum(), index=members.index, name="weight")
    weights = members["weight"].astype(float)
    return weights / weights.sum()


def one_way(before: pd.Series, after: pd.Series) -> float:
    """One-way turnover between two weight vectors: half the sum of absolute changes."""
    ids = before.index.union(after.index)
    return 0.5 * float(np.abs(after.reindex(ids, fill_value=0.0) - before.reindex(ids, fill_value=0.0)).sum())


def trade_list(
    review: int,
    index_id: str,
    before: pd.Series,
    after: pd.Series,
    view: MarketView,
    tickers: pd.Series,
    aums: Sequence[float],
    participation: float,
    adv_sessions: int,
) -> pd.DataFrame:
    """One row per security traded, for each fund size: a fund tracking the index with
    ``aum`` dollars trades ``aum * (weight_after - weight_before)`` at the as-of close;
    ``days_of_volume`` is that trade over ``participation`` of the ``adv_sessions``-session
    average daily dollar volume."""
    ids = before.index.union(after.index)
    w0 = before.reindex(ids, fill_value=0.0).to_numpy(dtype=float)
    w1 = after.reindex(ids, fill_value=0.0).to_numpy(dtype=float)
    traded = np.abs(w1 - w0) > 1e-12
    ids, w0, w1 = ids[traded], w0[traded], w1[traded]
    close = view.close(ids).to_numpy(dtype=float)
    adv = view.average_dollar_volume(ids, adv_sessions).to_numpy(dtype=float)
    change = np.where(w0 == 0, "addition", np.where(w1 == 0, "deletion", "reweight"))
    frames = []
    for aum in aums:
        value = aum * (w1 - w0)
        with np.errstate(divide="ignore", invalid="ignore"):
            days = np.where(adv > 0, np.abs(value) / (participation * adv), np.inf)
        frames.append(
            pd.DataFrame(
                {
                    "review": review,
                    "index_id": index_id,
                    "aum": float(aum),
                    "security_id": ids.astype(object),
                    "ticker": tickers.reindex(ids).to_numpy(dtype=object),
                    "change": change,
                    "weight_before": w0,
                    "weight_after": w1,
                    "trade_value": value,
                    "trade_shares": value / close,
                    "close": close,
                    "adv": adv,
                    "days_of_volume": days,
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=list(TRADE_LIST_COLUMNS))
    out = pd.concat(frames, ignore_index=True)
    order = np.lexsort(
        (out["security_id"].to_numpy(dtype=str), -out["days_of_volume"].to_numpy(), out["aum"].to_numpy())
    )
    return out.iloc[order].reset_index(drop=True)[list(TRADE_LIST_COLUMNS)]
