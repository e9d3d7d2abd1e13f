"""Trading calendars for review schedules, on top of ``exchange_calendars``.

Review rules are written in calendar terms ("the fourth Friday of June", "the last
business day of April"); this module turns them into sessions of a real exchange
calendar, rolling to the previous session when the rule lands on a holiday.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from indexsmith.errors import DefinitionError, Problem
from indexsmith.io import cache_root

#: First and last dates any calendar in indexsmith covers.
CALENDAR_START = "1990-01-02"
CALENDAR_END = "2030-12-31"


class TradingCalendar:
    """The sessions of one exchange (``XNYS`` by default) and date rules on them."""

    def __init__(self, code: str = "XNYS") -> None:
        self.code = code
        self.sessions = _sessions(code)
        self._session_values = self.sessions.values.astype("datetime64[D]")

    def __repr__(self) -> str:
        return f"TradingCalendar({self.code!r})"

    def is_session(self, date: dt.date | pd.Timestamp) -> bool:
        day = np.datetime64(pd.Timestamp(date).date(), "D")
        i = np.searchsorted(self._session_values, day)
        return bool(i < len(self._session_values) and self._session_values[i] == day)

    def on_or_before(self, date: dt.date | pd.Timestamp) -> pd.Timestamp:
        """The session on ``date``, or the last one before it."""
        day = np.datetime64(pd.Timestamp(date).date(), "D")
        i = int(np.searchsorted(self._session_values, day, side="right")) - 1
        if i < 0:
            raise ValueError(f"{date} is before the first {self.code} session in range")
        return self.sessions[i]

    def on_or_after(self, date: dt.date | pd.Timestamp) -> pd.Timestamp:
        """The session on ``date``, or the first one after it."""
        day = np.datetime64(pd.Timestamp(date).date(), "D")
        i = int(np.searchsorted(self._session_values, day, side="left"))
        if i >= len(self.sessions):
            raise ValueError(f"{date} is after the last {self.code} session in range")
        return self.sessions[i]

    def offset(self, session: pd.Timestamp, n: int) -> pd.Timestamp:
        """The session ``n`` sessions after (``n > 0``) or before ``session``."""
        i = int(np.searchsorted(self._session_values, np.datetime64(session.date(), "D")))
        if not 0 <= i + n < len(self.sessions):  # never wrap round through a negative index
            raise ValueError(
                f"{abs(n)} sessions {'after' if n > 0 else 'before'} {session:%Y-%m-%d} is outside the {self.code} "
                f"calendar ({self.sessions[0]:%Y-%m-%d}..{self.sessions[-1]:%Y-%m-%d})"
            )
        return self.sessions[i + n]

    def between(self, start: dt.date, end: dt.date) -> pd.DatetimeIndex:
        lo = np.searchsorted(self._session_values, np.datetime64(start, "D"), side="left")
        hi = np.searchsorted(self._session_values, np.datetime64(end, "D"), side="right")
        return self.sessions[lo:hi]

    def last_session_of_month(self, year: int, month: int) -> pd.Timestamp:
        """The last trading day of a month ("last business day of April")."""
        return self.on_or_before(pd.Timestamp(year, month, 1) + pd.offsets.MonthEnd(0))

    def nth_weekday(self, year: int, month: int, weekday: int, n: int) -> pd.Timestamp:
        """The ``n``-th ``weekday`` (0 = Monday) of a month, rolled back to a session.

        ``n = -1`` is the last such weekday. The third Friday of March is
        ``nth_weekday(y, 3, 4, 3)``.
        """
        return self.on_or_before(nth_weekday_date(year, month, weekday, n))


def nth_weekday_date(year: int, month: int, weekday: int, n: int) -> dt.date:
    """The calendar date of the ``n``-th ``weekday`` of a month (``n = -1``: the last)."""
    if n == -1:
        last = (pd.Timestamp(year, month, 1) + pd.offsets.MonthEnd(0)).date()
        return last - dt.timedelta(days=(last.weekday() - weekday) % 7)
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


@functools.cache
def _sessions(code: str) -> pd.DatetimeIndex:
    """The calendar's sessions, kept in the cache folder per exchange_calendars version
    (building a calendar's holiday rules costs about a second each time a command runs)."""
    import exchange_calendars as xcals

    file = None
    if os.environ.get("INDEXSMITH_NO_CACHE") != "1" and code.isalnum():
        file = cache_root() / "calendars" / f"{code}-{xcals.__version__}-{CALENDAR_START}-{CALENDAR_END}.npy"
        try:
            values = np.load(file, allow_pickle=False)
            if values.dtype == np.dtype("datetime64[ns]") and values.ndim == 1 and len(values):
                return pd.DatetimeIndex(values, name="date")
        except (OSError, ValueError):
            pass
    sessions = _build_sessions(code)
    if file is not None:
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            handle, tmp = tempfile.mkstemp(dir=file.parent, prefix=".tmp-", suffix=".npy")
            try:
                with os.fdopen(handle, "wb") as out:
                    np.save(out, sessions.values.astype("datetime64[ns]"), allow_pickle=False)
                os.replace(tmp, file)
            finally:
                Path(tmp).unlink(missing_ok=True)
        except OSError:
            pass
    return sessions


def _build_sessions(code: str) -> pd.DatetimeIndex:
    import exchange_calendars as xcals

    try:
        with warnings.catch_warnings():
            # exchange_calendars reads tz-aware Series.values, which pandas 3 deprecates.
            warnings.filterwarnings("ignore", message="Series.values returning an ndarray")
            # A calendar whose recorded history is shorter (XTKS from 1997, XBOM holidays to
            # 2026) covers what it records.
            kind = type(xcals.get_calendar(code))
            earliest, latest = kind.bound_min(), kind.bound_max()
            start = max(pd.Timestamp(CALENDAR_START), earliest) if earliest is not None else CALENDAR_START
            end = min(pd.Timestamp(CALENDAR_END), latest) if latest is not None else CALENDAR_END
            calendar = xcals.get_calendar(code, start=start, end=end)
    except xcals.errors.InvalidCalendarName:
        raise DefinitionError(
            [
                Problem(
                    f"unknown exchange calendar '{code}'",
                    hint="use a MIC code such as XNYS, XNAS or XLON",
                )
            ]
        ) from None
    except (ValueError, NotImplementedError) as exc:
        raise DefinitionError(
            [
                Problem(
                    f"exchange calendar '{code}' cannot be built by exchange_calendars "
                    f"{xcals.__version__}: {str(exc)[:120]}",
                    hint="use another calendar of the exchange, or another exchange_calendars version",
                )
            ]
        ) from None
    return pd.DatetimeIndex(calendar.sessions.tz_localize(None), name="date")


@functools.cache
def get_calendar(code: str = "XNYS") -> TradingCalendar:
    """A shared, read-only calendar object per exchange code."""
    return TradingCalendar(code)
