"""What the statistics of one index are computed from (:class:`IndexFacts`): its result on
the dates a comparison shares, with each shared intermediate (performance, the last
review's members, valuation, a crisis window's drawdown) computed once."""

from __future__ import annotations

import functools
from typing import Any

import pandas as pd

from indexsmith.analytics.composition import composition, valuation
from indexsmith.analytics.performance import dividend_yield, drawdown_in, performance, relative, trailing
from indexsmith.results.model import IndexResult


class IndexFacts:
    """One index's result on the comparison's dates ``start..end``."""

    def __init__(self, result: IndexResult, start: pd.Timestamp, end: pd.Timestamp) -> None:
        self.result = result
        self.levels = result.levels.set_index("date").loc[start:end]
        self._windows: dict[tuple[str, str], dict[str, Any] | None] = {}
        self._trailing: dict[int | None, dict[str, float] | None] = {}
        self._relative: dict[int, dict[str, Any]] = {}

    @property
    def total_return(self) -> pd.Series:
        return self.levels["total_return"]

    @functools.cached_property
    def performance(self) -> dict[str, Any]:
        return performance(self.total_return)

    def trailing(self, years: int | None) -> dict[str, float] | None:
        if years not in self._trailing:
            self._trailing[years] = trailing(self.total_return, years)
        return self._trailing[years]

    def window(self, start: str, end: str) -> dict[str, Any] | None:
        """The drawdown of a crisis window, ``None`` when the dates do not cover it."""
        if (start, end) not in self._windows:
            self._windows[(start, end)] = drawdown_in(self.total_return, start, end)
        return self._windows[(start, end)]

    def against(self, base: IndexFacts) -> dict[str, Any]:
        """Beta, correlation, tracking error and the relative series against ``base``."""
        if id(base) not in self._relative:
            self._relative[id(base)] = relative(self.total_return, base.total_return)
        return self._relative[id(base)]

    @functools.cached_property
    def dividend_yield(self) -> float | None:
        if "price_return" not in self.levels:
            return None
        return dividend_yield(self.total_return, self.levels["price_return"])

    @functools.cached_property
    def latest(self) -> pd.DataFrame:
        return self.result.latest()

    @functools.cached_property
    def composition(self) -> dict[str, Any]:
        return composition(self.latest)

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
