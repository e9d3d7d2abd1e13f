"""Drawdowns of a level series and their recovery: the one definition that the analytics
(the worst drawdown, the named crisis windows) and the demo market's calibration (how long
the 2020 crash took to regain) share. Pure functions of a date-indexed level series; this
module imports nothing of indexsmith.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

#: Days in an average calendar month (months are ``days / (365.25 / 12)``).
DAYS_PER_MONTH = 365.25 / 12


def drawdown(levels: pd.Series) -> pd.Series:
    """Level relative to its running peak, minus one (0 at a new high)."""
    return levels / levels.cummax() - 1.0


def months_between(start: pd.Timestamp, end: pd.Timestamp) -> float:
    """Calendar months between two dates (days / (365.25 / 12)), one decimal."""
    return round((end - start).days / DAYS_PER_MONTH, 1)


def episode(levels: pd.Series, peak: pd.Timestamp, trough: pd.Timestamp) -> dict[str, Any]:
    """One drawdown from ``peak`` to ``trough``: its depth and the recovery, the first
    session after the trough at (or above) the peak's level, ``None`` if the series ends
    below it. Durations in sessions and calendar months: ``decline`` peak to trough,
    ``recovery`` trough to recovery, ``underwater`` peak to recovery."""
    top = float(levels.loc[peak])
    after = levels.loc[trough:]
    back = after[after >= top]
    recovery = back.index[0] if len(back) else None
    position = {d: i for i, d in enumerate(levels.index)}
    return {
        "max_drawdown": float(levels.loc[trough] / top - 1.0),
        "peak": peak,
        "trough": trough,
        "recovery": recovery,
        "decline_sessions": position[trough] - position[peak],
        "recovery_sessions": (position[recovery] - position[trough]) if recovery is not None else None,
        "underwater_sessions": (position[recovery] - position[peak]) if recovery is not None else None,
        "decline_months": months_between(peak, trough),
        "recovery_months": months_between(trough, recovery) if recovery is not None else None,
        "underwater_months": months_between(peak, recovery) if recovery is not None else None,
    }


def worst_drawdown(levels: pd.Series) -> dict[str, Any]:
    """The deepest drawdown of the whole series (its peak is the running high before the
    trough), as :func:`episode` describes it."""
    trough = drawdown(levels).idxmin()
    return episode(levels, levels.loc[:trough].idxmax(), trough)


def window_drawdown(
    levels: pd.Series, start: str | pd.Timestamp, end: str | pd.Timestamp
) -> dict[str, Any] | None:
    """The drawdown of a named window (the 2020 crash: 2020-01-01..2020-06-30): the trough
    is the session of the deepest drawdown inside ``[start, end]``, the peak the running
    high before it (which may lie before the window: a decline that began earlier counts
    from its true top), and recovery is looked for on the rest of the series. ``None``
    when the series does not cover the window (it starts after ``start`` or ends before
    ``end``) or the window holds no decline, so a 2008 low can never stand for 2020."""
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    if levels.empty or levels.index[0] > start or levels.index[-1] < end:
        return None
    inside = drawdown(levels).loc[start:end]
    if inside.empty or inside.min() >= 0:
        return None
    trough = inside.idxmin()
    return episode(levels, levels.loc[:trough].idxmax(), trough)
