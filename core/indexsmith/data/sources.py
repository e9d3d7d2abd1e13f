"""Where market data comes from: market sources, and what every source shares.

A :class:`MarketSource` turns a location (a folder of vendor files, a size of the demo
market) and its parameters into the documented tables (``docs/data.md``) and hands them to
:meth:`Market.from_frames`, which validates them. Sources are registered by plugins through
``indexsmith_register_market_sources``; ``--data SOURCE:PATH`` picks one by name and a bare
folder is the documented format (:func:`load_market`).

The helpers here are what vendor layouts need again and again: reading a file by stem
with every problem named (:class:`VendorFiles`), rolling snapshot share counts through
later splits (:func:`roll_shares`), un-adjusting split-adjusted closes (:func:`unadjust`),
moving vendor dates to sessions, and a securities table with documented defaults. This
module decides how vendor files are read; it does not decide what is valid (that is
:mod:`indexsmith.data.validate`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import ClassVar

import attrs
import numpy as np
import pandas as pd

from indexsmith.components import Component
from indexsmith.data.calendars import TradingCalendar, get_calendar
from indexsmith.data.dates import is_date_format, parse_dates
from indexsmith.data.market import Market
from indexsmith.data.schema import MAX_PROBLEMS, REQUIRED_TABLES, SCHEMA
from indexsmith.errors import DataError, Problem
from indexsmith.io import write_parquet

__all__ = [
    "DirectorySource",
    "MarketSource",
    "SourceTables",
    "VendorFiles",
    "fill_security_defaults",
    "load_market",
    "read_table",
    "roll_shares",
    "securities_table",
    "to_sessions",
    "unadjust",
    "write_tables",
]


@attrs.frozen
class SourceTables:
    """What a source read: the documented tables, and the file each came from (for
    messages: ``dsf.csv row 12`` rather than ``prices.parquet``)."""

    frames: Mapping[str, pd.DataFrame]
    file_names: Mapping[str, str] = attrs.field(factory=dict)
    #: What the user should know about the conversion that is not an error (rows a
    #: documented rule left out, values it filled in): one line each, printed as ``note:``.
    notes: tuple[str, ...] = ()


class MarketSource(Component):
    """Base of market sources. A source is a frozen, keyword-only attrs class whose fields
    are its parameters (as a component's are); it implements :meth:`read`.

    ``files`` lists the input files it reads (stems, without suffix), for
    ``indexsmith market sources`` and for the messages about a missing file.
    """

    kind: ClassVar[str] = "market-source"
    files: ClassVar[tuple[str, ...]] = ()

    def read(self, location: Path, calendar: TradingCalendar) -> SourceTables:
        """The documented tables read from ``location`` (dates as sessions of ``calendar``)."""
        raise NotImplementedError

    def open(
        self,
        location: str | Path,
        *,
        calendar: str = "XNYS",
        label: str | None = None,
        vocabulary: Mapping[str, Sequence[str]] | None = None,
    ) -> Market:
        """Read ``location`` and validate it into a :class:`Market` named ``label``."""
        path = Path(location).expanduser()
        tables = self.read(path, get_calendar(calendar))
        market = Market.from_frames(
            tables.frames,
            calendar=calendar,
            file_names=tables.file_names,
            source=label or str(path),
            vocabulary=vocabulary,
        )
        market.notes = tables.notes
        return market


def read_file(path: Path) -> pd.DataFrame:
    """A Parquet or CSV (UTF-8, a BOM allowed) file as a frame; a file that cannot be read
    is a :class:`DataError` naming it (never a parser's traceback)."""
    if not path.is_file():
        raise DataError([Problem(f"{path} is not a file", hint="a table is a .parquet or .csv file")])
    if path.stat().st_size == 0:
        raise DataError(
            [
                Problem(
                    f"{path} is empty (0 bytes)",
                    hint="write the table, at least its header line, or remove the file",
                )
            ]
        )
    try:
        if path.suffix.lower() == ".parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(
            [
                Problem(
                    f"{path} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})",
                    hint="save it as UTF-8 (from Latin-1 or UTF-16: iconv -f LATIN1 -t UTF-8, or 'Save as CSV UTF-8')",
                )
            ]
        ) from None
    except Exception as exc:  # pyarrow's ArrowInvalid/OSError, pandas' ParserError/EmptyDataError
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:120]
        kind = "Parquet" if path.suffix.lower() == ".parquet" else "CSV"
        raise DataError(
            [Problem(f"{path} cannot be read as {kind} ({reason})", hint="write it again, or remove it")]
        ) from None


