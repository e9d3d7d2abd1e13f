"""Analytics of built indices: performance and risk, composition, overlap, implementation
and capacity. Pure functions of result tables (levels, constituents, turnover, trades), so
they work on a fresh build and on a result folder read back from disk alike.

Conventions: daily simple returns; annualised figures use 252 sessions a year; drawdowns
are measured on the total-return level unless another series is passed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

SESSIONS_PER_YEAR = 252


# -- performance and risk --------------------------------------------------------------


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


# -- composition -------------------------------------------------------------------------


def composition(members: pd.DataFrame, top: tuple[int, ...] = (5, 10)) -> dict[str, Any]:
    """Concentration of one review's members (a constituents slice with ``weight``):
    count of securities and companies, top-N company weight, Herfindahl index of company
    weights and the effective number of names (1 / HHI)."""
    by_company = members.groupby("company_id")["weight"].sum().sort_values(ascending=False)
    hhi = float((by_company**2).sum())
    out: dict[str, Any] = {
        "securities": int(members["security_id"].nunique()),
        "companies": len(by_company),
        "herfindahl": hhi,
        "effective_names": 1.0 / hhi if hhi > 0 else float("nan"),
    }
    for n in top:
        out[f"top{n}_weight"] = float(by_company.iloc[:n].sum())
    return out


def sector_weights(members: pd.DataFrame) -> pd.Series:
    return members.groupby("sector")["weight"].sum().sort_values(ascending=False)


def size_profile(members: pd.DataFrame, bins: int = 10) -> pd.DataFrame:
    """Cap versus count: members sorted by company market cap and cut into ``bins``
    groups of equal count; each group's cap range, and its share of count and weight."""
    companies = (
        members.groupby("company_id")
        .agg(cap=("company_market_cap", "first"), weight=("weight", "sum"))
        .sort_values("cap", ascending=False)
    )
    group = np.minimum((np.arange(len(companies)) * bins) // max(len(companies), 1), bins - 1)
    table = companies.groupby(group).agg(
        largest=("cap", "max"), smallest=("cap", "min"), companies=("cap", "size"), weight=("weight", "sum")
    )
    table.index = [f"{i + 1}/{bins}" for i in table.index]
    table["share_of_count"] = table["companies"] / len(companies)
    return table


def valuation(members: pd.DataFrame) -> dict[str, float]:
    """Aggregate valuation: weighted harmonic P/E and P/B (``Σw / Σ w·E/P``: the index's
    earnings yield inverted, so losses count and no single name dominates) and the share of
    loss-making companies by count and by weight. Needs ``company_market_cap``,
    ``ttm_net_income`` and ``book_equity`` (written by builds since 0.1)."""
    companies = members.groupby("company_id").agg(
        weight=("weight", "sum"),
        cap=("company_market_cap", "first"),
        earnings=("ttm_net_income", "first"),
        book=("book_equity", "first"),
    )
    known = companies.dropna(subset=["earnings"])
    ey = (known["weight"] * known["earnings"] / known["cap"]).sum() / known["weight"].sum()
    with_book = companies.dropna(subset=["book"])
    by = (with_book["weight"] * with_book["book"] / with_book["cap"]).sum() / with_book["weight"].sum()
    losing = known["earnings"] <= 0
    return {
        "pe_harmonic": float(1.0 / ey) if ey > 0 else float("nan"),
        "pb_harmonic": float(1.0 / by) if by > 0 else float("nan"),
        "loss_making_count": float(losing.mean()) if len(known) else float("nan"),
        "loss_making_weight": float(known.loc[losing, "weight"].sum() / known["weight"].sum())
        if len(known)
        else float("nan"),
    }


def overlap(a: pd.DataFrame, b: pd.DataFrame) -> dict[str, float]:
    """Overlap of two reviews' members by company: count in both, that count as a share of
    each, and the weight overlap ``Σ min(w_a, w_b)`` (1 = identical portfolios)."""
    wa = a.groupby("company_id")["weight"].sum()
    wb = b.groupby("company_id")["weight"].sum()
    both = wa.index.intersection(wb.index)
    return {
        "common_companies": len(both),
        "share_of_first": len(both) / len(wa) if len(wa) else float("nan"),
        "share_of_second": len(both) / len(wb) if len(wb) else float("nan"),
        "weight_overlap": float(np.minimum(wa.reindex(both), wb.reindex(both)).sum()),
    }


# -- implementation ------------------------------------------------------------------------


def turnover_by_year(turnover: pd.DataFrame) -> pd.Series:
    """One-way turnover summed per calendar year."""
    frame = turnover.dropna(subset=["one_way"])
    return frame.groupby(pd.DatetimeIndex(frame["effective_date"]).year)["one_way"].sum()


def fee_drag(levels: pd.Series, fee: float) -> float:
    """Annualised return lost to an expense ratio accrued daily (e.g. 0.0003 vs 0.0020)."""
    gross = performance(levels)["annualised_return"]
    daily = (1 - fee / SESSIONS_PER_YEAR) ** np.arange(len(levels))
    net = performance(pd.Series(levels.to_numpy() * daily, index=levels.index))["annualised_return"]
    return float(gross - net)


def capacity(
    trades: pd.DataFrame,
    constituents: pd.DataFrame,
    fund_size: float,
    participation: float = 0.10,
) -> pd.DataFrame:
    """What tracking the index with ``fund_size`` dollars takes at each rebalance.

    For each review: the dollars to trade in each security (``|traded_value| x
    fund_size``), that as a share of the security's average daily dollar volume
    (``adv``, written with the constituents), the days to complete the trade at the
    ``participation`` limit (the slowest name decides), and the fund size at which the
    slowest name needs exactly one day (``fund_size / days``) — the "putting $100M into a
    $1B company" problem.
    """
    adv = constituents.drop_duplicates(["effective_date", "security_id"]).set_index(
        ["effective_date", "security_id"]
    )["adv"]
    rows = []
    for date, frame in trades.groupby("effective_date"):
        dollars = frame["traded_value"].abs().to_numpy() * fund_size
        keys = pd.MultiIndex.from_arrays([frame["effective_date"], frame["security_id"]])
        volume = adv.reindex(keys).to_numpy(dtype=float).copy()
        # A name leaving the index has no adv on this review: use its previous one.
        missing = np.isnan(volume)
        if missing.any():
            previous = adv[adv.index.get_level_values(0) < date].groupby(level=1).last()
            volume[missing] = previous.reindex(frame["security_id"].to_numpy()[missing]).to_numpy()
        share = dollars / volume
        days = share / participation
        worst = int(np.nanargmax(days)) if np.isfinite(days).any() else 0
        rows.append(
            {
                "effective_date": date,
                "traded_dollars": float(dollars.sum()),
                "max_share_of_adv": float(np.nanmax(share)) if len(share) else 0.0,
                "days_to_trade": float(np.nanmax(days)) if len(days) else 0.0,
                "slowest": frame["security_id"].iloc[worst] if len(frame) else None,
                "capacity_one_day": float(fund_size / np.nanmax(days))
                if len(days) and np.nanmax(days) > 0
                else float("inf"),
            }
        )
    return pd.DataFrame(rows)
