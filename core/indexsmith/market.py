"""Market data (public since 0.1): the documented format, the loader, point-in-time views
and (since 0.3) what a market source is built from. The code lives in
:mod:`indexsmith.data`; plugins import these names from here."""

from __future__ import annotations

from indexsmith.data.market import Market
from indexsmith.data.panel import DailyPanel
from indexsmith.data.schema import REQUIRED_TABLES, SCHEMA, VOCABULARY, Column
from indexsmith.data.sources import (
    DirectorySource,
    MarketSource,
    SourceTables,
    VendorFiles,
    fill_security_defaults,
    load_market,
    read_table,
    roll_shares,
    securities_table,
    to_sessions,
    unadjust,
    write_tables,
)
from indexsmith.data.validate import validate_frames
from indexsmith.data.view import MarketView
from indexsmith.frames import isin

__all__ = [
    "REQUIRED_TABLES",
    "SCHEMA",
    "VOCABULARY",
    "Column",
    "DailyPanel",
    "DirectorySource",
    "Market",
    "MarketSource",
    "MarketView",
    "SourceTables",
    "VendorFiles",
    "fill_security_defaults",
    "isin",
    "load_market",
    "read_table",
    "roll_shares",
    "securities_table",
    "to_sessions",
    "unadjust",
    "validate_frames",
    "write_tables",
]