def read_table(directory: Path, table: str) -> tuple[pd.DataFrame | None, str]:
    """Read ``<table>.parquet`` or ``<table>.csv`` from a directory (Parquet first)."""
    for suffix in (".parquet", ".csv"):
        path = directory / f"{table}{suffix}"
        if path.exists():
            return read_file(path), path.name
    return None, f"{table}.parquet"


def _no_directory(directory: Path, what: str) -> DataError:
    return DataError(
        [
            Problem(
                f"{what} {directory} does not exist",
                hint="pass --data DIR with securities, prices and shares tables (or SOURCE:PATH, see "
                "'indexsmith market sources'), or export the demo market with 'indexsmith market export DIR'",
            )
        ]
    )


def read_directory(directory: Path) -> SourceTables:
    """The documented tables of a market-data directory, as they are on disk."""
    if not directory.is_dir():
        raise _no_directory(directory, "market-data directory")
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
    return SourceTables(frames, names)


@attrs.frozen(kw_only=True)
class DirectorySource(MarketSource):
    """The documented format (docs/data.md): one file per table, ``<table>.parquet`` or
    ``<table>.csv``, in one folder. A bare ``--data DIR`` is this source."""

    files: ClassVar[tuple[str, ...]] = tuple(SCHEMA)

    date_format: str | None = attrs.field(
        default=None,
        validator=is_date_format,
        metadata={
            "help": "strftime pattern of every date in the CSV files, e.g. %d/%m/%Y (default: ISO "
            "YYYY-MM-DD only); a date not written so is refused with its file, row and column"
        },
    )

    def read(self, location: Path, calendar: TradingCalendar) -> SourceTables:
        tables = read_directory(location)
        if self.date_format is None:
            return tables
        return SourceTables(
            parse_dates(tables.frames, tables.file_names, self.date_format, str(location)), tables.file_names
        )


def load_market(
    path: str | Path, *, calendar: str = "XNYS", vocabulary: Mapping[str, Sequence[str]] | None = None
) -> Market:
    """Load and validate a market-data directory in the documented format (``docs/data.md``)."""
    directory = Path(path)
    tables = read_directory(directory)
    return Market.from_frames(
        tables.frames,
        calendar=calendar,
        file_names=tables.file_names,
        source=str(directory),
        vocabulary=vocabulary,
    )


def write_tables(frames: Mapping[str, pd.DataFrame], directory: Path, fmt: str = "parquet") -> dict[str, int]:
    """Write tables in the documented format (schema columns, in schema order) into an
    existing folder; returns rows per table. Dates in CSV files are ``YYYY-MM-DD``."""
    counts = {}
    for table, columns in SCHEMA.items():
        if table not in frames:
            continue
        frame = frames[table]
        out = frame[[c.name for c in columns if c.name in frame.columns]].reset_index(drop=True)
        out.attrs = {}  # a source's row numbers are about its own files, not these
        if fmt == "csv":
            for column in columns:
                if column.dtype == "date" and column.name in out.columns:
                    out[column.name] = pd.to_datetime(out[column.name]).dt.strftime("%Y-%m-%d")
            out.to_csv(directory / f"{table}.csv", index=False)
        else:
            write_parquet(out, directory / f"{table}.parquet")
        counts[table] = len(out)
    return counts


# -- vendor files ---------------------------------------------------------------------------


