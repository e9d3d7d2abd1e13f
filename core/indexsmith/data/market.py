"""One market in memory (:class:`Market`): columnar, validated, and the source of
point-in-time views.

Daily closes and volumes are a :class:`~indexsmith.data.panel.DailyPanel`; the slowly
changing tables (shares and float factors, fundamentals) are arrays sorted by security and
date; dividends and corporate actions are frames sorted by date. No per-row Python objects.
Components never see a :class:`Market`: they get a
:class:`~indexsmith.data.view.MarketView` made for one as-of date.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar, cast

import numpy as np
import pandas as pd

from indexsmith.data.calendars import TradingCalendar, get_calendar
from indexsmith.data.panel import DailyPanel, MonthSums
from indexsmith.data.validate import Validated, security_positions, validate_frames
from indexsmith.data.view import MarketView, asof_key
from indexsmith.errors import DataError, Problem

T = TypeVar("T")


def plain_strings(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its text columns as NumPy object arrays. The engine takes, hashes and
    compares security and company ids thousands of times per build; pandas' Arrow-backed
    ``str`` columns pay a conversion at each such call that object arrays do not (the
    values, and every output, are the same)."""
    text = [c for c in frame.columns if isinstance(frame[c].dtype, pd.StringDtype)]
    if not text:
        return frame
    out = frame.copy(deep=False)
    for column in text:
        out[column] = frame[column].astype(object)
    return out


def plain_index(index: pd.Index) -> pd.Index:
    """An Arrow-backed text index as an object index (see :func:`plain_strings`)."""
    if isinstance(index.dtype, pd.StringDtype):
        return pd.Index(index.to_numpy(dtype=object), dtype=object, name=index.name)
    return index


