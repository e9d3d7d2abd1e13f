"""Dated committee membership files (Dow-style membership, S&P-style overrides): read
once per file version and checked against the market, every problem of a file at once.

A helper module: it registers nothing, and plugin modules may import it.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
from indexsmith import MarketView
from indexsmith.errors import DataError, Problem


def read_membership(path: str, what: str = "membership file") -> pd.DataFrame:
    """A dated membership file: CSV with columns ``date`` (the change holds from the close
    of this session), ``security_id`` and ``action`` (``add`` or ``remove``; ``delete`` is
    read as ``remove``), plus any other columns (such as ``index``), kept as text.

    Every problem of the file is reported at once, each with its line (line 1 is the
    header), as a :class:`~indexsmith.errors.DataError`."""
    file = Path(path)
    if not file.is_file():
        raise ValueError(f"{what} {path} does not exist")
    stamp = file.stat().st_mtime_ns
    return _read_membership(str(file.resolve()), stamp, what).copy()


def _raise(problems: list[Problem], what: str, path: str) -> None:
    if problems:
        raise DataError(problems, source=f"{what} {path}", summary=f"problems in the {what}")


@functools.lru_cache(maxsize=32)
def _read_membership(path: str, stamp: int, what: str) -> pd.DataFrame:
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        reason = (
            "not UTF-8 text"
            if isinstance(exc, UnicodeDecodeError)
            else str(exc).strip().splitlines()[0][:100]
        )
        raise ValueError(f"{what} {path} cannot be read as CSV ({reason})") from None
    missing = {"date", "security_id", "action"} - set(table.columns)
    if missing:
        raise ValueError(
            f"{what} {path} lacks column(s) {', '.join(sorted(missing))} (needs date, security_id, action)"
        )
    dates = pd.to_datetime(table["date"], errors="coerce", format="%Y-%m-%d")
    table["action"] = table["action"].replace({"delete": "remove"})
    problems = []
    for i in range(len(table)):
        line = f"line {i + 2}"
        if pd.isna(dates[i]):
            problems.append(
                Problem(f"date {table['date'][i]!r} is not YYYY-MM-DD", line, "write e.g. 2020-06-19")
            )
        if table["action"][i] not in ("add", "remove"):
            problems.append(Problem(f"action {table['action'][i]!r} must be add or remove", line))
        if not table["security_id"][i]:
            problems.append(Problem("security_id is empty", line, "name the security"))
    _raise(problems, what, path)
    table["date"] = dates.astype("datetime64[ns]")
    table["line"] = np.arange(2, len(table) + 2)
    return table.sort_values(["date", "line"], kind="stable").reset_index(drop=True)


def check_membership(table: pd.DataFrame, view: MarketView, file: str, what: str = "membership file") -> None:
    """Refuse rows naming a security the data does not hold or a date outside the data,
    every such row at once."""
    problems = []
    first, last = view.data_sessions
    unknown = ~view.is_known(table["security_id"])
    outside = ((table["date"] < view.calendar.on_or_after(first)) | (table["date"] > last)).to_numpy()
    for i in np.flatnonzero(unknown | outside):
        row = table.iloc[i]
        if unknown[i]:
            problems.append(
                Problem(
                    f"security {row['security_id']} is not in the market data",
                    f"line {row['line']}",
                    "use a security_id of the securities table",
                )
            )
        if outside[i]:
            problems.append(
                Problem(
                    f"date {row['date']:%Y-%m-%d} is outside the market data ({first:%Y-%m-%d}..{last:%Y-%m-%d})",
                    f"line {row['line']}",
                )
            )
    _raise(sorted(problems, key=lambda p: int(p.where.split()[1])), what, file)
