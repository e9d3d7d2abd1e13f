"""Analytics of built indices: performance and risk, composition, overlap, implementation
and capacity, and the statistics a comparison reports. Pure functions of result tables
(levels, constituents, turnover, trades), so they work on a fresh build and on a result
folder read back from disk alike.
"""

from __future__ import annotations

from indexsmith.analytics.composition import composition, overlap, sector_weights, size_profile, valuation
from indexsmith.analytics.implementation import annualised_turnover, capacity, fee_drag, turnover_by_year
from indexsmith.analytics.performance import (
    calendar_year_returns,
    capture,
    dividend_yield,
    drawdown,
    drawdown_in,
    performance,
    relative,
    returns,
    rolling_returns,
    trailing,
    worst_drawdown,
)
from indexsmith.units import SESSIONS_PER_YEAR

__all__ = [
    "SESSIONS_PER_YEAR",
    "annualised_turnover",
    "calendar_year_returns",
    "capacity",
    "capture",
    "composition",
    "dividend_yield",
    "drawdown",
    "drawdown_in",
    "fee_drag",
    "overlap",
    "performance",
    "relative",
    "returns",
    "rolling_returns",
    "sector_weights",
    "size_profile",
    "trailing",
    "turnover_by_year",
    "valuation",
    "worst_drawdown",
]
