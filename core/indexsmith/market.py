"""Market data: the documented table format, the loader, and point-in-time views.

A :class:`Market` holds one market in memory, columnar: daily closes and volumes as dense
``sessions x securities`` float arrays, and the slowly changing tables (shares and float
factors, fundamentals, dividends, corporate actions) as arrays sorted by security and
date. No per-row Python objects.

Components never see a :class:`Market`. They get a :class:`MarketView` made for one as-of
date, which holds only data dated on or before that date (array prefixes and filtered
rows), so a component cannot look ahead even by accident; asking a view for a later date
raises :class:`~indexsmith.errors.PointInTimeError`.

The table format is documented in ``docs/data.md``; :data:`SCHEMA` is its source.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import attrs
import numpy as np
import pandas as pd

from indexsmith.calendars import TradingCalendar, get_calendar
from indexsmith.errors import DataError, PointInTimeError, Problem


@attrs.frozen
class Column:
    name: str
    dtype: str  # "str", "date", "float"
    required: bool = True
    help: str = ""


#: Table name -> columns, in documented order. ``docs/data.md`` is generated from this.
SCHEMA: dict[str, tuple[Column, ...]] = {
    "securities": (
        Column("security_id", "str", help="unique key of the listed line"),
        Column("company_id", "str", help="share classes of one company share it"),
        Column("ticker", "str"),
        Column("name", "str"),
        Column("sector", "str", help="one of 11 GICS-like sectors"),
        Column("industry", "str", required=False),
        Column("exchange", "str", help="MIC of the primary listing: XNYS, XNAS, XASE, ARCX, OTC"),
        Column("country_of_incorporation", "str", help="ISO 3166 alpha-2"),
        Column("country_of_headquarters", "str", help="ISO 3166 alpha-2"),
        Column(
            "security_type",
            "str",
            help="common, REIT, ADR, preferred, ETF, closed-end fund, LP, BDC, SPAC, tracking",
        ),
        Column("listing_date", "date", help="first session with a price"),
        Column(
            "delisting_date", "date", required=False, help="last session with a price; empty while listed"
        ),
    ),
    "prices": (
        Column("date", "date", help="a session of the market's calendar"),
        Column("security_id", "str"),
        Column("close", "float", help="raw (unadjusted) close, USD"),
        Column("volume", "float", help="shares traded (raw, not split-adjusted)"),
    ),
    "shares": (
        Column("date", "date", help="effective date; the row holds until the next one"),
        Column("security_id", "str"),
        Column("shares_outstanding", "float", help="shares of this line, > 0"),
        Column("float_factor", "float", help="fraction of shares available to investors, 0 < f <= 1"),
    ),
    "dividends": (
        Column("ex_date", "date"),
        Column("security_id", "str"),
        Column("amount", "float", help="cash per share, USD"),
        Column("kind", "str", help="regular or special"),
    ),
    "corporate_actions": (
        Column("date", "date", help="ex or effective date"),
        Column("security_id", "str"),
        Column(
            "action",
            "str",
            help="split, spin-off, cash-acquisition, stock-acquisition, delisting, ticker-change",
        ),
        Column(
            "ratio",
            "float",
            required=False,
            help="split: new shares per old; spin-off and stock acquisition: new shares per share held",
        ),
        Column("cash", "float", required=False, help="cash per share (cash acquisition)"),
        Column("acquirer_id", "str", required=False, help="security_id of the acquirer"),
        Column("new_security_id", "str", required=False, help="security_id of the spun-off company"),
        Column(
            "reason",
            "str",
            required=False,
            help="delisting reason: bankruptcy, acquisition, voluntary, listing-standards",
        ),
        Column("new_ticker", "str", required=False),
    ),
    "fundamentals": (
        Column("security_id", "str"),
        Column("period_end", "date", help="fiscal quarter end"),
        Column("available_date", "date", help="first date the market could know the figures"),
        Column("net_income", "float", help="quarterly GAAP net income, USD"),
        Column("book_equity", "float", help="book value of common equity at period end, USD"),
        Column("sales", "float", help="quarterly sales, USD"),
    ),
}

REQUIRED_TABLES = ("securities", "prices", "shares")
MAX_PROBLEMS = 50


def isin(values: Iterable[str], pool: Iterable[str]) -> np.ndarray:
    """``values.isin(pool)`` for id strings, as a boolean array.

    pandas' Arrow-backed strings test membership one Python object at a time (tens of
    milliseconds for a few thousand ids); hashing plain object arrays is ~30x faster, and
    the engine does this for every review and index."""
    pool_array = np.asarray(pool if not isinstance(pool, (set, dict)) else list(pool), dtype=object)
    return pd.Index(np.asarray(values, dtype=object), dtype=object).isin(pool_array)


# -- loading and validation -----------------------------------------------------------------


def read_table(directory: Path, table: str) -> tuple[pd.DataFrame | None, str]:
    """Read ``<table>.parquet`` or ``<table>.csv`` from a directory (Parquet first)."""
    for suffix in (".parquet", ".csv"):
        path = directory / f"{table}{suffix}"
        if path.exists():
            if suffix == ".parquet":
                return pd.read_parquet(path), path.name
            return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""]), path.name
    return None, f"{table}.parquet"


def load_market(path: str | Path, *, calendar: str = "XNYS") -> Market:
    """Load and validate a market-data directory (see ``docs/data.md``)."""
    directory = Path(path)
    if not directory.is_dir():
        raise DataError(
            [
                Problem(
                    f"market-data directory {directory} does not exist",
                    hint="pass --data DIR with securities, prices and shares tables, or export the demo market with 'indexsmith market export DIR'",
                )
            ]
        )
    frames: dict[str, pd.DataFrame] = {}
    names: dict[str, str] = {}
    missing = []
    for table in SCHEMA:
        frame, name = read_table(directory, table)
        names[table] = name
        if frame is None:
            if table in REQUIRED_TABLES:
                missing.append(
                    Problem(
                        f"missing table {table}",
                        where=str(directory),
                        hint=f"add {table}.parquet or {table}.csv",
                    )
                )
            continue
        frames[table] = frame
    if missing:
        raise DataError(missing)
    return Market.from_frames(frames, calendar=calendar, file_names=names, source=str(directory))


class _Problems:
    """Collects validation problems up to a cap."""

    def __init__(self) -> None:
        self.items: list[Problem] = []
        self.dropped = 0

    def add(self, message: str, where: str, hint: str = "") -> None:
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(Problem(message, where, hint))
        else:
            self.dropped += 1

    def rows(
        self,
        file: str,
        frame: pd.DataFrame,
        mask: np.ndarray,
        message: str | Callable[[pd.Series], str],
        hint: str,
    ) -> None:
        """One problem per offending row (data rows counted from 1). ``message`` is a
        callable of the row, or a template such as ``"close {row[close]} is not > 0"``."""
        offending = np.flatnonzero(mask)
        room = max(MAX_PROBLEMS - len(self.items), 0)
        for i in offending[:room]:
            row = frame.iloc[i]
            text = message.format(row=row) if isinstance(message, str) else message(row)
            self.add(text, f"{file} row {i + 1}", hint)
        self.dropped += max(0, len(offending) - room)

    def raise_if_any(self, source: str | None) -> None:
        if self.items:
            problems = list(self.items)
            if self.dropped > 0:
                problems.append(Problem(f"... and {self.dropped} more problems not shown"))
            raise DataError(problems, source=source)


_EMPTY_DTYPES = {"str": object, "date": "datetime64[ns]", "float": "float64"}


def _coerce(frame: pd.DataFrame, table: str, file: str, problems: _Problems) -> pd.DataFrame:
    """Check columns and convert types; report what cannot be converted.

    Columns already of the right type (Parquet) are taken as they are, so large tables load
    without per-row work.
    """
    out = {}
    for column in SCHEMA[table]:
        if column.name not in frame.columns:
            if column.required:
                problems.add(
                    f"missing column '{column.name}'",
                    file,
                    f"add it ({column.dtype}{': ' + column.help if column.help else ''})",
                )
            out[column.name] = pd.Series(
                np.full(len(frame), np.nan if column.dtype != "str" else None),
                dtype=_EMPTY_DTYPES[column.dtype],
            )
            continue
        raw = frame[column.name]
        if column.dtype == "float":
            if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
                values = raw.astype("float64")
                bad = np.zeros(len(raw), dtype=bool)
            else:
                values = pd.to_numeric(raw, errors="coerce").astype("float64")
                bad = values.isna().to_numpy() & raw.notna().to_numpy()
            label = "a number"
        elif column.dtype == "date":
            if pd.api.types.is_datetime64_any_dtype(raw):
                values = raw.astype("datetime64[ns]")
            else:
                values = pd.to_datetime(raw, errors="coerce", format="%Y-%m-%d")
                retry = values.isna() & raw.notna()
                if retry.any():
                    values[retry] = pd.to_datetime(raw[retry], errors="coerce", format="mixed")
                values = values.astype("datetime64[ns]")
            bad = values.isna().to_numpy() & raw.notna().to_numpy()
            label = "a date (YYYY-MM-DD)"
        else:
            values = raw
            if not (isinstance(raw.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(raw)):
                values = raw.astype(object).where(raw.notna(), None).map(lambda v: v if v is None else str(v))
            bad = np.zeros(len(raw), dtype=bool)
            label = "text"
        if bad.any():
            problems.rows(
                file, frame, bad, f"column '{column.name}' has {{row[{column.name}]!r}}", f"write {label}"
            )
        if column.required and column.dtype != "float":
            empty = values.isna().to_numpy() & ~bad
            if empty.any():
                problems.rows(file, frame, empty, f"column '{column.name}' is empty", "fill it in")
        out[column.name] = (
            values if isinstance(values.index, pd.RangeIndex) else values.reset_index(drop=True)
        )
    return pd.DataFrame(out, copy=False)


def _codes(values: pd.Series, ids: pd.Index) -> np.ndarray:
    """Position (int32) of each value in ``ids`` (-1 if absent), without hashing every row
    when the column is categorical (as the demo cache writes it)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        mapping = np.append(ids.get_indexer(values.cat.categories), -1).astype(np.int32)
        return mapping[values.cat.codes.to_numpy()]
    return ids.get_indexer(values).astype(np.int32)


