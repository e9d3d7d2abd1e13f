"""Trading calendars (public since 0.1). The code lives in :mod:`indexsmith.data.calendars`;
this module keeps the names plugins written against 0.1 import."""

from __future__ import annotations

from indexsmith.data.calendars import (
    CALENDAR_END,
    CALENDAR_START,
    TradingCalendar,
    get_calendar,
    nth_weekday_date,
)

__all__ = ["CALENDAR_END", "CALENDAR_START", "TradingCalendar", "get_calendar", "nth_weekday_date"]