class VendorFiles:
    """Reads a vendor's files from one folder and collects every problem before raising.

    ``table("dsf", ["PERMNO", "DATE", "PRC"])`` finds ``dsf.csv``, ``dsf.csv.gz`` or
    ``dsf.parquet`` (any case), checks the columns (any case; returned upper- or
    as-written), and remembers the file's name for row messages. ``numbers`` and
    ``dates`` convert columns and name each bad value with its file and row.
    """

    SUFFIXES = (".parquet", ".csv", ".csv.gz", ".txt")

    def __init__(self, directory: Path, source: str) -> None:
        self.directory = directory
        self.source = source
        self.problems: list[Problem] = []
        self.dropped = 0
        if not directory.is_dir():
            raise _no_directory(directory, f"{source} folder")

    def add(self, message: str, where: str = "", hint: str = "") -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(message, where, hint))
        else:
            self.dropped += 1

    def find(self, stem: str) -> Path | None:
        by_name = {p.name.lower(): p for p in self.directory.iterdir() if p.is_file()}
        for suffix in self.SUFFIXES:
            if f"{stem.lower()}{suffix}" in by_name:
                return by_name[f"{stem.lower()}{suffix}"]
        return None

    def table(
        self, stem: str, columns: Sequence[str], *, optional: Sequence[str] = (), required: bool = True
    ) -> pd.DataFrame | None:
        """The file ``stem`` with ``columns`` (and ``optional`` columns when present),
        renamed to the spelling given; None when it is absent and not ``required``."""
        path = self.find(stem)
        if path is None:
            if required:
                self.add(
                    f"missing file {stem}.csv",
                    str(self.directory),
                    f"the {self.source} source reads {stem}.csv (or .parquet) with columns {', '.join(columns)}",
                )
            return None
        frame = read_file(path)
        frame.attrs["file"] = path.name
        by_lower = {str(c).strip().lower(): c for c in frame.columns}
        rename = {}
        for column in [*columns, *optional]:
            found = by_lower.get(column.lower())
            if found is None:
                if column in columns:
                    self.add(f"missing column '{column}'", path.name, f"the {self.source} source needs it")
                continue
            rename[found] = column
        out = frame.rename(columns=rename)
        out.attrs["file"] = path.name
        return out

    def numbers(self, frame: pd.DataFrame, column: str, *, required: bool = True) -> pd.Series:
        """``column`` as floats; a value that is not a number is reported with its row (an
        empty one too, when ``required``)."""
        if column not in frame.columns:
            return pd.Series(np.nan, index=frame.index, dtype=float)
        raw = frame[column]
        values = pd.to_numeric(raw, errors="coerce").astype(float)
        bad = values.isna() & (raw.notna() if not required else True)
        self.rows(frame, bad, lambda r: f"column '{column}' has {r[column]!r}", "write a number")
        return values

    def dates(self, frame: pd.DataFrame, column: str, *, required: bool = True) -> pd.Series:
        """``column`` as dates (YYYY-MM-DD, YYYYMMDD or another unambiguous form)."""
        if column not in frame.columns:
            return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
        raw = frame[column]
        text = raw.astype(object).where(raw.notna(), None)
        compact = text.astype(str).str.fullmatch(r"\d{8}")
        values = pd.to_datetime(text.where(~compact), errors="coerce", format="mixed")
        if compact.any():
            values[compact] = pd.to_datetime(text[compact], errors="coerce", format="%Y%m%d")
        values = values.astype("datetime64[ns]")
        bad = values.isna() & (raw.notna() if not required else True)
        self.rows(frame, bad, lambda r: f"column '{column}' has {r[column]!r}", "write a date (YYYY-MM-DD)")
        return values

    def rows(self, frame: pd.DataFrame, mask: Iterable[bool], message: object, hint: str) -> None:
        """One problem per row of ``frame`` where ``mask`` is true: data rows counted from 1,
        or the file's row numbers in a ``row`` column (a frame filtered after reading) and
        its file in a ``file`` column (a frame of several files)."""
        file = frame.attrs.get("file", self.source)
        for i in np.flatnonzero(np.asarray(mask, dtype=bool)):
            row = frame.iloc[i]
            text = message(row) if callable(message) else str(message)
            where = row["file"] if "file" in frame.columns else file
            self.add(text, f"{where} row {row['row'] if 'row' in frame.columns else i + 1}", hint)

    def raise_if_any(self) -> None:
        if self.problems:
            problems = list(self.problems)
            if self.dropped:
                problems.append(Problem(f"... and {self.dropped} more problems not shown"))
            raise DataError(problems, source=f"{self.source}:{self.directory}")


# -- shared conversions ------------------------------------------------------------------------


def to_sessions(dates: pd.Series, calendar: TradingCalendar, *, side: str = "after") -> pd.Series:
    """Vendor dates as sessions: a date that is not a session moves to the next one
    (``side="after"``: a name or link effective on a weekend holds from Monday) or the
    previous one (``"before"``)."""
    values = calendar._session_values
    days = dates.to_numpy().astype("datetime64[D]")
    pos = np.searchsorted(values, days, side="left" if side == "after" else "right")
    if side == "before":
        pos = pos - 1
    pos = np.clip(pos, 0, len(values) - 1)
    out = pd.Series(calendar.sessions[pos], index=dates.index)
    return out.where(dates.notna())


