"""Index calculation: the ledger of holdings and divisor, the events that change it, and
the daily levels, turnover and trades it produces (methodologies.md §4 and §6)."""

from __future__ import annotations

from indexsmith.calculation.levels import Calculation, calculate
from indexsmith.calculation.options import CalculationOptions

__all__ = ["Calculation", "CalculationOptions", "calculate"]
