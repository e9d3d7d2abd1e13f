"""Side-by-side comparison of built indices (``indexsmith compare``): the table of
:mod:`indexsmith.analytics.statistics` on the dates every result shares, formatted by
each statistic's unit, with one note when the results had to be cut to common dates."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from indexsmith.analytics.statistics import CRISES, Crisis, StatisticsTable
from indexsmith.analytics.statistics import table as statistics_table
from indexsmith.errors import OutputError
from indexsmith.results.model import IndexResult
from indexsmith.units import display


def common_dates(results: dict[str, IndexResult]) -> tuple[pd.Timestamp, pd.Timestamp, str | None]:
    """The date range every result covers, and one note naming the results that cover
    more (``None`` when all cover the same dates)."""
    starts = {k: r.levels["date"].min() for k, r in results.items()}
    ends = {k: r.levels["date"].max() for k, r in results.items()}
    start, end = max(starts.values()), min(ends.values())
    if start >= end:
        raise OutputError(
            "the results share no dates: "
            + ", ".join(f"{k} {starts[k]:%Y-%m-%d}..{ends[k]:%Y-%m-%d}" for k in results)
        )
    wider = [k for k in results if starts[k] != start or ends[k] != end]
    if not wider:
        return start, end, None
    spans = ", ".join(f"{k} {starts[k]:%Y-%m-%d}..{ends[k]:%Y-%m-%d}" for k in wider)
    return (
        start,
        end,
        f"compared on the dates all {len(results)} results share, {start:%Y-%m-%d}..{end:%Y-%m-%d} "
        f"({len(wider)} cover more: {spans})",
    )


def summary(
    results: dict[str, IndexResult], *, benchmark: str | None = None, crises: Sequence[Crisis] = CRISES
) -> tuple[StatisticsTable, str | None]:
    """Every statistic of every index on the dates all results share, and the note."""
    start, end, note = common_dates(results)
    return statistics_table(results, start, end, benchmark=benchmark, crises=crises), note


def formatted(table: StatisticsTable) -> pd.DataFrame:
    """Cells as display strings, each formatted by its statistic's unit."""
    frame = table.frame
    return pd.DataFrame(
        {c: [display(frame.loc[r, c], table.units[r]) for r in frame.index] for c in frame.columns},
        index=frame.index,
    )


def records(table: StatisticsTable) -> pd.DataFrame:
    """The table for CSV: the statistic's label, its name and unit, then one column per index."""
    frame = table.frame.copy()
    frame.insert(0, "unit", [table.units[r] for r in frame.index])
    frame.insert(0, "name", [table.names[r] for r in frame.index])
    frame.index.name = "statistic"
    return frame


#: Statistics shown on a terminal (by name), with short headers; every statistic goes to
#: csv/json/report.
TERMINAL = {
    "annualised_return": "ann.ret",
    "annualised_volatility": "vol",
    "return_5y": "5y/yr",
    "max_drawdown": "max DD",
    "crisis_2020_drawdown": "2020 DD",
    "crisis_2020_months_to_regain": "2020 mo",
    "companies": "names",
    "top10_weight": "top 10",
    "pe_harmonic": "P/E",
    "loss_making_weight": "loss wt",
    "dividend_yield": "yield",
    "turnover": "turn/yr",
    "beta": "beta",
    "tracking_error": "TE",
}


def terminal_rows(table: StatisticsTable) -> tuple[list[str], list[list[str]]]:
    """Headers and rows for a terminal: one row per index (ids without '-style'), the
    statistics of :data:`TERMINAL` that the table has (the benchmark's relative cells
    show ``—``)."""
    shown = formatted(table)
    by_name = {name: label for label, name in table.names.items()}
    keys = [k for k in TERMINAL if k in by_name]
    headers = ["index", *(TERMINAL[k] for k in keys)]
    rows = [
        [name.removesuffix("-style"), *(shown.loc[by_name[k], name] for k in keys)] for name in shown.columns
    ]
    return headers, rows
