"""Performance and risk of a level series: returns, drawdowns and recovery, calendar-year
and rolling returns, and relative statistics against a benchmark.

Conventions: daily simple returns; annualised figures use 252 sessions a year
(:data:`indexsmith.units.SESSIONS_PER_YEAR`); drawdowns are measured on the total-return
level unless another series is passed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from indexsmith.units import SESSIONS_PER_YEAR


def returns(levels: pd.Series) -> pd.Series:
    """Daily simple returns of a level series (the first session has none)."""
    return levels.pct_change().iloc[1:]


def drawdown(levels: pd.Series) -> pd.Series:
    """Level relative to its running peak, minus one (0 at a new high)."""
    return levels / levels.cummax() - 1.0


def worst_drawdown(levels: pd.Series) -> dict[str, Any]:
    """The deepest drawdown: depth, peak, trough and recovery dates, and how long it took.

    ``recovery`` is the first session the level is back at (or above) the previous peak;
    ``None`` if it has not recovered by the end of the series. Durations are counted in
    sessions (``*_sessions``) and in calendar months (``recovery_months``: trough to
    recovery).
    """
    dd = drawdown(levels)
    trough = dd.idxmin()
    depth = float(dd.loc[trough])
    peak = levels.loc[:trough].idxmax()
    after = levels.loc[trough:]
    back = after[after >= levels.loc[peak]]
    recovery = back.index[0] if len(back) else None
    position = {d: i for i, d in enumerate(levels.index)}
    return {
        "max_drawdown": depth,
        "peak": peak,
        "trough": trough,
        "recovery": recovery,
        "decline_sessions": position[trough] - position[peak],
        "recovery_sessions": (position[recovery] - position[trough]) if recovery is not None else None,
        "underwater_sessions": (position[recovery] - position[peak]) if recovery is not None else None,
        "recovery_months": _months(trough, recovery) if recovery is not None else None,
    }


def drawdown_in(levels: pd.Series, start: str | pd.Timestamp, end: str | pd.Timestamp) -> dict[str, Any]:
    """The worst drawdown whose trough falls in ``[start, end]`` (e.g. the 2020 crash),
    with its recovery measured on the whole series."""
    window = levels.loc[start:end]
    trough = drawdown(levels).loc[window.index].idxmin()
    return worst_drawdown(levels.loc[: _recovery_end(levels, trough)])


def _recovery_end(levels: pd.Series, trough: pd.Timestamp) -> pd.Timestamp:
    peak_value = levels.loc[:trough].max()
    after = levels.loc[trough:]
    back = after[after >= peak_value]
    return back.index[0] if len(back) else levels.index[-1]


def _months(start: pd.Timestamp, end: pd.Timestamp) -> float:
    """Calendar months between two dates (days / (365.25 / 12)), one decimal."""
    return round((end - start).days / (365.25 / 12), 1)


def performance(levels: pd.Series, risk_free: float | pd.Series = 0.0) -> dict[str, Any]:
    """Cumulative and annualised return, volatility, Sharpe ratio and the worst drawdown.

    ``risk_free`` is an annual rate or a daily series of annual rates (aligned on dates).
    """
    daily = returns(levels)
    years = len(daily) / SESSIONS_PER_YEAR
    total = float(levels.iloc[-1] / levels.iloc[0] - 1.0)
    rf = risk_free.reindex(daily.index).ffill().fillna(0.0) if isinstance(risk_free, pd.Series) else risk_free
    excess = daily - (1 + rf) ** (1 / SESSIONS_PER_YEAR) + 1
    vol = float(daily.std(ddof=1) * np.sqrt(SESSIONS_PER_YEAR)) if len(daily) > 1 else float("nan")
    sharpe = float(excess.mean() * SESSIONS_PER_YEAR / vol) if vol and vol == vol else float("nan")
    out = {
        "start": levels.index[0],
        "end": levels.index[-1],
        "total_return": total,
        "annualised_return": float((1 + total) ** (1 / years) - 1) if years > 0 else float("nan"),
        "annualised_volatility": vol,
        "sharpe": sharpe,
    }
    out.update(worst_drawdown(levels))
    return out


def calendar_year_returns(levels: pd.Series) -> pd.Series:
    """Return of each calendar year, from the last close of the previous year (or the
    first level) to the last close of the year."""
    year_end = levels.groupby(levels.index.year).last()
    start = pd.concat([pd.Series([levels.iloc[0]], index=[year_end.index[0] - 1]), year_end])
    return (year_end / start.shift(1).loc[year_end.index] - 1.0).rename("return")


def rolling_returns(levels: pd.Series, sessions: int = SESSIONS_PER_YEAR) -> pd.Series:
    """Return over each trailing window of ``sessions`` sessions."""
    return (levels / levels.shift(sessions) - 1.0).dropna()


def relative(levels: pd.Series, benchmark: pd.Series) -> dict[str, Any]:
    """Beta, correlation, annualised tracking error and the relative-performance series
    (index / benchmark, rebased to 1) on the dates both share."""
    common = levels.index.intersection(benchmark.index)
    a, b = levels.loc[common], benchmark.loc[common]
    ra, rb = returns(a), returns(b)
    beta = float(ra.cov(rb) / rb.var()) if rb.var() > 0 else float("nan")
    return {
        "beta": beta,
        "correlation": float(ra.corr(rb)),
        "tracking_error": float((ra - rb).std(ddof=1) * np.sqrt(SESSIONS_PER_YEAR)),
        "relative": (a / a.iloc[0]) / (b / b.iloc[0]),
        "common_start": common[0],
        "common_end": common[-1],
    }