@attrs.frozen
class Validated:
    """Tables that passed validation, with each price row's session and security index."""

    tables: dict[str, pd.DataFrame]
    security_ids: pd.Index
    price_session: np.ndarray
    price_security: np.ndarray
    #: ``session * n_securities + security`` of each price row, and whether the rows are
    #: already in that (session-major) order.
    price_key: np.ndarray
    price_key_sorted: bool


def validate_frames(
    raw: Mapping[str, pd.DataFrame],
    calendar: TradingCalendar,
    file_names: Mapping[str, str] | None = None,
    source: str | None = None,
) -> Validated:
    """Check every table against :data:`SCHEMA` and the rules in ``docs/data.md``.

    Returns the tables with normalised types; raises :class:`DataError` listing every
    problem found (up to a cap), each with file, row and fix.
    """
    names = {t: (file_names or {}).get(t, f"{t}.parquet") for t in SCHEMA}
    problems = _Problems()
    tables: dict[str, pd.DataFrame] = {}
    for table in SCHEMA:
        if table in raw:
            tables[table] = _coerce(raw[table], table, names[table], problems)
        else:
            if table in REQUIRED_TABLES:
                problems.add(f"missing table {table}", source or "market data", f"provide {table}")
            empty = pd.DataFrame({c.name: pd.Series(dtype=_EMPTY_DTYPES[c.dtype]) for c in SCHEMA[table]})
            tables[table] = _coerce(empty, table, names[table], problems)
    problems.raise_if_any(source)

    sec = tables["securities"].sort_values("security_id", kind="stable").reset_index(drop=True)
    tables["securities"] = sec
    dup = sec["security_id"].duplicated(keep=False).to_numpy()
    problems.rows(
        names["securities"],
        sec,
        dup,
        lambda r: f"security_id {r['security_id']} appears more than once",
        "keep one row per security",
    )
    ids = pd.Index(sec["security_id"].astype(object).to_numpy(), name="security_id")
    if not ids.is_unique:
        problems.raise_if_any(source)

    codes = {}
    for table in ("prices", "shares", "dividends", "corporate_actions", "fundamentals"):
        frame = tables[table]
        codes[table] = _codes(frame["security_id"], ids)
        problems.rows(
            names[table],
            frame,
            codes[table] < 0,
            lambda r: f"security {r['security_id']} is not in securities",
            "add it to the securities table or remove the row",
        )

    prices = tables["prices"]
    close = prices["close"].to_numpy()
    problems.rows(
        names["prices"],
        prices,
        ~(close > 0),
        lambda r: (
            f"close {r['close']} for {r['security_id']} on {r['date']:%Y-%m-%d} is not a positive number"
        ),
        "fix or remove the row",
    )
    problems.rows(
        names["prices"],
        prices,
        ~(prices["volume"].to_numpy() >= 0),
        lambda r: f"volume {r['volume']} for {r['security_id']} on {r['date']:%Y-%m-%d} is not >= 0",
        "write 0 for no trades",
    )

    session_of = {}
    for table, column in (
        ("prices", "date"),
        ("shares", "date"),
        ("dividends", "ex_date"),
        ("corporate_actions", "date"),
    ):
        frame = tables[table]
        pos, found = _session_positions(frame[column].to_numpy(), calendar._session_values)
        session_of[table] = pos
        problems.rows(
            names[table],
            frame,
            ~found,
            f"{column} {{row[{column}]:%Y-%m-%d}} is not a {calendar.code} session",
            f"use trading days of the {calendar.code} calendar",
        )

    n_sec = max(len(ids), 1)
    keys = {}
    for table in ("prices", "shares"):
        frame = tables[table]
        key = panel_key(session_of[table], codes[table], n_sec, len(calendar.sessions))
        keys[table] = key
        if len(key) > 1 and not (key[1:] > key[:-1]).all():
            order = np.argsort(key, kind="stable")
            repeated = np.zeros(len(key), dtype=bool)
            same = np.diff(key[order]) == 0
            repeated[order[1:][same]] = True
            repeated[order[:-1][same]] = True
            what = "price" if table == "prices" else "share row"
            problems.rows(
                names[table],
                frame,
                repeated,
                f"duplicate {what} for {{row[security_id]}} on {{row[date]:%Y-%m-%d}}",
                "keep one row per (date, security_id)",
            )

    shares = tables["shares"]
    problems.rows(
        names["shares"],
        shares,
        ~(shares["shares_outstanding"].to_numpy() > 0),
        lambda r: f"shares_outstanding {r['shares_outstanding']} for {r['security_id']} is not > 0",
        "shares must be positive",
    )
    ff = shares["float_factor"].to_numpy()
    problems.rows(
        names["shares"],
        shares,
        ~((ff > 0) & (ff <= 1)),
        lambda r: f"float_factor {r['float_factor']} for {r['security_id']} is outside (0, 1]",
        "use a fraction such as 0.85",
    )

    delisted = sec["delisting_date"].to_numpy()
    if len(prices) and not np.isnat(delisted).all():
        limit = np.append(delisted, np.datetime64("NaT"))[codes["prices"]]
        after = ~np.isnat(limit) & (prices["date"].to_numpy() > limit)
        by_id = sec.set_index("security_id")["delisting_date"]
        problems.rows(
            names["prices"],
            prices,
            after,
            lambda r: (
                f"price for {r['security_id']} on {r['date']:%Y-%m-%d} is after its delisting_date {by_id[r['security_id']]:%Y-%m-%d}"
            ),
            "remove the row or correct delisting_date",
        )

    problems.raise_if_any(source)
    price_key = keys["prices"]
    in_order = bool(len(price_key) < 2 or (price_key[1:] > price_key[:-1]).all())
    return Validated(tables, ids, session_of["prices"], codes["prices"], price_key, in_order)


