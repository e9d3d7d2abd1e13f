"""The statistics a comparison reports, as named records.

A :class:`Statistic` has a ``label`` (the row of the comparison table), a ``unit`` (how
every report formats it: :data:`UNITS`) and a function of an :class:`IndexFacts` (one
index's result on the dates the comparison shares). A function returns :data:`MISSING`
when the statistic does not apply (the history does not cover the 2020 crash, the result
records no valuation); the row is then left out for that index. A :class:`Relative`
compares an index with the first one of the comparison (beta, overlap).

A new statistic is one more record in :data:`STATISTICS` or :data:`RELATIVE`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import attrs
import pandas as pd

from indexsmith.analytics.composition import composition, overlap, valuation
from indexsmith.analytics.implementation import capacity, fee_drag, turnover_by_year
from indexsmith.analytics.performance import drawdown_in, performance, relative
from indexsmith.results.model import IndexResult

#: Units a statistic may have: ``percent`` (0.123 -> 12.3%), ``number``, ``count`` and
#: ``date``.
UNITS = ("percent", "number", "count", "date")
#: Returned by a statistic's function when it does not apply to an index.
MISSING: Any = object()
#: Fund size and participation limit of the capacity statistic.
FUND_SIZE = 1e9
PARTICIPATION = 0.10
#: The 2020 crash window: troughs in it count, recovery is measured on the whole history.
CRASH_2020 = ("2020-02-20", "2020-04-30")


class IndexFacts:
    """One index's result on the comparison's dates ``start..end``; what several
    statistics share is computed once."""

    def __init__(self, result: IndexResult, start: pd.Timestamp, end: pd.Timestamp) -> None:
        self.result = result
        self.levels = result.levels.set_index("date").loc[start:end]

    @property
    def total_return(self) -> pd.Series:
        return self.levels["total_return"]

    @functools.cached_property
    def performance(self) -> dict[str, Any]:
        return performance(self.total_return)

    @functools.cached_property
    def latest(self) -> pd.DataFrame:
        return self.result.latest()

    @functools.cached_property
    def composition(self) -> dict[str, Any]:
        return composition(self.latest)

    @functools.cached_property
    def crash_2020(self) -> dict[str, Any] | None:
        tr = self.total_return
        if tr.index[0] <= pd.Timestamp("2020-02-19") and tr.index[-1] >= pd.Timestamp(CRASH_2020[1]):
            return drawdown_in(tr, *CRASH_2020)
        return None

    @functools.cached_property
    def valuation(self) -> dict[str, float] | None:
        if {"company_market_cap", "ttm_net_income", "book_equity"} <= set(self.latest.columns):
            return valuation(self.latest)
        return None

    @property
    def turnover(self) -> pd.DataFrame:
        calc = self.result.calculation
        return calc.turnover if calc is not None else pd.DataFrame()

    @property
    def trades(self) -> pd.DataFrame:
        calc = self.result.calculation
        return calc.trades if calc is not None else pd.DataFrame()


@attrs.frozen
class Statistic:
    """A statistic of one index."""

    name: str
    label: str
    unit: str = attrs.field(validator=attrs.validators.in_(UNITS))
    function: Callable[[IndexFacts], Any]


@attrs.frozen
class Relative:
    """A statistic of an index against the first index of a comparison; ``label`` is a
    template with ``{base}`` for the first index's name."""

    name: str
    label: str
    unit: str = attrs.field(validator=attrs.validators.in_(UNITS))
    function: Callable[[IndexFacts, IndexFacts], Any]


def _crash(key: str) -> Callable[[IndexFacts], Any]:
    return lambda f: f.crash_2020[key] if f.crash_2020 is not None else MISSING


def _valuation(key: str) -> Callable[[IndexFacts], Any]:
    return lambda f: f.valuation[key] if f.valuation is not None else MISSING


def _turnover(f: IndexFacts) -> Any:
    return float(turnover_by_year(f.turnover).mean()) if len(f.turnover) else MISSING


def _days_to_rebalance(f: IndexFacts) -> Any:
    if not (len(f.trades) and "adv" in f.result.constituents):
        return MISSING
    cap = capacity(f.trades, f.result.constituents, FUND_SIZE, PARTICIPATION)
    return float(cap["days_to_trade"].median())


def _fee(fee: float) -> Statistic:
    return Statistic(
        f"fee_drag_{round(fee * 1e4)}bp",
        f"return lost to a {fee:.2%} fee / year",
        "percent",
        lambda f: fee_drag(f.total_return, fee),
    )