class Market:
    """One market in memory. Build it with :func:`load_market` or :meth:`from_frames`."""

    def __init__(self, validated: Validated, calendar: TradingCalendar, source: str) -> None:
        tables = validated.tables
        self.calendar = calendar
        self.source = source
        #: The source's notes on the conversion (:attr:`SourceTables.notes`).
        self.notes: tuple[str, ...] = ()
        self.securities = plain_strings(tables["securities"])
        self.security_ids = plain_index(validated.security_ids)
        #: The ids as loaded (pandas' text dtype), for the tables written per session.
        self.text_ids = validated.security_ids
        prices = tables["prices"]
        if len(prices):
            lo, hi = int(validated.price_session.min()), int(validated.price_session.max())
        else:
            lo, hi = 0, -1
        self.sessions = calendar.sessions[lo : hi + 1]
        # The validated key counts calendar sessions; the panel counts this market's.
        key = validated.price_key
        key -= key.dtype.type(lo * max(len(self.security_ids), 1))
        self.daily = DailyPanel.from_rows(
            validated.price_session - lo,
            validated.price_security,
            prices["close"].to_numpy(dtype=float),
            prices["volume"].to_numpy(dtype=float),
            len(self.sessions),
            len(self.security_ids),
            key=key,
            key_sorted=validated.price_key_sorted,
        )
        self.shares = self._keyed(tables["shares"], "date", ("shares_outstanding", "float_factor"))
        self.fundamentals = self._keyed(
            tables["fundamentals"], "available_date", ("period_end", "net_income", "book_equity", "sales")
        )
        dividends = tables["dividends"].copy()
        dividends["kind"] = dividends["kind"].fillna("regular")
        self.dividends = plain_strings(
            dividends.sort_values(["ex_date", "security_id"], kind="stable").reset_index(drop=True)
        )
        self.corporate_actions = plain_strings(
            tables["corporate_actions"]
            .sort_values(["date", "security_id"], kind="stable")
            .reset_index(drop=True)
        )
        self.security_history = plain_strings(
            tables["security_history"]
            .sort_values(["date", "security_id"], kind="stable")
            .reset_index(drop=True)
        )
        self._fingerprint: str | None = None
        self._month_sums: MonthSums | None = None

    @functools.cached_property
    def company_of(self) -> pd.Series:
        """security_id -> company_id of every security."""
        return self.securities.set_index("security_id")["company_id"]

    @functools.cached_property
    def company_codes(self) -> np.ndarray:
        """Per security position, a code of its company (0..companies-1)."""
        codes, _ = pd.factorize(self.securities["company_id"])
        return np.asarray(codes, dtype=np.int64)

    @functools.cached_property
    def plain_fundamentals(self) -> bool:
        """No quarter is reported twice and every security's reports come in period order:
        the latest report known on a date is then simply the last one dated by then."""
        table = self.fundamentals
        pos, period = table["pos"], table["period_end"].astype("datetime64[D]")
        if len(pos) < 2:
            return True
        same = pos[1:] == pos[:-1]
        return bool(not (same & (period[1:] <= period[:-1])).any())

    def memo(self, name: str, compute: Callable[[], T]) -> T:
        """``compute()`` once per market: facts derived from the data alone (why each
        security left, the as-of keys) that several stages and indices read."""
        cache: dict[str, Any] = self.__dict__.setdefault("_memo", {})
        if name not in cache:
            cache[name] = compute()
        return cast(T, cache[name])

    def asof_keys(self, table: dict[str, np.ndarray]) -> np.ndarray:
        """The sorted as-of key of :attr:`shares` or :attr:`fundamentals` (built once)."""
        cache: dict[int, np.ndarray] = self.__dict__.setdefault("_asof_keys", {})
        key = cache.get(id(table))
        if key is None:
            key = cache[id(table)] = asof_key(table)
        return key

    def month_sums(self) -> MonthSums:
        """Monthly totals of the daily panel (built on first use)."""
        if self._month_sums is None:
            months = self.sessions.to_period("M").asi8
            starts = np.flatnonzero(np.r_[True, months[1:] != months[:-1]])
            self._month_sums = MonthSums(self.daily, starts)
        return self._month_sums

    def _keyed(
        self, frame: pd.DataFrame, date_column: str, value_columns: Iterable[str]
    ) -> dict[str, np.ndarray]:
        """Arrays sorted by (security position, date) for as-of look-ups."""
        pos = security_positions(frame["security_id"], self.security_ids)
        dates = frame[date_column].to_numpy().astype("datetime64[D]")
        order = np.lexsort((dates, pos))
        out = {"pos": pos[order], "date": dates[order]}
        for column in value_columns:
            out[column] = frame[column].to_numpy()[order]
        return out

    @classmethod
    def from_parts(
        cls,
        *,
        calendar: TradingCalendar,
        source: str,
        securities: pd.DataFrame,
        security_ids: pd.Index,
        sessions: pd.DatetimeIndex,
        daily: DailyPanel,
        shares: dict[str, np.ndarray],
        fundamentals: dict[str, np.ndarray],
        dividends: pd.DataFrame,
        corporate_actions: pd.DataFrame,
        security_history: pd.DataFrame,
    ) -> Market:
        """A market from the parts of one built before (see :mod:`indexsmith.data.compiled`):
        nothing is validated again."""
        market = cls.__new__(cls)
        market.calendar, market.source, market.notes = calendar, source, ()
        market.securities, market.sessions = plain_strings(securities), sessions
        market.security_ids, market.text_ids = plain_index(security_ids), security_ids
        market.daily, market.shares, market.fundamentals = daily, shares, fundamentals
        market.dividends = plain_strings(dividends)
        market.corporate_actions = plain_strings(corporate_actions)
        market.security_history = plain_strings(security_history)
        market._fingerprint = None
        market._month_sums = None
        return market

    @classmethod
    def from_frames(
        cls,
        frames: Mapping[str, pd.DataFrame],
        *,
        calendar: str = "XNYS",
        file_names: Mapping[str, str] | None = None,
        source: str = "<frames>",
        vocabulary: Mapping[str, Sequence[str]] | None = None,
    ) -> Market:
        """Validate tables in the documented format and build a market.

        ``vocabulary`` replaces the documented values of the classification columns it
        names (``{"sector": [...]}``), as a definition's ``vocabulary`` does."""
        cal = get_calendar(calendar)
        return cls(validate_frames(frames, cal, file_names, source, vocabulary), cal, source)

    @classmethod
    def from_panel(
        cls,
        frames: Mapping[str, pd.DataFrame],
        panel: DailyPanel,
        first_session: dt.date | pd.Timestamp,
        *,
        calendar: str = "XNYS",
        source: str = "<panel>",
    ) -> Market:
        """A market whose prices are an already built :class:`DailyPanel` (session-major
        rows from ``first_session``, securities in the order of ``frames["securities"]``).

        For synthetic markets and benchmarks with tens of millions of price rows: the
        other tables are validated as usual (``frames`` without ``prices``), the panel is
        trusted as given. Panel volume is shares traded.
        """
        cal = get_calendar(calendar)
        start = cal.sessions.searchsorted(pd.Timestamp(first_session))
        sessions = cal.sessions[start : start + panel.n_sessions]
        empty_prices = pd.DataFrame(
            {
                "date": [sessions[0]],
                "security_id": [frames["securities"]["security_id"].iloc[0]],
                "close": [1.0],
                "volume": [0.0],
            }
        )
        validated = validate_frames({**frames, "prices": empty_prices}, cal, None, source)
        market = cls(validated, cal, source)
        market.sessions = sessions
        market.daily = panel
        return market

    def __repr__(self) -> str:
        span = f"{self.sessions[0]:%Y-%m-%d}..{self.sessions[-1]:%Y-%m-%d}" if len(self.sessions) else "empty"
        return (
            f"<Market {self.source}: {len(self.securities)} securities, {len(self.sessions)} sessions {span}>"
        )

    @property
    def currency(self) -> str:
        """The currency of every price and amount (USD unless the securities say another)."""
        given = self.securities["currency"].dropna()
        return str(given.iloc[0]) if len(given) else "USD"

    @property
    def first_session(self) -> pd.Timestamp:
        return self.sessions[0]

    @property
    def last_session(self) -> pd.Timestamp:
        return self.sessions[-1]

    def session_index(self, date: dt.date | pd.Timestamp) -> int:
        """Position of the session on or before ``date`` in :attr:`sessions`."""
        i = int(self.sessions.searchsorted(pd.Timestamp(date), side="right")) - 1
        if i < 0:
            raise DataError(
                [
                    Problem(
                        f"date {pd.Timestamp(date):%Y-%m-%d} is before the first session of the market data ({self.first_session:%Y-%m-%d})",
                        hint="start the index later",
                    )
                ]
            )
        return i

    def view(self, as_of: dt.date | pd.Timestamp) -> MarketView:
        """A point-in-time view: nothing dated after ``as_of`` is visible."""
        return MarketView(self, as_of)

    def set_fingerprint(self, value: str) -> None:
        """Use a fingerprint computed earlier for the same tables (a cache that keeps it)."""
        if not value.startswith("sha256:"):
            raise ValueError(f"not a market fingerprint: {value[:80]!r}")
        self._fingerprint = value

    def fingerprint(self) -> str:
        """SHA-256 of the market's contents (independent of file format and row order)."""
        if self._fingerprint is None:
            digest = hashlib.sha256()
            digest.update(self.calendar.code.encode())
            # An optional column added after 0.1 and left empty does not change the fingerprint.
            securities = self.securities
            if securities["currency"].isna().all():
                securities = securities.drop(columns=["currency"])
            digest.update(
                pd.util.hash_pandas_object(securities.astype(object), index=False).to_numpy().tobytes()
            )
            digest.update(np.int64(self.sessions.asi8[0] if len(self.sessions) else 0).tobytes())
            for array in (self.daily.key, self.daily.close, self.daily.volume):
                digest.update(np.ascontiguousarray(array).tobytes())
            for table in (self.shares, self.fundamentals):
                for key in sorted(table):
                    values = table[key]
                    digest.update(
                        np.ascontiguousarray(
                            values.astype(np.float64) if values.dtype.kind == "f" else values
                        ).tobytes()
                    )
            # A market without a security history keeps the fingerprint it had before the table.
            frames = [self.dividends, self.corporate_actions]
            if len(self.security_history):
                frames.append(self.security_history)
            for frame in frames:
                digest.update(
                    pd.util.hash_pandas_object(frame.astype(object), index=False).to_numpy().tobytes()
                )
            self._fingerprint = "sha256:" + digest.hexdigest()
        return self._fingerprint
