"""Market data (public since 0.1): the documented format, the loader and point-in-time
views. The code lives in :mod:`indexsmith.data`; this module keeps the names plugins
written against 0.1 import."""

from __future__ import annotations

from indexsmith.data.market import Market
from indexsmith.data.panel import DailyPanel
from indexsmith.data.schema import REQUIRED_TABLES, SCHEMA, Column
from indexsmith.data.sources import load_market, read_table
from indexsmith.data.validate import validate_frames
from indexsmith.data.view import MarketView
from indexsmith.frames import isin

__all__ = [
    "REQUIRED_TABLES",
    "SCHEMA",
    "Column",
    "DailyPanel",
    "Market",
    "MarketView",
    "isin",
    "load_market",
    "read_table",
    "validate_frames",
]