#: Statistics of one index, in the order of the comparison table.
STATISTICS: tuple[Statistic, ...] = (
    Statistic("total_return", "total return", "percent", lambda f: f.performance["total_return"]),
    Statistic(
        "annualised_return", "annualised return", "percent", lambda f: f.performance["annualised_return"]
    ),
    Statistic(
        "annualised_volatility",
        "annualised volatility",
        "percent",
        lambda f: f.performance["annualised_volatility"],
    ),
    Statistic("sharpe", "Sharpe (rf 0)", "number", lambda f: f.performance["sharpe"]),
    Statistic("max_drawdown", "max drawdown", "percent", lambda f: f.performance["max_drawdown"]),
    Statistic("trough", "worst drawdown trough", "date", lambda f: f.performance["trough"]),
    Statistic("recovery_months", "months to recover", "number", lambda f: f.performance["recovery_months"]),
    Statistic("drawdown_2020", "2020 drawdown", "percent", _crash("max_drawdown")),
    Statistic("recovery_months_2020", "2020: months to recover", "number", _crash("recovery_months")),
    Statistic("companies", "constituents (last review)", "count", lambda f: f.composition["companies"]),
    Statistic("top10_weight", "top-10 weight", "percent", lambda f: f.composition["top10_weight"]),
    Statistic("effective_names", "effective names", "number", lambda f: f.composition["effective_names"]),
    Statistic("pe_harmonic", "P/E (harmonic)", "number", _valuation("pe_harmonic")),
    Statistic("pb_harmonic", "P/B (harmonic)", "number", _valuation("pb_harmonic")),
    Statistic("loss_making_weight", "loss-making (weight)", "percent", _valuation("loss_making_weight")),
    _fee(0.0003),
    _fee(0.0020),
    Statistic("turnover", "one-way turnover / year", "percent", _turnover),
    Statistic(
        "days_to_rebalance",
        f"days to rebalance $1B at {PARTICIPATION:.0%} of ADV (median)",
        "number",
        _days_to_rebalance,
    ),
)


def _relative(key: str) -> Callable[[IndexFacts, IndexFacts], Any]:
    return lambda f, base: relative(f.total_return, base.total_return)[key]


def _overlap(key: str) -> Callable[[IndexFacts, IndexFacts], Any]:
    def compute(f: IndexFacts, base: IndexFacts) -> Any:
        first = base.result.constituents
        date = first["effective_date"].max()
        other = f.result.constituents
        at = other["effective_date"][other["effective_date"] <= date].max()
        return overlap(first[first["effective_date"] == date], other[other["effective_date"] == at])[key]

    return compute


#: Statistics of each index against the first one of the comparison.
RELATIVE: tuple[Relative, ...] = (
    Relative("beta", "beta to {base}", "number", _relative("beta")),
    Relative("correlation", "correlation with {base}", "number", _relative("correlation")),
    Relative("tracking_error", "tracking error to {base}", "percent", _relative("tracking_error")),
    Relative("weight_overlap", "weight overlap with {base}", "percent", _overlap("weight_overlap")),
    Relative("common_companies", "companies also in {base}", "count", _overlap("common_companies")),
)


def unit_of(label: str) -> str:
    """The unit of a comparison row (a statistic's label, or a relative one's with its
    base filled in)."""
    for statistic in STATISTICS:
        if statistic.label == label:
            return statistic.unit
    for statistic_ in RELATIVE:
        if label.startswith(statistic_.label.split("{base}")[0]):
            return statistic_.unit
    return "number"


def table(results: dict[str, IndexResult], start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """One column per index, one row per statistic, on the dates ``start..end``."""
    facts = {name: IndexFacts(result, start, end) for name, result in results.items()}
    columns: dict[str, dict[str, Any]] = {}
    for name, f in facts.items():
        row: dict[str, Any] = {}
        for statistic in STATISTICS:
            value = statistic.function(f)
            if value is not MISSING:
                row[statistic.label] = value
        columns[name] = row
    frame = pd.DataFrame(columns)
    names = list(results)
    if len(names) >= 2:
        base = facts[names[0]]
        # Row by row, so each relative statistic stays one row whatever the indices hold.
        for against in RELATIVE:
            label = against.label.format(base=names[0])
            for other in names[1:]:
                frame.loc[label, other] = against.function(facts[other], base)
    return frame
