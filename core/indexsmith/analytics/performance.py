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

from indexsmith.drawdowns import drawdown, window_drawdown, worst_drawdown
from indexsmith.units import SESSIONS_PER_YEAR

__all__ = [
    "calendar_year_returns",
    "capture",
    "dividend_yield",
    "drawdown",
    "drawdown_in",
    "performance",
    "relative",
    "returns",
    "rolling_returns",
    "trailing",
    "worst_drawdown",
]


def returns(levels: pd.Series) -> pd.Series:
    """Daily simple returns of a level series (the first session has none)."""
    return levels.pct_change().iloc[1:]


def drawdown_in(
    levels: pd.Series, start: str | pd.Timestamp, end: str | pd.Timestamp
) -> dict[str, Any] | None:
    """The drawdown of a named window (the 2020 crash), ``None`` when the series does not
    cover it: see :func:`indexsmith.drawdowns.window_drawdown`."""
    return window_drawdown(levels, start, end)


def _volatility(daily: pd.Series) -> float:
    return float(daily.std(ddof=1) * np.sqrt(SESSIONS_PER_YEAR)) if len(daily) > 1 else float("nan")


def performance(levels: pd.Series, risk_free: float | pd.Series = 0.0) -> dict[str, Any]:
    """Cumulative and annualised return, volatility, Sharpe ratio and the worst drawdown.

    ``risk_free`` is an annual rate or a daily series of annual rates (aligned on dates).
    """
    daily = returns(levels)
    years = len(daily) / SESSIONS_PER_YEAR
    total = float(levels.iloc[-1] / levels.iloc[0] - 1.0)
    rf = risk_free.reindex(daily.index).ffill().fillna(0.0) if isinstance(risk_free, pd.Series) else risk_free
    excess = daily - (1 + rf) ** (1 / SESSIONS_PER_YEAR) + 1
    vol = _volatility(daily)
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


def calendar_year_returns(levels: pd.Series, complete: bool = False) -> pd.Series:
    """Return of each calendar year, from the last close of the previous year (or the
    first level) to the last close of the year. ``complete`` keeps only the years the
    series covers whole: it has the previous year's last close and reaches the year's
    last business day (or goes beyond it)."""
    year_end = levels.groupby(levels.index.year).last()
    start = pd.concat([pd.Series([levels.iloc[0]], index=[year_end.index[0] - 1]), year_end])
    out = (year_end / start.shift(1).loc[year_end.index] - 1.0).rename("return")
    if complete:
        first, last = levels.index[0], levels.index[-1]
        out = out.loc[[y for y in out.index if first < pd.Timestamp(y, 1, 1) and last >= _last_weekday(y)]]
    return out


def _last_weekday(year: int) -> pd.Timestamp:
    day = pd.Timestamp(year, 12, 31)
    return day - pd.Timedelta(days=max(day.weekday() - 4, 0))


def trailing(levels: pd.Series, years: int | None) -> dict[str, float] | None:
    """Annualised return and volatility over the last ``years`` calendar years, from the
    last close on or before the same date ``years`` earlier (one year is the plain
    return); ``None`` when the series is shorter than the window. ``years=None`` is since
    inception, annualised over sessions as :func:`performance` does."""
    end = levels.index[-1]
    if years is None:
        window = levels
        span = (len(levels) - 1) / SESSIONS_PER_YEAR  # as performance() annualises
    else:
        start = end - pd.DateOffset(years=years)
        if levels.index[0] > start:
            return None
        window = levels.loc[levels.index[levels.index <= start][-1] :]
        span = float(years)
    if len(window) < 2 or span <= 0:
        return None
    total = float(window.iloc[-1] / window.iloc[0] - 1.0)
    return {
        "annualised_return": (1 + total) ** (1 / span) - 1,
        "annualised_volatility": _volatility(returns(window)),
    }


def capture(levels: pd.Series, benchmark: pd.Series) -> dict[str, float]:
    """Up and down capture on calendar-month returns (Morningstar's definition): over the
    months the benchmark rose, the index's geometric mean monthly return divided by the
    benchmark's; likewise over the months it fell. 1.0 moves one for one with it."""
    common = levels.index.intersection(benchmark.index)
    month_end = levels.loc[common].groupby(common.to_period("M")).last()
    bench_end = benchmark.loc[common].groupby(common.to_period("M")).last()
    ri, rb = month_end.pct_change().iloc[1:], bench_end.pct_change().iloc[1:]

    def ratio(months: pd.Series) -> float:
        if not months.any():
            return float("nan")
        mean_i = float(np.prod(1 + ri[months]) ** (1 / months.sum()) - 1)
        mean_b = float(np.prod(1 + rb[months]) ** (1 / months.sum()) - 1)
        return mean_i / mean_b

    return {"up_capture": ratio(rb > 0), "down_capture": ratio(rb < 0)}


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


def dividend_yield(total_return: pd.Series, price_return: pd.Series) -> float | None:
    """Trailing twelve-month dividend yield from the two levels: the total-return growth
    over the price-return growth over the last year, minus one (the dividends reinvested
    over the year as a share of the price level); ``None`` with less than a year."""
    end = total_return.index[-1]
    start = end - pd.DateOffset(years=1)
    if total_return.index[0] > start:
        return None
    at = total_return.index[total_return.index <= start][-1]
    growth_tr = total_return.iloc[-1] / total_return.loc[at]
    growth_pr = price_return.iloc[-1] / price_return.loc[at]
    return float(growth_tr / growth_pr - 1.0)