def roll_shares(snapshots: pd.DataFrame, splits: pd.DataFrame) -> pd.DataFrame:
    """Share counts (``date``, ``security_id``, ``shares_outstanding``) rolled through the
    splits (``date``, ``security_id``, ``ratio``) after each snapshot and before the next
    one: a snapshot of 100 shares, then a 2-for-1 split, holds 200 from the split's date.

    Returns the snapshots with one row added per rolled split (the later row kept where a
    split and a snapshot fall on one date); other columns of a snapshot (its file ``row``)
    carry over to the rows rolled from it."""
    extra = [c for c in snapshots.columns if c not in ("date", "security_id", "shares_outstanding")]
    rows = [snapshots[["date", "security_id", "shares_outstanding", *extra]]]
    by_security = {key: group for key, group in splits.groupby("security_id")}
    for security, group in snapshots.sort_values("date").groupby("security_id"):
        mine = by_security.get(security)
        if mine is None:
            continue
        dates = list(group["date"])
        for i, (when, upto) in enumerate(zip(dates, [*dates[1:], pd.Timestamp.max], strict=True)):
            snapshot = group.iloc[i]
            later = mine[(mine["date"] > when) & (mine["date"] < upto)].sort_values("date")
            rolled = snapshot["shares_outstanding"] * later["ratio"].cumprod()
            rows.append(
                pd.DataFrame(
                    {
                        "date": later["date"],
                        "security_id": security,
                        "shares_outstanding": rolled,
                        **{c: snapshot[c] for c in extra},
                    }
                )
            )
    out = pd.concat(rows, ignore_index=True)
    return out.drop_duplicates(["date", "security_id"], keep="last").sort_values(["security_id", "date"])


def unadjust(adjusted: pd.DataFrame, splits: pd.DataFrame) -> pd.Series:
    """Raw closes from split-adjusted ones: ``close`` on a date times every split ratio
    (``date``, ``security_id``, ``ratio``) dated after it. A 2-for-1 split on 2020-08-31
    doubles every close before that date and leaves the closes from it on as they are.

    ``adjusted`` has ``date``, ``security_id`` and ``close``; the result is aligned with it.
    """
    factor = pd.Series(1.0, index=adjusted.index)
    for split in splits.itertuples(index=False):
        before = (adjusted["security_id"] == split.security_id) & (adjusted["date"] < split.date)
        factor[before] *= split.ratio
    return adjusted["close"] * factor


def fill_security_defaults(
    table: pd.DataFrame, *, sector: str | None, fill_gaps: bool = False
) -> pd.DataFrame:
    """``table`` with the documented defaults (each security its own company, named by its
    ticker, ``sector``, common stock on XNYS, US) in every column it lacks, and with
    ``fill_gaps`` in the empty cells of those it has (a ``sector`` of None fills none)."""
    defaults = {
        "company_id": table["security_id"],
        "name": table["ticker"],
        "sector": sector,
        "exchange": "XNYS",
        "country_of_incorporation": "US",
        "country_of_headquarters": "US",
        "security_type": "common",
    }
    for column, value in defaults.items():
        if column not in table.columns:
            table[column] = value
        elif fill_gaps and value is not None:
            table[column] = table[column].fillna(value)
    return table


def securities_table(
    ids: Sequence[str], first: Mapping[str, pd.Timestamp], **columns: object
) -> pd.DataFrame:
    """A securities table for ``ids`` listed from their first price, with documented
    defaults (each its own company, common stock on XNYS, US) that ``columns`` replace: a
    scalar for every row or a mapping by security id."""
    frame = pd.DataFrame(
        {
            "security_id": list(ids),
            "company_id": list(ids),
            "ticker": list(ids),
            "name": list(ids),
            "sector": "Industrials",
            "exchange": "XNYS",
            "country_of_incorporation": "US",
            "country_of_headquarters": "US",
            "security_type": "common",
            "listing_date": [first[s] for s in ids],
        }
    )
    for column, value in columns.items():
        if isinstance(value, Mapping):
            frame[column] = (
                frame["security_id"]
                .map(value)
                .where(frame["security_id"].isin(list(value)), frame.get(column))
            )
        else:
            frame[column] = value
    return frame
