"""The statistics a comparison and a factsheet report, as named records.

A :class:`Statistic` has a ``name`` (its key), a ``label`` (the row of the comparison
table), a ``unit`` (how every report formats it: :data:`UNITS`), a ``formula`` (how it is
computed, as the docs print it) and a function of an
:class:`~indexsmith.analytics.facts.IndexFacts` (one index's result on the dates the
comparison shares). A function returns :data:`MISSING` when the statistic does not apply
(the history does not cover the window, the result records no valuation); the row is then
left out for that index. A :class:`Relative` compares an index with the comparison's
benchmark (the first index unless one is chosen). A :class:`Crisis` is a named window
whose drawdown statistics are reported only for histories that cover it; users add their
own.

A new statistic is one more record in :data:`STATISTICS` or :data:`RELATIVE`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import attrs
import pandas as pd

from indexsmith.analytics.composition import overlap
from indexsmith.analytics.facts import IndexFacts
from indexsmith.analytics.implementation import annualised_turnover, capacity, fee_drag
from indexsmith.analytics.performance import calendar_year_returns, capture
from indexsmith.errors import OutputError
from indexsmith.results.model import IndexResult

#: Units a statistic may have: ``percent`` (a fraction: 0.123 -> 12.3%), ``bps`` (basis
#: points: 2.9 -> 2.9 bp), ``months`` (one decimal), ``money`` (US dollars), ``number``
#: (two decimals), ``count`` and ``date``.
UNITS = ("percent", "bps", "months", "money", "number", "count", "date")
#: Returned by a statistic's function when it does not apply to an index.
MISSING: Any = object()
#: Fund size and participation limit of the capacity statistic.
FUND_SIZE = 1e9
PARTICIPATION = 0.10
#: Trailing windows of the return and volatility statistics, in years.
TRAILING = (1, 3, 5, 10)
#: Expense ratios whose drag is reported (VOO's and RSP's).
FEES = (0.0003, 0.0020)


@attrs.frozen
class Statistic:
    """A statistic of one index."""

    name: str
    label: str
    unit: str = attrs.field(validator=attrs.validators.in_(UNITS))
    formula: str
    function: Callable[[IndexFacts], Any]


@attrs.frozen
class Relative:
    """A statistic of an index against the benchmark; ``label`` is a template with
    ``{base}`` for the benchmark's name."""

    name: str
    label: str
    unit: str = attrs.field(validator=attrs.validators.in_(UNITS))
    formula: str
    function: Callable[[IndexFacts, IndexFacts], Any]


@attrs.frozen
class Crisis:
    """A named window (``start..end``, ISO dates): the index's deepest drawdown whose
    trough falls in it, from the running high before it, and how long it took to
    regain that high."""

    name: str
    label: str
    start: str
    end: str

    def statistics(self) -> tuple[Statistic, ...]:
        def field(key: str) -> Callable[[IndexFacts], Any]:
            def compute(f: IndexFacts) -> Any:
                episode = f.window(self.start, self.end)
                return MISSING if episode is None else episode[key]

            return compute

        where = f"trough in {self.start}..{self.end}; only for histories covering the window"
        return (
            Statistic(
                f"{self.name}_drawdown",
                f"{self.label}: drawdown",
                "percent",
                f"trough / running high before it - 1 ({where})",
                field("max_drawdown"),
            ),
            Statistic(f"{self.name}_peak", f"{self.label}: peak", "date", "the running high", field("peak")),
            Statistic(f"{self.name}_trough", f"{self.label}: trough", "date", where, field("trough")),
            Statistic(
                f"{self.name}_months_to_regain",
                f"{self.label}: months to regain the peak",
                "months",
                "peak to the first close back at it, days / (365.25 / 12); empty if not yet",
                field("underwater_months"),
            ),
            Statistic(
                f"{self.name}_recovery_months",
                f"{self.label}: months from the trough",
                "months",
                "trough to the first close back at the peak",
                field("recovery_months"),
            ),
        )


