"""Market data in: the documented format, its validation, the in-memory market and its
point-in-time views, trading calendars, and the sources that read data from disk.

This layer never imports the definition, engine, calculation or results layers.
"""

from __future__ import annotations

from indexsmith.data.calendars import TradingCalendar, get_calendar, nth_weekday_date
from indexsmith.data.market import Market
from indexsmith.data.panel import DailyPanel, panel_key
from indexsmith.data.schema import SCHEMA, Column
from indexsmith.data.sources import load_market, read_table
from indexsmith.data.validate import Validated, validate_frames
from indexsmith.data.view import MarketView

__all__ = [
    "SCHEMA",
    "Column",
    "DailyPanel",
    "Market",
    "MarketView",
    "TradingCalendar",
    "Validated",
    "get_calendar",
    "load_market",
    "nth_weekday_date",
    "panel_key",
    "read_table",
    "validate_frames",
]
