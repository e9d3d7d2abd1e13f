"""Reference values in force on a date: the securities table's values at listing, and
the dated changes of ticker-change actions and ``security_history`` rows after it
(:func:`reference_changes`); tickers by date for the result tables (:func:`ticker_history`)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from indexsmith.data.schema import HISTORY_COLUMNS

if TYPE_CHECKING:
    from indexsmith.data.market import Market


def values_in_force(
    market: Market, changes: pd.DataFrame, known: int
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The reference values the first ``known`` dated changes set (the latest per security
    and column), by column, as (market positions, values): the same for every view between
    two change dates, so kept for the few latest counts (views are made in date order)."""
    cache: dict[int, dict[str, tuple[np.ndarray, np.ndarray]]] = market.memo(
        "reference values in force", dict
    )
    found = cache.get(known)
    if found is None:
        while len(cache) >= 8:
            del cache[next(iter(cache))]
        latest = changes.iloc[:known].drop_duplicates(["security_id", "column"], keep="last")
        found = {}
        for column, group in latest.groupby("column", sort=False):
            positions = market.security_ids.get_indexer(group["security_id"].to_numpy(dtype=object))
            kept = positions >= 0
            found[str(column)] = (positions[kept], group["value"].to_numpy(dtype=object)[kept])
        cache[known] = found
    return found


def tickers_on(market: Market, date: pd.Timestamp) -> pd.Series:
    """Each security's ticker in force on ``date`` (its listing ticker, or the latest
    ticker-change or ``security_history`` ticker dated on or before ``date``), by security_id."""
    tickers = dict(ticker_history(market).on(date))
    return pd.Series(list(tickers.values()), index=pd.Index(list(tickers), name="security_id"), dtype=object)


class TickersOn(Mapping[str, str]):
    """The tickers in force on a date as a mapping, without a table per date: a security without a
    ticker change is its listing ticker; one with changes is searched in its own dates."""

    def __init__(self, history: TickerHistory, date: pd.Timestamp) -> None:
        self._history = history
        self._day = np.datetime64(pd.Timestamp(date), "ns")

    def __getitem__(self, security_id: str) -> str:
        changed = self._history.changes.get(security_id)
        if changed is not None:
            dates, values = changed
            at = int(np.searchsorted(dates, self._day, side="right"))
            if at:
                return values[at - 1]
        return self._history.listing[security_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._history.listing)

    def __len__(self) -> int:
        return len(self._history.listing)


class TickerHistory:
    """Every security's listing ticker and its dated ticker changes (in the order
    :func:`reference_changes` applies them), built once per market (:func:`ticker_history`)."""

    def __init__(self, market: Market) -> None:
        tickers = market.securities.set_index("security_id")["ticker"].astype(object)
        self.listing: dict[str, str] = dict(
            zip(tickers.index.astype(object), tickers.to_numpy(), strict=True)
        )
        changes = market.memo("reference_changes", lambda: reference_changes(market))
        renamed = changes[(changes["column"] == "ticker").to_numpy()]
        renamed = renamed[renamed["security_id"].isin(tickers.index).to_numpy()]
        self.changes: dict[str, tuple[np.ndarray, list[str]]] = {}
        for sid, group in renamed.groupby("security_id", sort=False):
            self.changes[str(sid)] = (
                group["date"].to_numpy(dtype="datetime64[ns]"),
                list(group["value"].to_numpy()),
            )

    def on(self, date: pd.Timestamp) -> TickersOn:
        return TickersOn(self, date)


def ticker_history(market: Market) -> TickerHistory:
    """The market's :class:`TickerHistory` (made once per market)."""
    return market.memo("ticker_history", lambda: TickerHistory(market))


def reference_changes(market: Market) -> pd.DataFrame:
    """Every dated change of a security's reference values (``date``, ``security_id``,
    ``column``, ``value``), in date order: ticker-change actions (as ``ticker``), then the
    ``security_history`` values given (a history row wins over an action of its date)."""
    actions = market.corporate_actions
    renamed = actions[
        (actions["action"] == "ticker-change").to_numpy() & actions["new_ticker"].notna().to_numpy()
    ]
    parts = [
        pd.DataFrame(
            {
                "date": renamed["date"],
                "security_id": renamed["security_id"].astype(object),
                "column": "ticker",
                "value": renamed["new_ticker"].astype(object),
            }
        )
    ]
    history = market.security_history
    for column in HISTORY_COLUMNS:
        given = history[history[column].notna()]
        parts.append(
            pd.DataFrame(
                {
                    "date": given["date"],
                    "security_id": given["security_id"].astype(object),
                    "column": column,
                    "value": given[column].astype(object),
                }
            )
        )
    given = [part for part in parts if len(part)]
    if not given:
        return parts[0].iloc[:0].astype({"date": "datetime64[ns]"})
    changes = pd.concat(given, ignore_index=True)
    return changes.sort_values("date", kind="stable").reset_index(drop=True)
