"""Side-by-side comparison of built indices (``indexsmith compare``) and reading result
folders back from disk."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from indexsmith import analytics
from indexsmith.calculate import Calculation
from indexsmith.errors import OutputError
from indexsmith.result import IndexResult

REQUIRED_FILES = ("constituents.parquet", "levels.parquet", "run.json")
OPTIONAL_FILES = (
    "changes.parquet",
    "exclusions.parquet",
    "turnover.parquet",
    "trades.parquet",
    "adjustments.parquet",
)
#: Fund size and participation limit of the capacity line.
FUND_SIZE = 1e9
PARTICIPATION = 0.10


def result_folders(paths: list[str | Path]) -> list[Path]:
    """Index result folders named by ``paths``: a folder with ``run.json`` is one index; any
    other folder stands for every index folder below it (a family, or the demo's output)."""
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if not path.is_dir():
            raise OutputError(
                f"result folder {path} does not exist — build it with 'indexsmith build ... --out {path}'"
            )
        if (path / "run.json").exists():
            out.append(path)
            continue
        inner = sorted(p.parent for p in path.rglob("run.json"))  # family folders, demo folders
        if not inner:
            raise OutputError(f"{path} holds no index results (no run.json in it or its sub-folders)")
        out.extend(inner)
    return out


def read_result(path: str | Path) -> IndexResult:
    """An index result folder written by ``indexsmith build`` (levels included)."""
    path = Path(path)
    for name in REQUIRED_FILES:
        if not (path / name).exists():
            raise OutputError(
                f"result folder {path} is missing {name} — build it again with 'indexsmith build' (an "
                "interrupted or older build leaves folders incomplete)"
            )
    info = json.loads((path / "run.json").read_text(encoding="utf-8"))
    tables = {
        name.rsplit(".", 1)[0]: pd.read_parquet(path / name)
        for name in (*REQUIRED_FILES[:2], *OPTIONAL_FILES)
        if (path / name).exists()
    }
    constituents = tables["constituents"]
    empty = pd.DataFrame()
    calculation = Calculation(
        levels=tables["levels"],
        holdings=constituents[["effective_date", "security_id", "index_shares"]]
        if "index_shares" in constituents
        else empty,
        turnover=tables.get("turnover", empty),
        trades=tables.get("trades", empty),
        events=tables.get("adjustments", empty),
        stale=empty,
    )
    return IndexResult(
        info.get("index_id", path.name),
        constituents,
        tables.get("changes", empty),
        tables.get("exclusions", empty),
        info,
        calculation,
    )


def read_results(paths: list[str | Path]) -> dict[str, IndexResult]:
    """Every index result below ``paths`` (see :func:`result_folders`), keyed by index id
    (by folder where two folders hold the same id), in the order given."""
    loaded: dict[str, IndexResult] = {}
    for folder in result_folders(paths):
        result = read_result(folder)
        loaded[result.index_id if result.index_id not in loaded else str(folder)] = result
    return loaded


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
    columns: dict[str, dict[str, Any]] = {}
    for name, result in results.items():
        levels = result.levels.set_index("date").loc[start:end]
        tr = levels["total_return"]
        perf = analytics.performance(tr)
        last = result.latest()
        comp = analytics.composition(last)
        row: dict[str, Any] = {
            "total return": perf["total_return"],
            "annualised return": perf["annualised_return"],
            "annualised volatility": perf["annualised_volatility"],
            "Sharpe (rf 0)": perf["sharpe"],
            "max drawdown": perf["max_drawdown"],
            "worst drawdown trough": perf["trough"],
            "months to recover": perf["recovery_months"],
        }
        if tr.index[0] <= pd.Timestamp("2020-02-19") and tr.index[-1] >= pd.Timestamp("2020-04-30"):
            crash = analytics.drawdown_in(tr, "2020-02-20", "2020-04-30")
            row["2020 drawdown"] = crash["max_drawdown"]
            row["2020: months to recover"] = crash["recovery_months"]
        row.update(
            {
                "constituents (last review)": comp["companies"],
                "top-10 weight": comp["top10_weight"],
                "effective names": comp["effective_names"],
            }
        )
        if {"company_market_cap", "ttm_net_income", "book_equity"} <= set(last.columns):
            valuation = analytics.valuation(last)
            row.update(
                {
                    "P/E (harmonic)": valuation["pe_harmonic"],
                    "P/B (harmonic)": valuation["pb_harmonic"],
                    "loss-making (weight)": valuation["loss_making_weight"],
                }
            )
        for fee in (0.0003, 0.0020):
            row[f"return lost to a {fee:.2%} fee / year"] = analytics.fee_drag(tr, fee)
        turnover = result.calculation.turnover if result.calculation is not None else pd.DataFrame()
        if len(turnover):
            row["one-way turnover / year"] = float(analytics.turnover_by_year(turnover).mean())
        trades = result.calculation.trades if result.calculation is not None else pd.DataFrame()
        if len(trades) and "adv" in result.constituents:
            cap = analytics.capacity(trades, result.constituents, FUND_SIZE, PARTICIPATION)
            row[f"days to rebalance $1B at {PARTICIPATION:.0%} of ADV (median)"] = float(
                cap["days_to_trade"].median()
            )
        columns[name] = row
    table = pd.DataFrame(columns)
    names = list(results)
    if len(names) >= 2:
        base = results[names[0]].levels.set_index("date")["total_return"].loc[start:end]
        for other in names[1:]:
            rel = analytics.relative(
                results[other].levels.set_index("date")["total_return"].loc[start:end], base
            )
            table.loc[f"beta to {names[0]}", other] = rel["beta"]
            table.loc[f"correlation with {names[0]}", other] = rel["correlation"]
            table.loc[f"tracking error to {names[0]}", other] = rel["tracking_error"]
        first = results[names[0]].constituents
        date = first["effective_date"].max()
        for other in names[1:]:
            o = results[other].constituents
            at = o["effective_date"][o["effective_date"] <= date].max()
            lap = analytics.overlap(first[first["effective_date"] == date], o[o["effective_date"] == at])
            table.loc[f"weight overlap with {names[0]}", other] = lap["weight_overlap"]
            table.loc[f"companies also in {names[0]}", other] = lap["common_companies"]
    return table, notes


PERCENT_ROWS = (
    "total return",
    "annualised return",
    "annualised volatility",
    "max drawdown",
    "2020 drawdown",
    "top-10 weight",
    "loss-making (weight)",
    "one-way turnover / year",
)


def formatted(table: pd.DataFrame) -> pd.DataFrame:
    """Cells as display strings: percentages, dates and plain numbers."""

    def cell(row: str, value: Any) -> str:
        if value is None or (isinstance(value, float) and value != value):
            return "—"
        if isinstance(value, pd.Timestamp):
            return f"{value:%Y-%m-%d}"
        if row in PERCENT_ROWS or row.startswith(("weight overlap", "tracking error", "return lost")):
            return f"{value:.1%}"
        if isinstance(value, float):
            return f"{value:,.2f}" if abs(value) < 1000 else f"{value:,.0f}"
        return str(value)

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