def _session_positions(dates: np.ndarray, sessions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index (int32) of each date in ``sessions`` and whether it is one.

    Date-sorted input (as written by the demo cache) is converted run by run rather than
    with one binary search per row.
    """
    days = dates.astype("datetime64[D]")
    if len(days) > 1 and (days[1:] >= days[:-1]).all():
        starts = np.flatnonzero(np.r_[True, days[1:] != days[:-1]])
        runs = np.diff(np.r_[starts, len(days)])
        unique = days[starts]
        pos = np.searchsorted(sessions, unique).astype(np.int32)
        found = sessions[np.minimum(pos, len(sessions) - 1)] == unique
        return np.repeat(pos, runs), np.repeat(found, runs)
    pos = np.searchsorted(sessions, days).astype(np.int32)
    return pos, sessions[np.minimum(pos, len(sessions) - 1)] == days


def panel_key(session: np.ndarray, security: np.ndarray, n_securities: int, n_sessions: int) -> np.ndarray:
    """``session * n_securities + security``, in int32 when it fits (half the memory)."""
    dtype = np.int32 if n_sessions * max(n_securities, 1) < np.iinfo(np.int32).max else np.int64
    key: np.ndarray = session.astype(dtype)
    np.multiply(key, max(n_securities, 1), out=key)
    np.add(key, security, out=key, casting="unsafe")
    return key


# -- daily data ------------------------------------------------------------------------------


class DailyPanel:
    """Daily closes and volumes in a compact, time-major layout.

    One row per (session, security) from a security's first price to its last, sorted by
    session then security, addressed by ``key = session * n_securities + security``. The
    rows of sessions up to ``t`` are a prefix of every array, so a point-in-time view is a
    set of zero-copy slices that holds nothing later. A missing close inside a security's
    span is carried forward (``observed`` is False there) and its volume is 0.
    """

    #: First and last session index of each security (-1 when it has no price); set by
    #: :meth:`from_rows`, not carried by prefixes.
    first_session: np.ndarray
    last_session: np.ndarray

    def __init__(
        self,
        key: np.ndarray,
        close: np.ndarray,
        volume: np.ndarray,
        observed: np.ndarray,
        n_sessions: int,
        n_securities: int,
    ) -> None:
        self.key = key
        self.close = close
        self.volume = volume
        self.observed = observed
        self.n_sessions = n_sessions
        self.n_securities = n_securities

    @classmethod
    def from_rows(
        cls,
        session: np.ndarray,
        security: np.ndarray,
        close: np.ndarray,
        volume: np.ndarray,
        n_sessions: int,
        n_securities: int,
        key: np.ndarray | None = None,
        key_sorted: bool = False,
    ) -> DailyPanel:
        """Build from price rows (session and security positions, any order).

        ``key`` (see :func:`panel_key`) may be passed when already computed; when the rows
        are already in key order and no span has gaps, the arrays are used as they are.
        """
        n = max(n_securities, 1)
        # ufunc.at is fast only when every dtype matches.
        session = np.asarray(session)
        security = np.asarray(security, dtype=np.intp)
        first = np.full(n, np.iinfo(session.dtype).max, dtype=session.dtype)
        last = np.full(n, -1, dtype=session.dtype)
        np.minimum.at(first, security, session)
        np.maximum.at(last, security, session)
        has = last >= 0
        first[~has] = -1
        first, last = first.astype(np.int64), last.astype(np.int64)
        lengths = np.where(has, last - first + 1, 0)
        if lengths.sum() == len(session):
            # No gaps inside any span: the rows are the panel.
            if key is None:
                key = panel_key(session, security, n, n_sessions)
                key_sorted = bool(len(key) < 2 or (key[1:] > key[:-1]).all())
            if key_sorted:
                panel = cls(key, close, volume, np.ones(len(key), dtype=bool), n_sessions, n_securities)
            else:
                order = np.argsort(key, kind="stable")
                panel = cls(
                    key[order],
                    close[order],
                    volume[order],
                    np.ones(len(key), dtype=bool),
                    n_sessions,
                    n_securities,
                )
            panel.first_session, panel.last_session = first, last
            return panel
        session = session.astype(np.int64)
        security = security.astype(np.int64)
        # Fill the gaps, security by security, then reorder by time.
        start = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        full_security = np.repeat(np.arange(n), lengths)
        full_session = first[full_security] + (np.arange(lengths.sum()) - start[full_security])
        slot = start[security] + (session - first[security])
        observed = np.zeros(len(full_session), dtype=bool)
        observed[slot] = True
        full_close = np.full(len(full_session), np.nan)
        full_close[slot] = close
        full_volume = np.zeros(len(full_session))
        full_volume[slot] = volume
        carried = np.maximum.accumulate(np.where(observed, np.arange(len(observed)), 0))
        full_close = full_close[carried]
        key = panel_key(full_session, full_security, n, n_sessions)
        order = np.argsort(key, kind="stable")
        panel = cls(
            key[order], full_close[order], full_volume[order], observed[order], n_sessions, n_securities
        )
        panel.first_session, panel.last_session = first, last
        return panel

    def __len__(self) -> int:
        return len(self.key)

    def prefix(self, t: int) -> DailyPanel:
        """The rows of sessions ``0..t``: zero-copy slices."""
        stop = int(np.searchsorted(self.key, self.key.dtype.type((t + 1) * max(self.n_securities, 1))))
        return DailyPanel(
            self.key[:stop],
            self.close[:stop],
            self.volume[:stop],
            self.observed[:stop],
            t + 1,
            self.n_securities,
        )

    def rows(
        self, sessions: np.ndarray | np.integer | int, positions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Row numbers of every (session, security) pair (broadcast) and whether it exists."""
        wanted = np.asarray(sessions, dtype=np.int64)[..., None] * max(self.n_securities, 1) + np.asarray(
            positions, dtype=np.int64
        )
        # Query in the key's own dtype: mixed dtypes would make numpy cast the whole key.
        wanted = wanted.astype(self.key.dtype)
        row = np.searchsorted(self.key, wanted)
        row = np.minimum(row, len(self.key) - 1)
        found = (self.key[row] == wanted) if len(self.key) else np.zeros(wanted.shape, dtype=bool)
        return row, found

    def get(self, field: str, sessions: np.ndarray | int, positions: np.ndarray) -> np.ndarray:
        """Values of ``field`` for each (session, security): NaN where the security has no row."""
        values = getattr(self, field)
        row, found = self.rows(np.atleast_1d(sessions), positions)
        out = np.where(found, values[row] if len(values) else np.nan, np.nan)
        return out[0] if np.ndim(sessions) == 0 else out


# -- the market ---------------------------------------------------------------------------


class Market:
    """One market in memory. Build it with :func:`load_market` or :meth:`from_frames`."""

    def __init__(self, validated: Validated, calendar: TradingCalendar, source: str) -> None:
        tables = validated.tables
        self.calendar = calendar
        self.source = source
        self.securities = tables["securities"]
        self.security_ids = validated.security_ids
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
        self.first_price_index = self.daily.first_session
        self.last_price_index = self.daily.last_session
        self.shares = self._keyed(tables["shares"], "date", ("shares_outstanding", "float_factor"))
        self.fundamentals = self._keyed(
            tables["fundamentals"], "available_date", ("period_end", "net_income", "book_equity", "sales")
        )
        dividends = tables["dividends"].copy()
        dividends["kind"] = dividends["kind"].fillna("regular")
        self.dividends = dividends.sort_values(["ex_date", "security_id"], kind="stable").reset_index(
            drop=True
        )
        self.corporate_actions = (
            tables["corporate_actions"]
            .sort_values(["date", "security_id"], kind="stable")
            .reset_index(drop=True)
        )
        self._fingerprint: str | None = None

    def _keyed(
        self, frame: pd.DataFrame, date_column: str, value_columns: Iterable[str]
    ) -> dict[str, np.ndarray]:
        """Arrays sorted by (security position, date) for as-of look-ups."""
        pos = _codes(frame["security_id"], self.security_ids)
        dates = frame[date_column].to_numpy().astype("datetime64[D]")
        order = np.lexsort((dates, pos))
        out = {"pos": pos[order], "date": dates[order]}
        for column in value_columns:
            out[column] = frame[column].to_numpy()[order]
        return out

    @classmethod
    def from_frames(
        cls,
        frames: Mapping[str, pd.DataFrame],
        *,
        calendar: str = "XNYS",
        file_names: Mapping[str, str] | None = None,
        source: str = "<frames>",
    ) -> Market:
        """Validate tables in the documented format and build a market."""
        cal = get_calendar(calendar)
        return cls(validate_frames(frames, cal, file_names, source), cal, source)

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
        market.first_price_index = panel.first_session
        market.last_price_index = panel.last_session
        return market

    def __repr__(self) -> str:
        span = f"{self.sessions[0]:%Y-%m-%d}..{self.sessions[-1]:%Y-%m-%d}" if len(self.sessions) else "empty"
        return (
            f"<Market {self.source}: {len(self.securities)} securities, {len(self.sessions)} sessions {span}>"
        )

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

    def fingerprint(self) -> str:
        """SHA-256 of the market's contents (independent of file format and row order)."""
        if self._fingerprint is None:
            digest = hashlib.sha256()
            digest.update(self.calendar.code.encode())
            digest.update(
                pd.util.hash_pandas_object(self.securities.astype(object), index=False).to_numpy().tobytes()
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
            for frame in (self.dividends, self.corporate_actions):
                digest.update(
                    pd.util.hash_pandas_object(frame.astype(object), index=False).to_numpy().tobytes()
                )
            self._fingerprint = "sha256:" + digest.hexdigest()
        return self._fingerprint


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
