"""Ranking measures. The engine ranks largest first; ties go to the smaller
``company_id``, then the smaller ``security_id`` (see ``indexsmith.Ranking``)."""

from __future__ import annotations

import attrs
import pandas as pd
from indexsmith import MarketView, Ranking, hookimpl


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


@hookimpl
def indexsmith_register_rankings(register):  # type: ignore[no-untyped-def]
    register("company-market-cap", CompanyMarketCap, aliases=("total-market-cap",))
    register("float-market-cap", FloatMarketCap)