#: The named windows every comparison reports where the history covers them.
CRISES = (
    Crisis("crisis_2000_02", "2000-02 bear market", "2000-01-01", "2002-12-31"),
    Crisis("crisis_2008_09", "2008-09 crisis", "2007-07-01", "2009-06-30"),
    Crisis("crisis_2020", "2020 crash", "2020-01-01", "2020-06-30"),
    Crisis("crisis_2022", "2022 bear market", "2022-01-01", "2022-12-31"),
)


def parse_crisis(text: str) -> Crisis:
    """``"label=YYYY-MM-DD..YYYY-MM-DD"`` (a user's window, ``--crisis``) as a :class:`Crisis`."""
    label, _, span = text.partition("=")
    start, _, end = span.partition("..")
    try:
        first, last = pd.Timestamp(start), pd.Timestamp(end)
    except ValueError:
        first = last = None
    if not label.strip() or first is None or last is None or pd.isna(first) or pd.isna(last) or first >= last:
        raise OutputError(
            f"crisis window '{text}' is not LABEL=START..END with ISO dates, START before END "
            "(e.g. 'tariffs 2025=2025-02-19..2025-06-30')"
        )
    name = "crisis_" + "".join(c if c.isalnum() else "_" for c in label.strip().lower())
    return Crisis(name, label.strip(), f"{first:%Y-%m-%d}", f"{last:%Y-%m-%d}")


def _trailing(years: int | None, key: str) -> Callable[[IndexFacts], Any]:
    def compute(f: IndexFacts) -> Any:
        window = f.trailing(years)
        return MISSING if window is None else window[key]

    return compute


def _valuation(key: str) -> Callable[[IndexFacts], Any]:
    return lambda f: f.valuation[key] if f.valuation is not None else MISSING


def _optional(value: Any) -> Any:
    return MISSING if value is None else value


def _turnover(f: IndexFacts) -> Any:
    return annualised_turnover(f.turnover) if len(f.turnover) else MISSING


def _days_to_rebalance(f: IndexFacts) -> Any:
    if not (len(f.trades) and "adv" in f.result.constituents):
        return MISSING
    cap = capacity(f.trades, f.result.constituents, FUND_SIZE, PARTICIPATION)
    return float(cap["days_to_trade"].median())


def _fee(fee: float) -> Statistic:
    return Statistic(
        f"fee_drag_{round(fee * 1e4)}bp",
        f"return lost to a {fee:.2%} fee / year",
        "bps",
        "annualised total return minus that of the level net of the fee accrued daily (fee / 252)",
        lambda f: 1e4 * fee_drag(f.total_return, fee),
    )


def _returns() -> tuple[Statistic, ...]:
    out = [
        Statistic(
            "total_return",
            "total return",
            "percent",
            "last total-return level / first - 1",
            lambda f: f.performance["total_return"],
        ),
        Statistic(
            "annualised_return",
            "annualised return",
            "percent",
            "(1 + total return) ^ (252 / sessions) - 1, since inception",
            lambda f: f.performance["annualised_return"],
        ),
    ]
    for years in TRAILING:
        label = "1-year return" if years == 1 else f"{years}-year return (annualised)"
        out.append(
            Statistic(
                f"return_{years}y",
                label,
                "percent",
                f"from the last close on or before the same date {years} year(s) before the end",
                _trailing(years, "annualised_return"),
            )
        )
    out.append(
        Statistic(
            "annualised_volatility",
            "annualised volatility",
            "percent",
            "standard deviation of daily returns x sqrt(252), since inception",
            lambda f: f.performance["annualised_volatility"],
        )
    )
    for years in TRAILING:
        out.append(
            Statistic(
                f"volatility_{years}y",
                f"{years}-year volatility",
                "percent",
                f"standard deviation of the daily returns of the last {years} year(s) x sqrt(252)",
                _trailing(years, "annualised_volatility"),
            )
        )
    out.append(
        Statistic(
            "sharpe",
            "Sharpe (rf 0)",
            "number",
            "mean daily return x 252 / annualised volatility",
            lambda f: f.performance["sharpe"],
        )
    )
    return tuple(out)


