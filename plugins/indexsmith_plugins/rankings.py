"""Ranking measures. The engine ranks largest first; ties go to the smaller
``company_id``, then the smaller ``security_id`` (see ``indexsmith.Ranking``)."""

from __future__ import annotations

from collections.abc import Callable

import attrs
import numpy as np
import pandas as pd
from indexsmith import MarketView, Ranking, Register, hookimpl


@attrs.frozen(kw_only=True)
class CompanyMarketCap(Ranking):
    """Total company market cap: every listed share class of the company, unadjusted for
    float. The Russell, S&P and CRSP ranking measure."""

    def measure(self, view: MarketView, universe: pd.DataFrame) -> pd.Series:
        return view.company_market_cap(universe.index)


@attrs.frozen(kw_only=True)
class FloatMarketCap(Ranking):
    """Float-adjusted market cap of the security itself."""

    def measure(self, view: MarketView, universe: pd.DataFrame) -> pd.Series:
        return view.float_market_cap(universe.index)


#: Field name -> how to read it from a view (security ids -> values).
FIELDS: dict[str, Callable[[MarketView, pd.Index], pd.Series]] = {
    "close": lambda view, ids: view.close(ids),
    "market_cap": lambda view, ids: view.market_cap(ids),
    "float_market_cap": lambda view, ids: view.float_market_cap(ids),
    "company_market_cap": lambda view, ids: view.company_market_cap(ids),
    "float_factor": lambda view, ids: view.float_factor(ids),
    "average_dollar_volume_3m": lambda view, ids: view.average_dollar_volume(ids, 63),
    "average_volume_3m": lambda view, ids: view.average_volume(ids, 63),
    "book_equity": lambda view, ids: view.latest_fundamental(ids, "book_equity"),
    "book_to_price": lambda view, ids: (
        view.latest_fundamental(ids, "book_equity") / view.company_market_cap(ids)
    ),
    "ttm_net_income": lambda view, ids: view.ttm(ids, "net_income"),
    "ttm_sales": lambda view, ids: view.ttm(ids, "sales"),
    "earnings_yield": lambda view, ids: view.ttm(ids, "net_income") / view.company_market_cap(ids),
    "sessions_listed": lambda view, ids: view.sessions_listed(ids).astype(float),
}


@attrs.frozen(kw_only=True)
class FieldRanking(Ranking):
    """Rank by any numeric field of the data (largest first, or smallest first with
    ``ascending``). Securities without a value rank after every security with one, in the
    documented tie-break order."""

    field: str = attrs.field(
        validator=attrs.validators.in_(sorted(FIELDS)),
        metadata={"help": f"one of {', '.join(sorted(FIELDS))}"},
    )
    ascending: bool = attrs.field(default=False, metadata={"help": "rank the smallest value first"})

    def measure(self, view: MarketView, universe: pd.DataFrame) -> pd.Series:
        values = FIELDS[self.field](view, universe.index).astype(float)
        values = -values if self.ascending else values
        values = values.where(np.isfinite(values))
        floor = values.min() if values.notna().any() else 0.0
        return values.fillna(floor - abs(floor) - 1.0)


@hookimpl
def indexsmith_register_rankings(register: Register) -> None:
    register("company-market-cap", CompanyMarketCap, aliases=("total-market-cap",))
    register("float-market-cap", FloatMarketCap)
    register("field", FieldRanking)
