"""Validation of market-data tables against :data:`~indexsmith.data.schema.SCHEMA` and
the rules of ``docs/data.md``: every problem found (up to a cap) with file, row and fix.

It decides what data is acceptable; it does not build the in-memory market (that is
:mod:`indexsmith.data.market`).
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
from collections.abc import Callable, Mapping, Sequence

import attrs
import exchange_calendars as xcals
import numpy as np
import pandas as pd

from indexsmith.data.calendars import TradingCalendar
from indexsmith.data.panel import panel_key
from indexsmith.data.rules import check_rules
from indexsmith.data.schema import MAX_PROBLEMS, REQUIRED_TABLES, SCHEMA, VOCABULARY
from indexsmith.errors import DataError, Problem


class _Problems:
    """Collects validation problems up to a cap."""

    def __init__(self) -> None:
        self.items: list[Problem] = []
        self.dropped = 0
        #: Row numbers in the file a source read, for frames whose rows are not the file's
        #: own (a vendor's file converted, a table sorted), by ``id`` of the frame.
        self.row_numbers: dict[int, np.ndarray] = {}

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
        numbers = self.row_numbers.get(id(frame))
        for i in offending[:room]:
            row = frame.iloc[i]
            text = message.format(row=row) if isinstance(message, str) else message(row)
            self.add(text, f"{file} row {numbers[i] if numbers is not None else i + 1}", hint)
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
            elif pd.api.types.is_numeric_dtype(raw):  # 20240102 or an epoch: not read as a date
                values = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
            else:
                dates = raw
                if pd.api.types.infer_dtype(raw, skipna=True) not in ("string", "empty", "datetime", "date"):
                    # Mixed objects (a frame from Python): a number among them is not a date.
                    dated = raw.map(lambda v: isinstance(v, (str, dt.date, np.datetime64))).to_numpy(
                        dtype=bool
                    )
                    dates = raw.where(dated, None)
                values = pd.to_datetime(dates, errors="coerce", format="%Y-%m-%d")
                retry = values.isna() & dates.notna()
                if retry.any():  # ISO 8601 only (a time of day, a T): never month-first
                    text = dates[retry].astype(str)
                    values[retry] = pd.to_datetime(
                        text.where(text.str.match(r"^\d{4}-\d{2}-\d{2}")), errors="coerce", format="ISO8601"
                    )
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
        # Rows are positions: a frame a source filtered keeps its labels, which must not align.
        plain = isinstance(values.index, pd.RangeIndex) and values.index.start == 0 and values.index.step == 1
        out[column.name] = values if plain else values.reset_index(drop=True)
    return pd.DataFrame(out, copy=False)


def security_positions(values: pd.Series, ids: pd.Index) -> np.ndarray:
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
    vocabulary: Mapping[str, Sequence[str]] | None = None,
) -> Validated:
    """Check every table against :data:`SCHEMA` and the rules in ``docs/data.md``.

    ``vocabulary`` replaces the documented values (:data:`VOCABULARY`) of the columns it
    names. Returns the tables with normalised types; raises :class:`DataError` listing
    every problem found (up to a cap), each with file, row and fix.
    """
    names = {t: (file_names or {}).get(t, f"{t}.parquet") for t in SCHEMA}
    problems = _Problems()
    tables: dict[str, pd.DataFrame] = {}
    for table in SCHEMA:
        if table in raw:
            # A source names each row's line in its own file (``attrs["source_rows"]``).
            given = raw[table].attrs.get("source_rows")
            usable = given is not None and len(given) == len(raw[table])
            numbers = np.asarray(given) if usable else np.arange(1, len(raw[table]) + 1)
            problems.row_numbers[id(raw[table])] = numbers
            tables[table] = _coerce(raw[table], table, names[table], problems)
            problems.row_numbers[id(tables[table])] = numbers
        else:
            if table in REQUIRED_TABLES:
                problems.add(f"missing table {table}", source or "market data", f"provide {table}")
            empty = pd.DataFrame({c.name: pd.Series(dtype=_EMPTY_DTYPES[c.dtype]) for c in SCHEMA[table]})
            tables[table] = _coerce(empty, table, names[table], problems)
    problems.raise_if_any(source)

    order = np.argsort(tables["securities"]["security_id"].to_numpy(dtype=str), kind="stable")
    numbers = problems.row_numbers.get(id(tables["securities"]), np.arange(1, len(order) + 1))
    sec = tables["securities"].iloc[order].reset_index(drop=True)
    problems.row_numbers[id(sec)] = numbers[order]
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

    for table in ("securities", "security_history"):
        _check_vocabulary(tables[table], names[table], calendar.code, vocabulary or {}, problems)
    _check_currency(sec, names["securities"], problems)

    codes = {}
    for table in ("prices", "shares", "dividends", "corporate_actions", "security_history", "fundamentals"):
        frame = tables[table]
        codes[table] = security_positions(frame["security_id"], ids)
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
        ("security_history", "date"),
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
    for table in ("prices", "shares", "security_history"):
        frame = tables[table]
        key = panel_key(session_of[table], codes[table], n_sec, len(calendar.sessions))
        keys[table] = key
        if len(key) > 1 and not (key[1:] > key[:-1]).all():
            order = np.argsort(key, kind="stable")
            repeated = np.zeros(len(key), dtype=bool)
            same = np.diff(key[order]) == 0
            repeated[order[1:][same]] = True
            repeated[order[:-1][same]] = True
            what = {"prices": "price", "shares": "share row", "security_history": "history row"}[table]
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

    _check_amounts(tables, names, codes, session_of, problems)
    check_rules(tables, names, codes, ids, problems)

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


@functools.cache
def _known_mics() -> frozenset[str]:
    return frozenset(
        n for n in xcals.get_calendar_names(include_aliases=False) if len(n) == 4 and n.isupper()
    )


def _check_vocabulary(
    frame: pd.DataFrame,
    file: str,
    calendar_code: str,
    declared: Mapping[str, Sequence[str]],
    problems: _Problems,
) -> None:
    """Every sector, exchange and security type of ``frame`` (the securities, or their
    history) is a documented value (or one the definition declares); one problem per
    unknown value, with its rows and a did-you-mean."""
    for column, documented in VOCABULARY.items():
        allowed = set(declared.get(column, documented))
        if column == "exchange" and column not in declared:
            allowed |= _known_mics() | {calendar_code}
        values = frame[column].astype(object)
        unknown = values.notna().to_numpy() & ~values.isin(allowed).to_numpy()
        if not unknown.any():
            continue
        numbers = problems.row_numbers.get(id(frame), np.arange(1, len(frame) + 1))
        for value in pd.unique(values[unknown]):
            rows = np.sort(numbers[np.flatnonzero((values == value).to_numpy())])
            close = difflib.get_close_matches(str(value), sorted(allowed), n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'? " if close else ""
            hint += (
                f"use one of {', '.join(declared.get(column, documented))}"
                f", or declare the value in the definition's vocabulary ({column} = [...])"
            )
            count = f"{len(rows)} rows, first" if len(rows) > 1 else "row"
            problems.add(
                f"{column} {value!r} is not a known {column.replace('_', ' ')}",
                f"{file} {count} {rows[0]}",
                hint,
            )


def _check_currency(sec: pd.DataFrame, file: str, problems: _Problems) -> None:
    """One currency per market: prices, dividends and caps are summed across securities."""
    currency = sec["currency"].astype(object).where(sec["currency"].notna(), "USD")
    if sec["currency"].isna().all():
        return
    found = sorted(pd.unique(currency))
    if len(found) > 1:
        minority = (currency != currency.value_counts().index[0]).to_numpy()
        numbers = problems.row_numbers.get(id(sec), np.arange(1, len(sec) + 1))
        first = int(numbers[minority].min())
        problems.add(
            f"the securities have {len(found)} currencies ({', '.join(found)}; empty counts as USD)",
            f"{file} row {first}",
            "a market holds one currency: convert prices and amounts, or load each market separately",
        )
    bad = ~currency.str.fullmatch(r"[A-Z]{3}").to_numpy()
    problems.rows(
        file,
        sec,
        bad,
        lambda r: f"currency {r['currency']!r} is not an ISO 4217 code",
        "write e.g. USD or JPY",
    )


def _check_amounts(
    tables: dict[str, pd.DataFrame],
    names: Mapping[str, str],
    codes: Mapping[str, np.ndarray],
    session_of: Mapping[str, np.ndarray],
    problems: _Problems,
) -> None:
    """Cash dividends are positive and below the price they are paid from; split ratios
    are positive."""
    dividends, prices = tables["dividends"], tables["prices"]
    amount = dividends["amount"].to_numpy()
    problems.rows(
        names["dividends"],
        dividends,
        ~(amount > 0),
        lambda r: (
            f"dividend amount {r['amount']} for {r['security_id']} on {r['ex_date']:%Y-%m-%d} is not > 0"
        ),
        "a cash dividend is a positive amount per share: remove the row (a charge or a reversal is not a dividend)",
    )
    if len(dividends) and len(prices):
        # The close before the ex-date (the price the dividend comes out of).
        n = int(max(session_of[t].max(initial=0) for t in ("prices", "dividends", "corporate_actions"))) + 2
        price_key = codes["prices"].astype(np.int64) * n + session_of["prices"]
        order = np.argsort(price_key, kind="stable")
        sorted_key = price_key[order]
        wanted = codes["dividends"].astype(np.int64) * n + session_of["dividends"]
        at = np.searchsorted(sorted_key, wanted, side="left") - 1
        ok = (at >= 0) & (codes["dividends"] >= 0)
        same = np.zeros(len(wanted), dtype=bool)
        same[ok] = sorted_key[at[ok]] // n == codes["dividends"][ok]
        before = np.full(len(wanted), np.nan)
        before[same] = prices["close"].to_numpy()[order[at[same]]]
        # A split on the ex-date itself moves the previous close onto the new shares.
        actions = tables["corporate_actions"]
        is_split = (actions["action"] == "split").to_numpy() & (actions["ratio"].to_numpy() > 0)
        if is_split.any():
            split_key = (
                codes["corporate_actions"][is_split].astype(np.int64) * n
                + session_of["corporate_actions"][is_split]
            )
            ratio_of = pd.Series(actions["ratio"].to_numpy()[is_split]).groupby(split_key).prod()
            before = before / ratio_of.reindex(wanted).fillna(1.0).to_numpy()
        too_big = same & (amount >= before)
        problems.rows(
            names["dividends"],
            dividends,
            too_big,
            lambda r: (
                f"dividend amount {r['amount']} for {r['security_id']} on {r['ex_date']:%Y-%m-%d} is not below "
                f"the previous close (on the shares after a split that day)"
            ),
            "check the amount's units and currency; a distribution worth the whole share is a delisting or an exchange",
        )
    actions = tables["corporate_actions"]
    ratio = actions["ratio"].to_numpy()
    problems.rows(
        names["corporate_actions"],
        actions,
        (actions["action"] == "split").to_numpy() & ~(ratio > 0),
        lambda r: f"split ratio {r['ratio']} for {r['security_id']} on {r['date']:%Y-%m-%d} is not > 0",
        "write new shares per old share: 2.0 for 2-for-1, 1.5 for 3-for-2, 0.1 for 1-for-10",
    )