#: Statistics of one index, in the order of the comparison table (crisis windows and
#: calendar years follow the drawdown rows; see :func:`table`).
STATISTICS: tuple[Statistic, ...] = (
    *_returns(),
    Statistic(
        "max_drawdown",
        "max drawdown",
        "percent",
        "deepest level / running high - 1",
        lambda f: f.performance["max_drawdown"],
    ),
    Statistic(
        "trough",
        "worst drawdown trough",
        "date",
        "session of the deepest drawdown",
        lambda f: f.performance["trough"],
    ),
    Statistic(
        "months_to_regain",
        "worst drawdown: months to regain the peak",
        "months",
        "peak to the first close back at it",
        lambda f: f.performance["underwater_months"],
    ),
    Statistic(
        "recovery_months",
        "worst drawdown: months from the trough",
        "months",
        "trough to the first close back at the peak",
        lambda f: f.performance["recovery_months"],
    ),
    Statistic(
        "companies",
        "constituents (last review)",
        "count",
        "companies at the last review",
        lambda f: f.composition["companies"],
    ),
    Statistic(
        "top10_weight",
        "top-10 weight",
        "percent",
        "weight of the 10 largest companies at the last review",
        lambda f: f.composition["top10_weight"],
    ),
    Statistic(
        "effective_names",
        "effective names",
        "number",
        "1 / Σ company weight²",
        lambda f: f.composition["effective_names"],
    ),
    Statistic(
        "pe_harmonic",
        "P/E (positive earnings)",
        "number",
        "Σw / Σ w·E/P over members with positive trailing 4-quarter earnings",
        _valuation("pe_harmonic"),
    ),
    Statistic(
        "pe_with_losses",
        "P/E (with losses)",
        "number",
        "Σw / Σ w·E/P over every member with known earnings",
        _valuation("pe_with_losses"),
    ),
    Statistic(
        "loss_making_count",
        "loss-making (count)",
        "percent",
        "share of members with trailing earnings <= 0",
        _valuation("loss_making_count"),
    ),
    Statistic(
        "loss_making_weight",
        "loss-making (weight)",
        "percent",
        "weight of members with trailing earnings <= 0",
        _valuation("loss_making_weight"),
    ),
    Statistic(
        "pb_harmonic",
        "P/B",
        "number",
        "Σw / Σ w·B/P over members with positive book equity",
        _valuation("pb_harmonic"),
    ),
    Statistic(
        "dividend_yield",
        "dividend yield (12 months)",
        "percent",
        "total-return growth / price-return growth over the last year - 1",
        lambda f: _optional(f.dividend_yield),
    ),
    *(_fee(fee) for fee in FEES),
    Statistic(
        "turnover",
        "one-way turnover / year",
        "percent",
        "one-way turnover summed per calendar year, mean over the complete years",
        _turnover,
    ),
    Statistic(
        "days_to_rebalance",
        f"days to rebalance $1B at {PARTICIPATION:.0%} of ADV (median)",
        "number",
        "per review: max over names of |traded value| x $1B / (ADV x 10%); median over reviews",
        _days_to_rebalance,
    ),
)


def _relative(key: str) -> Callable[[IndexFacts, IndexFacts], Any]:
    return lambda f, base: f.against(base)[key]


def _capture(key: str) -> Callable[[IndexFacts, IndexFacts], Any]:
    return lambda f, base: capture(f.total_return, base.total_return)[key]


def _excess(f: IndexFacts, base: IndexFacts) -> Any:
    return f.performance["annualised_return"] - base.performance["annualised_return"]


def _overlap(key: str) -> Callable[[IndexFacts, IndexFacts], Any]:
    def compute(f: IndexFacts, base: IndexFacts) -> Any:
        first = base.result.constituents
        date = first["effective_date"].max()
        other = f.result.constituents
        at = other["effective_date"][other["effective_date"] <= date].max()
        return overlap(first[first["effective_date"] == date], other[other["effective_date"] == at])[key]

    return compute


