"""Point-in-time views of a market (:class:`MarketView`).

A view is made for one as-of date and holds only data dated on or before it (array
prefixes and filtered rows), so a component cannot look ahead even by accident; asking a
view for a later date raises :class:`~indexsmith.errors.PointInTimeError`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from indexsmith.errors import PointInTimeError

if TYPE_CHECKING:
    from indexsmith.data.market import Market


def _last_per_position(pos: np.ndarray) -> np.ndarray:
    """Indices of the last row of each run of equal ``pos`` in a sorted array."""
    if len(pos) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.r_[pos[1:] != pos[:-1], True])


class MarketView:
    """The market as it could be known at the close of ``as_of``.

    Accessors take security ids (any iterable or index) and return Series aligned with
    them. Prices and volumes are the raw closes of the as-of session (carried forward over
    halts). Company-level figures sum every listed share class of the company.
    """

    def __init__(self, market: Market, as_of: dt.date | pd.Timestamp) -> None:
        t = market.session_index(as_of)
        self.as_of: pd.Timestamp = market.sessions[t]
        #: Rank date of the family's previous review (set by the engine; None at the first).
        self.previous_rank_date: pd.Timestamp | None = None
        #: First and last sessions of the data set: its extent, for checking user files
        #: (no price or figure after ``as_of`` is reachable through them).
        self.data_sessions: tuple[pd.Timestamp, pd.Timestamp] = (market.first_session, market.last_session)
        self.calendar = market.calendar
        self.sessions = market.sessions[: t + 1]
        self._t = t
        # Prefixes of the daily rows: rows after as_of are not reachable from here.
        self._daily = market.daily.prefix(t)
        self._ids = market.security_ids
        cutoff = np.datetime64(self.as_of.date(), "D")
        self._shares = _cut(market.shares, cutoff)
        self._fundamentals = _cut(market.fundamentals, cutoff)
        self.dividends = market.dividends[market.dividends["ex_date"] <= self.as_of].reset_index(drop=True)
        self.corporate_actions = market.corporate_actions[
            market.corporate_actions["date"] <= self.as_of
        ].reset_index(drop=True)
        sec = market.securities
        _, priced = self._daily.rows(np.int64(t), np.arange(len(self._ids)))
        listed = (
            priced
            & (sec["listing_date"] <= self.as_of).to_numpy()
            & ~(sec["delisting_date"] < self.as_of).to_numpy()
        )
        visible = sec[listed].copy()
        # A future delisting date is not known yet.
        visible["delisting_date"] = visible["delisting_date"].where(visible["delisting_date"] <= self.as_of)
        self.securities = visible.set_index("security_id")
        self._company_of = sec.set_index("security_id")["company_id"]

    def __repr__(self) -> str:
        return f"<MarketView as of {self.as_of:%Y-%m-%d}: {len(self.securities)} listed securities>"

    # -- helpers -------------------------------------------------------------------------

    def _pos(self, ids: Iterable[str]) -> tuple[pd.Index, np.ndarray]:
        index = ids if isinstance(ids, pd.Index) else pd.Index(list(ids), name="security_id")
        pos = self._ids.get_indexer(index)
        if (pos < 0).any():
            unknown = list(index[pos < 0][:3])
            raise KeyError(f"unknown security ids {unknown}")
        return index, pos

    def _window(self, field: str, sessions: int, pos: np.ndarray) -> np.ndarray:
        """``field`` over the last ``sessions`` sessions (rows) for ``pos`` (columns)."""
        lo = max(0, self._t + 1 - sessions)
        return self._daily.get(field, np.arange(lo, self._t + 1), pos)

    def _session(self, on: dt.date | pd.Timestamp | None) -> int:
        if on is None:
            return self._t
        when = pd.Timestamp(on)
        if when > self.as_of:
            raise PointInTimeError(
                f"data for {when:%Y-%m-%d} was asked for, after the as-of date {self.as_of:%Y-%m-%d}; "
                "components may only use data known at the rank date"
            )
        return int(self.sessions.searchsorted(when, side="right")) - 1

    def _asof_table(self, table: dict[str, np.ndarray], ids: Iterable[str], column: str) -> pd.Series:
        index, pos = self._pos(ids)
        last = _last_per_position(table["pos"])
        values = np.full(
            len(self._ids), np.nan, dtype=np.float64 if table[column].dtype.kind == "f" else object
        )
        values[table["pos"][last]] = table[column][last]
        return pd.Series(values[pos], index=index, name=column)

    def is_known(self, ids: Iterable[str]) -> np.ndarray:
        """Whether each id is a security of the market at all (listed or not, past or
        future): a fact about identifiers, not about prices, so no look-ahead."""
        index = ids if isinstance(ids, pd.Index) else pd.Index(list(ids))
        return self._ids.get_indexer(index) >= 0

    # -- prices and volume ---------------------------------------------------------------

    def close(self, ids: Iterable[str], on: dt.date | pd.Timestamp | None = None) -> pd.Series:
        """Raw close on the as-of session (or an earlier session ``on``)."""
        index, pos = self._pos(ids)
        return pd.Series(self._daily.get("close", self._session(on), pos), index=index, name="close")

    def close_history(self, ids: Iterable[str], sessions: int) -> pd.DataFrame:
        """Closes of the last ``sessions`` sessions up to the as-of date (rows = dates)."""
        index, pos = self._pos(ids)
        lo = max(0, self._t + 1 - sessions)
        window = self._daily.get("close", np.arange(lo, self._t + 1), pos)
        return pd.DataFrame(window, index=self.sessions[lo:], columns=index)

    def average_volume(self, ids: Iterable[str], sessions: int) -> pd.Series:
        """Mean daily share volume over the last ``sessions`` sessions the security traded in."""
        index, pos = self._pos(ids)
        return pd.Series(
            np.nanmean(self._window("volume", sessions, pos), axis=0), index=index, name="average_volume"
        )

    def average_dollar_volume(self, ids: Iterable[str], sessions: int) -> pd.Series:
        """Mean daily traded value (close x volume) over the last ``sessions`` sessions."""
        index, pos = self._pos(ids)
        window = self._window("close", sessions, pos) * self._window("volume", sessions, pos)
        return pd.Series(np.nanmean(window, axis=0), index=index, name="average_dollar_volume")

    def monthly_volume(self, ids: Iterable[str], months: int) -> pd.DataFrame:
        """Shares traded in each of the last ``months`` complete calendar months (rows = months)."""
        index, pos = self._pos(ids)
        month_start = (self.as_of.to_period("M") - months).to_timestamp()
        month_end = self.as_of.to_period("M").to_timestamp()
        lo = int(self.sessions.searchsorted(month_start))
        hi = int(self.sessions.searchsorted(month_end))
        frame = pd.DataFrame(
            np.nan_to_num(self._daily.get("volume", np.arange(lo, hi), pos)),
            index=self.sessions[lo:hi],
            columns=index,
        )
        return frame.groupby(pd.DatetimeIndex(frame.index).to_period("M")).sum()

    # -- shares and market cap -----------------------------------------------------------

    def shares_outstanding(self, ids: Iterable[str]) -> pd.Series:
        return self._asof_table(self._shares, ids, "shares_outstanding")

    def float_factor(self, ids: Iterable[str]) -> pd.Series:
        return self._asof_table(self._shares, ids, "float_factor")

    def market_cap(self, ids: Iterable[str]) -> pd.Series:
        """Security market cap: close x shares outstanding."""
        ids = pd.Index(ids) if not isinstance(ids, pd.Index) else ids
        return (self.close(ids) * self.shares_outstanding(ids)).rename("market_cap")

    def float_market_cap(self, ids: Iterable[str]) -> pd.Series:
        """Float-adjusted security market cap: close x shares x float factor."""
        ids = pd.Index(ids) if not isinstance(ids, pd.Index) else ids
        return (self.market_cap(ids) * self.float_factor(ids)).rename("float_market_cap")

    def company_market_cap(self, ids: Iterable[str]) -> pd.Series:
        """Total company market cap: every listed share class of the company summed."""
        ids = pd.Index(ids) if not isinstance(ids, pd.Index) else ids
        listed = self.securities.index
        caps = self.market_cap(listed).groupby(self.securities["company_id"]).sum(min_count=1)
        return pd.Series(
            self._company_of.reindex(ids).map(caps).to_numpy(dtype=float),
            index=ids,
            name="company_market_cap",
        )

    # -- fundamentals and age ------------------------------------------------------------

    def latest_fundamental(self, ids: Iterable[str], field: str) -> pd.Series:
        """The latest reported value of ``field`` available on the as-of date."""
        return self._asof_table(self._fundamentals, ids, field)

    def trailing_quarters(self, ids: Iterable[str], field: str, quarters: int = 4) -> pd.DataFrame:
        """The last ``quarters`` reported values of ``field``: column 0 is the latest.

        Missing (fewer reports available) is NaN.
        """
        index, pos = self._pos(ids)
        table = self._fundamentals
        last = _last_per_position(table["pos"])
        out = np.full((len(self._ids), quarters), np.nan)
        start = np.r_[0, last[:-1] + 1] if len(last) else last
        for q in range(quarters):
            row = last - q
            ok = row >= start
            out[table["pos"][last[ok]], q] = table[field][row[ok]]
        return pd.DataFrame(out[pos], index=index, columns=range(quarters))

    def ttm(self, ids: Iterable[str], field: str = "net_income") -> pd.Series:
        """Sum of the last four reported quarters (NaN with fewer than four)."""
        return self.trailing_quarters(ids, field, 4).sum(axis=1, min_count=4).rename(f"ttm_{field}")

    def sessions_listed(self, ids: Iterable[str]) -> pd.Series:
        """Sessions since listing, counting the as-of session as 1."""
        index, _ = self._pos(ids)
        listing = self.securities["listing_date"].reindex(index)
        first = self.sessions.searchsorted(listing.to_numpy())
        return pd.Series(self._t + 1 - first, index=index, name="sessions_listed")


def _cut(table: dict[str, np.ndarray], cutoff: np.datetime64) -> dict[str, np.ndarray]:
    keep = table["date"] <= cutoff
    return {key: values[keep] for key, values in table.items()}
