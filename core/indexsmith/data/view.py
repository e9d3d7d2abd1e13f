"""Point-in-time views of a market (:class:`MarketView`).

A view is made for one as-of date and holds only data dated on or before it (array
prefixes and filtered rows), so a component cannot look ahead even by accident; asking a
view for a later date raises :class:`~indexsmith.errors.PointInTimeError`.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Hashable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar, cast

import numpy as np
import pandas as pd

from indexsmith.data.reference import reference_changes, values_in_force
from indexsmith.errors import PointInTimeError

if TYPE_CHECKING:
    from indexsmith.data.market import Market

T = TypeVar("T")


def asof_key(table: dict[str, np.ndarray]) -> np.ndarray:
    """``pos · 2^32 + day`` of a table sorted by (security position, date): one sorted
    int64 key, so the latest row of every security on a date is one search."""
    days = table["date"].astype("datetime64[D]").astype(np.int64) + (1 << 31)
    return (table["pos"].astype(np.int64) << 32) | days


def latest_rows(table: dict[str, np.ndarray], key: np.ndarray, cutoff: np.datetime64, n: int) -> np.ndarray:
    """Row of each of the ``n`` security positions with the latest date on or before
    ``cutoff`` (-1 where it has none)."""
    if not len(key):
        return np.full(n, -1, dtype=np.int64)
    day = int(np.asarray(cutoff).astype("datetime64[D]").astype(np.int64)) + (1 << 31)
    positions = np.arange(n, dtype=np.int64)
    row = np.searchsorted(key, (positions << 32) | day, side="right") - 1
    ok = row >= 0
    ok[ok] = table["pos"][row[ok]] == positions[ok]
    return np.where(ok, row, -1)


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
        #: Where the data came from (``crsp:~/wrds-export``), for messages.
        self.source = market.source
        self.sessions = market.sessions[: t + 1]
        self._t = t
        # Prefixes of the daily rows: rows after as_of are not reachable from here.
        self._daily = market.daily.prefix(t)
        self._month_sums = market.month_sums
        self._ids = market.security_ids
        self._cutoff = np.datetime64(self.as_of.date(), "D")
        self._market_shares = market.shares
        self._market_fundamentals = market.fundamentals
        self._keys = market.asof_keys
        self._plain_fundamentals = market.plain_fundamentals
        #: The positions of the last few id indexes asked about, by identity (each entry
        #: holds its index, so an id is not reused while it is here).
        self._positions: dict[int, tuple[pd.Index, np.ndarray]] = {}
        #: The latest value of a table's column for every security, computed once per view.
        self._latest: dict[tuple[int, str], np.ndarray] = {}
        self._market_dividends = market.dividends
        self._market_actions = market.corporate_actions
        sec = market.securities
        _, priced = self._daily.rows(np.int64(t), np.arange(len(self._ids)))
        # On record as listed: listed on or before the date, not delisted before it.
        on_record = (sec["listing_date"] <= self.as_of).to_numpy() & ~(
            sec["delisting_date"] < self.as_of
        ).to_numpy()
        listed = priced & on_record
        # The reference values in force: the securities table holds them at listing,
        # ticker-change actions and security_history rows the later ones (from their date).
        visible = _in_force(market, self.as_of, listed)
        # On record as listed, but without a close on this session: left out, with a reason.
        self._unpriced = np.flatnonzero(on_record & ~priced)
        self._last_priced = getattr(market.daily, "last_session", None)
        self._listing_dates = sec["listing_date"].to_numpy()
        # A future delisting date is not known yet.
        visible["delisting_date"] = visible["delisting_date"].where(visible["delisting_date"] <= self.as_of)
        self.securities = visible
        self._listed = np.flatnonzero(listed)
        self._company_of = market.company_of
        self._company_code = market.company_codes

    def __repr__(self) -> str:
        return f"<MarketView as of {self.as_of:%Y-%m-%d}: {len(self.securities)} listed securities>"

    def memo(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()`` once per view and ``key``: a fact several components (or several
        indices of one family) derive from this view alone, such as the style scores of a
        parent index's members that its value and its growth index both need. The key
        must name everything the fact depends on besides the view."""
        cache: dict[Hashable, Any] = self.__dict__.setdefault("_memo", {})
        if key not in cache:
            cache[key] = compute()
        return cast(T, cache[key])

    # -- helpers -------------------------------------------------------------------------

    @property
    def _shares(self) -> dict[str, np.ndarray]:
        return self._market_shares

    @functools.cached_property
    def _fundamentals(self) -> dict[str, np.ndarray]:
        """Reports known on the as-of date; a quarter reported again (a restatement known by
        then) counts once, with its latest figures, in period order. Without restatements
        anywhere in the market, that is the market's table itself (searched as of the date)."""
        if self._plain_fundamentals:
            return self._market_fundamentals
        table = _cut(self._market_fundamentals, self._cutoff)
        pos, period = table["pos"], table["period_end"].astype("datetime64[D]")
        if len(pos) < 2:
            return table
        order = np.lexsort((table["date"], period, pos))
        restated = (pos[order][1:] == pos[order][:-1]) & (period[order][1:] == period[order][:-1])
        in_order = bool((np.diff(order) > 0).all())
        if in_order and not restated.any():
            return table
        keep = order[np.r_[~restated, True]]
        return {key: values[keep] for key, values in table.items()}

    def _latest_rows(self, table: dict[str, np.ndarray]) -> np.ndarray:
        """Per security position, its latest row of ``table`` known on the as-of date: a
        search in the market's (position, day) key, or the last row of each security in a
        table already cut to the date."""
        key = (id(table), "")
        rows = self._latest.get(key)
        if rows is None:
            if table is self._market_shares or table is self._market_fundamentals:
                rows = latest_rows(table, self._keys(table), self._cutoff, len(self._ids))
            else:
                pos = table["pos"]
                last = np.flatnonzero(np.r_[pos[1:] != pos[:-1], True]) if len(pos) else np.zeros(0, np.int64)
                rows = np.full(len(self._ids), -1, dtype=np.int64)
                rows[pos[last]] = last
            self._latest[key] = rows
        return rows

    def _pos(self, ids: Iterable[str]) -> tuple[pd.Index, np.ndarray]:
        index = ids if isinstance(ids, pd.Index) else pd.Index(list(ids), name="security_id")
        # Components ask about the same candidates several times: look the ids up once.
        known = self._positions.get(id(index))
        if known is not None and known[0] is index:
            return index, known[1]
        pos = self._ids.get_indexer(index)
        if (pos < 0).any():
            unknown = list(index[pos < 0][:3])
            raise KeyError(f"unknown security ids {unknown}")
        if len(self._positions) >= 8:
            del self._positions[next(iter(self._positions))]
        self._positions[id(index)] = (index, pos)
        return index, pos

    def _window(self, field: str, sessions: int, pos: np.ndarray) -> np.ndarray:
        """``field`` over the last ``sessions`` sessions (rows) for ``pos`` (columns)."""
        lo = max(0, self._t + 1 - sessions)
        return self._daily.window(field, lo, self._t, pos)

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
        return pd.Series(self._latest_values(table, column)[pos], index=index, name=column)

    def _latest_values(self, table: dict[str, np.ndarray], column: str) -> np.ndarray:
        """The latest known value of ``column`` for every security position."""
        key = (id(table), column)
        values = self._latest.get(key)
        if values is None:
            rows = self._latest_rows(table)
            values = np.full(
                len(self._ids), np.nan, dtype=np.float64 if table[column].dtype.kind == "f" else object
            )
            known = rows >= 0
            values[known] = table[column][rows[known]]
            self._latest[key] = values
        return values

    @functools.cached_property
    def dividends(self) -> pd.DataFrame:
        """Dividends with ex-dates on or before the as-of date."""
        table = self._market_dividends
        return table[table["ex_date"] <= self.as_of].reset_index(drop=True)

    @functools.cached_property
    def corporate_actions(self) -> pd.DataFrame:
        """Corporate actions dated on or before the as-of date."""
        table = self._market_actions
        return table[table["date"] <= self.as_of].reset_index(drop=True)

    @property
    def company_of(self) -> pd.Series:
        """security_id -> company_id of every security of the market (listed or not): a fact
        about identifiers, not about prices, so no look-ahead."""
        return self._company_of

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
        window = self._daily.window("close", lo, self._t, pos)
        return pd.DataFrame(window, index=self.sessions[lo:], columns=index)

    def _totals(self, sessions: int, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Traded value, shares traded and rows over the last ``sessions`` sessions."""
        lo = max(0, self._t + 1 - sessions)
        return self._month_sums().totals(self._daily, lo, self._t, pos)

    def average_volume(self, ids: Iterable[str], sessions: int) -> pd.Series:
        """Mean daily share volume over the last ``sessions`` sessions the security traded in."""
        index, pos = self._pos(ids)
        _, volume, rows = self._totals(sessions, pos)
        with np.errstate(divide="ignore", invalid="ignore"):
            return pd.Series(np.where(rows > 0, volume / rows, np.nan), index=index, name="average_volume")

    def average_dollar_volume(self, ids: Iterable[str], sessions: int) -> pd.Series:
        """Mean daily traded value (close x volume) over the last ``sessions`` sessions."""
        index, pos = self._pos(ids)
        dollar, _, rows = self._totals(sessions, pos)
        with np.errstate(divide="ignore", invalid="ignore"):
            return pd.Series(
                np.where(rows > 0, dollar / rows, np.nan), index=index, name="average_dollar_volume"
            )

    def monthly_volume(self, ids: Iterable[str], months: int) -> pd.DataFrame:
        """Shares traded in each of the last ``months`` complete calendar months (rows = months)."""
        index, pos = self._pos(ids)
        month_start = (self.as_of.to_period("M") - months).to_timestamp()
        month_end = self.as_of.to_period("M").to_timestamp()
        lo = int(self.sessions.searchsorted(month_start))
        hi = int(self.sessions.searchsorted(month_end))
        sums = self._month_sums()
        blocks = np.flatnonzero((sums.starts >= lo) & (sums.starts < hi) & (sums.ends < hi))
        periods = pd.PeriodIndex(self.sessions[sums.starts[blocks]], freq="M")
        return pd.DataFrame(sums.volume[np.ix_(blocks, pos)], index=periods, columns=index)

    # -- shares and market cap -----------------------------------------------------------

    def shares_outstanding(self, ids: Iterable[str]) -> pd.Series:
        return self._asof_table(self._shares, ids, "shares_outstanding")

    def float_factor(self, ids: Iterable[str]) -> pd.Series:
        return self._asof_table(self._shares, ids, "float_factor")

    def missing_data(self, ids: Iterable[str]) -> pd.Series:
        """What the data lacks for each security on the as-of date, naming the table (a
        missing value when nothing is missing): a listed security with no ``shares`` row
        dated on or before the as-of date has no shares outstanding and no float factor."""
        index, pos = self._pos(ids)
        lacking = pd.isna(self._latest_values(self._shares, "shares_outstanding")[pos]) | pd.isna(
            self._latest_values(self._shares, "float_factor")[pos]
        )
        reasons = np.full(len(pos), None, dtype=object)
        reasons[lacking] = (
            f"no shares_outstanding or float_factor: the shares table has no row dated on or before "
            f"{self.as_of:%Y-%m-%d}"
        )
        return pd.Series(reasons, index=index, dtype=object, name="missing_data")

    def unpriced(self) -> pd.Series:
        """Securities the securities table lists on the as-of date (``listing_date`` on or
        before it, no earlier ``delisting_date``) that have no close that session, with the
        reason: they are not in :attr:`securities`, so no screen or component sees them."""
        pos = self._unpriced
        ids = pd.Index(self._ids[pos], name="security_id")
        if not len(pos):
            return pd.Series([], index=ids, dtype=object, name="unpriced")
        last = self._last_priced[pos] if self._last_priced is not None else np.full(len(pos), -1)
        listing = self._listing_dates[pos]
        reasons = [
            f"no close in the prices table after {self.sessions[end]:%Y-%m-%d} and no delisting_date on or "
            f"before {self.as_of:%Y-%m-%d}"
            if 0 <= end < self._t
            else f"no close in the prices table on or before {self.as_of:%Y-%m-%d} (listing_date {first:%Y-%m-%d})"
            for end, first in zip(last, pd.DatetimeIndex(listing), strict=True)
        ]
        return pd.Series(reasons, index=ids, dtype=object, name="unpriced")

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
        pos = self._ids.get_indexer(ids)
        total = self._company_caps()
        values = np.where(pos >= 0, total[self._company_code[pos]], np.nan)
        return pd.Series(values, index=ids, name="company_market_cap")

    def _company_caps(self) -> np.ndarray:
        """Market cap of every company (by company code) from its listed lines: a company
        with one listed line has that line's cap; several lines are summed as pandas sums
        them (compensated), so the figures do not depend on this shortcut."""
        key = (0, "company_caps")
        cached = self._latest.get(key)
        if cached is not None:
            return cached
        listed = self._listed
        cap = (
            self._daily.get("close", self._t, listed)
            * self._latest_values(self._shares, "shares_outstanding")[listed]
        )
        code = self._company_code[listed]
        lines = np.bincount(code, minlength=int(self._company_code.max(initial=-1)) + 1)
        total = np.full(len(lines), np.nan)
        single = lines[code] == 1
        total[code[single]] = cap[single]
        if not single.all():
            several = pd.Series(cap[~single]).groupby(code[~single]).sum(min_count=1)
            total[several.index.to_numpy()] = several.to_numpy()
        self._latest[key] = total
        return total

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
        last = self._latest_rows(table)[pos]
        out = np.full((len(pos), quarters), np.nan)
        for q in range(quarters):
            row = last - q
            ok = (last >= 0) & (row >= 0)
            ok[ok] = table["pos"][row[ok]] == pos[ok]
            out[ok, q] = table[field][row[ok]]
        return pd.DataFrame(out, index=index, columns=range(quarters))

    def ttm(self, ids: Iterable[str], field: str = "net_income") -> pd.Series:
        """Sum of the last four reported quarters (NaN with fewer than four)."""
        return self.trailing_quarters(ids, field, 4).sum(axis=1, min_count=4).rename(f"ttm_{field}")

    def sessions_listed(self, ids: Iterable[str]) -> pd.Series:
        """Sessions since listing, counting the as-of session as 1."""
        index, _ = self._pos(ids)
        listing = self.securities["listing_date"].reindex(index)
        first = self.sessions.searchsorted(listing.to_numpy())
        return pd.Series(self._t + 1 - first, index=index, name="sessions_listed")


def _in_force(market: Market, as_of: pd.Timestamp, listed: np.ndarray) -> pd.DataFrame:
    """The ``listed`` securities of the market by id, with the reference values in force on
    ``as_of`` (:func:`values_in_force`, by market position) put over the securities
    table's values."""
    by_id = market.memo("securities by id", lambda: market.securities.set_index("security_id"))
    visible = by_id[listed]
    changes = market.memo("reference_changes", lambda: reference_changes(market))
    known = int(changes["date"].searchsorted(as_of, side="right"))
    if not known:
        return visible
    row = np.full(len(listed), -1, dtype=np.int64)
    row[listed] = np.arange(len(visible))
    for column, (positions, values) in values_in_force(market, changes, known).items():
        at = row[positions]
        mine = at >= 0
        column_values = visible[column].to_numpy(dtype=object).copy()
        column_values[at[mine]] = values[mine]
        visible[column] = pd.Series(column_values, index=visible.index, dtype=object)
    return visible


def _cut(table: dict[str, np.ndarray], cutoff: np.datetime64) -> dict[str, np.ndarray]:
    keep = table["date"] <= cutoff
    return {key: values[keep] for key, values in table.items()}
