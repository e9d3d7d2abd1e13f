"""Side-by-side comparison of built indices (``indexsmith compare``): the table of
:mod:`indexsmith.analytics.statistics` on the dates every result shares, formatted by
each statistic's unit."""

from __future__ import annotations

from typing import Any

import pandas as pd

from indexsmith.analytics.statistics import table as statistics_table
from indexsmith.analytics.statistics import unit_of
from indexsmith.errors import OutputError
from indexsmith.results.model import IndexResult
from indexsmith.units import display


def common_dates(results: dict[str, IndexResult]) -> tuple[pd.Timestamp, pd.Timestamp, list[str]]:
    """The date range every result covers, and a note for each one that covers more."""
    starts = {k: r.levels["date"].min() for k, r in results.items()}
    ends = {k: r.levels["date"].max() for k, r in results.items()}
    start, end = max(starts.values()), min(ends.values())
    if start >= end:
        raise OutputError(
            "the results share no dates: "
            + ", ".join(f"{k} {starts[k]:%Y-%m-%d}..{ends[k]:%Y-%m-%d}" for k in results)
        )
    notes = [
        f"{k} covers {starts[k]:%Y-%m-%d}..{ends[k]:%Y-%m-%d}; compared on the common dates {start:%Y-%m-%d}..{end:%Y-%m-%d}"
        for k in results
        if starts[k] != start or ends[k] != end
    ]
    return start, end, notes


def summary(results: dict[str, IndexResult]) -> tuple[pd.DataFrame, list[str]]:
    """One column per index, one row per statistic, on the dates all results share."""
    start, end, notes = common_dates(results)
    return statistics_table(results, start, end), notes


def formatted(table: pd.DataFrame) -> pd.DataFrame:
    """Cells as display strings, each formatted by its statistic's unit."""
    units = {row: unit_of(row) for row in table.index}

    def cell(row: str, value: Any) -> str:
        return display(value, units[row])

    return pd.DataFrame(
        {c: [cell(r, table.loc[r, c]) for r in table.index] for c in table.columns}, index=table.index
    )


#: Statistics shown on a terminal, with short headers (all of them go to csv/json/report).
TERMINAL = {
    "annualised return": "ann. ret",
    "annualised volatility": "vol",
    "max drawdown": "max DD",
    "2020: months to recover": "2020 rec. (mo)",
    "constituents (last review)": "names",
    "top-10 weight": "top 10",
    "P/E (harmonic)": "P/E",
    "one-way turnover / year": "turnover/yr",
}


def terminal_rows(table: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """Headers and rows for a terminal: one row per index (ids without '-style'), the
    statistics of :data:`TERMINAL` that the table has."""
    shown = formatted(table)
    keys = [k for k in TERMINAL if k in shown.index]
    headers = ["index", *(TERMINAL[k] for k in keys)]
    rows = [[name.removesuffix("-style"), *(shown.loc[k, name] for k in keys)] for name in shown.columns]
    return headers, rows


def one_note(notes: list[str]) -> list[str]:
    """Several alignment notes as one line."""
    if len(notes) <= 1:
        return notes
    span = notes[0].rsplit("common dates ", 1)[-1]
    return [
        f"{len(notes)} of the results cover more dates than all share; compared on the common dates {span}"
    ]