#: Statistics of each index against the benchmark.
RELATIVE: tuple[Relative, ...] = (
    Relative(
        "excess_return",
        "annualised return minus {base}'s",
        "percent",
        "difference of the annualised returns",
        _excess,
    ),
    Relative("beta", "beta to {base}", "number", "cov(r, r_b) / var(r_b), daily returns", _relative("beta")),
    Relative(
        "correlation", "correlation with {base}", "number", "of daily returns", _relative("correlation")
    ),
    Relative(
        "tracking_error",
        "tracking error to {base}",
        "percent",
        "standard deviation of daily r - r_b x sqrt(252)",
        _relative("tracking_error"),
    ),
    Relative(
        "up_capture",
        "up capture vs {base}",
        "percent",
        "geometric mean monthly return over the benchmark's up months / the benchmark's",
        _capture("up_capture"),
    ),
    Relative(
        "down_capture",
        "down capture vs {base}",
        "percent",
        "the same over the benchmark's down months",
        _capture("down_capture"),
    ),
    Relative(
        "weight_overlap",
        "weight overlap with {base}",
        "percent",
        "Σ min(w, w_b) by company at the last reviews",
        _overlap("weight_overlap"),
    ),
    Relative(
        "common_companies",
        "companies also in {base}",
        "count",
        "companies in both at the last reviews",
        _overlap("common_companies"),
    ),
)


def _calendar(year: int) -> Statistic:
    def compute(f: IndexFacts) -> Any:
        years = calendar_year_returns(f.total_return, complete=True)
        return float(years.loc[year]) if year in years.index else MISSING

    return Statistic(
        f"return_{year}",
        f"{year} return",
        "percent",
        "last close of the year / last close of the year before - 1 (complete years only)",
        compute,
    )


@attrs.frozen
class StatisticsTable:
    """One column per index, one row per statistic (``frame``, raw values), with each
    row's statistic ``names`` and ``units``, and the ``benchmark`` of the relative rows."""

    frame: pd.DataFrame
    names: dict[str, str]
    units: dict[str, str]
    benchmark: str | None


def table(
    results: dict[str, IndexResult],
    start: pd.Timestamp,
    end: pd.Timestamp,
    *,
    benchmark: str | None = None,
    crises: Sequence[Crisis] = CRISES,
) -> StatisticsTable:
    """Every statistic of every index on the dates ``start..end``; relative rows against
    ``benchmark`` (default: the first index)."""
    if benchmark is not None and benchmark not in results:
        raise OutputError(
            f"benchmark '{benchmark}' is not among the results: use one of {', '.join(results)}"
        )
    facts = {name: IndexFacts(result, start, end) for name, result in results.items()}
    first = next(iter(facts.values()))
    years = calendar_year_returns(first.total_return, complete=True).index
    records = (
        *STATISTICS[: _after("recovery_months")],
        *(s for crisis in crises for s in crisis.statistics()),
        *(_calendar(int(y)) for y in years),
        *STATISTICS[_after("recovery_months") :],
    )
    rows: dict[str, dict[str, Any]] = {}
    names: dict[str, str] = {}
    units: dict[str, str] = {}
    for statistic in records:
        values = {index: statistic.function(f) for index, f in facts.items()}
        kept = {k: v for k, v in values.items() if v is not MISSING}
        if kept:
            rows[statistic.label] = kept
            names[statistic.label], units[statistic.label] = statistic.name, statistic.unit
    base_name = benchmark if benchmark is not None else next(iter(results))
    if len(results) >= 2:
        base = facts[base_name]
        for against in RELATIVE:
            label = against.label.format(base=base_name)
            rows[label] = {k: against.function(f, base) for k, f in facts.items() if k != base_name}
            names[label], units[label] = against.name, against.unit
    frame = pd.DataFrame.from_dict(rows, orient="index").reindex(columns=list(results))
    return StatisticsTable(frame, names, units, base_name if len(results) >= 2 else None)


def _after(name: str) -> int:
    return next(i for i, s in enumerate(STATISTICS) if s.name == name) + 1
