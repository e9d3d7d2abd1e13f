"""How the demo market compares with the US market: the calibration figures and their
target bands (``indexsmith market calibration``). The cross-section (counts,
concentration, valuation, sectors) is measured on each of :data:`CALIBRATION_DATES`; the
history (returns over named windows, the 2020 recovery, equal against cap weight,
technology leadership at the end, how small and large caps move together) once, on the
size buckets of :mod:`indexsmith.demo.history`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from indexsmith.data.market import Market
from indexsmith.demo.history import NOT_COMPANIES, Bucket, bucket_levels
from indexsmith.drawdowns import window_drawdown
from indexsmith.frames import cumulative_fraction

#: What the demo market must look like (from the facts in the user's source documents):
#: name -> (low, high).
CALIBRATION_TARGETS = {
    "listed companies": (4000, 4500),
    "top 1,000 share of cap": (0.91, 0.95),
    "top 3,000 share of cap": (0.97, 0.99),
    "companies to 70% of cap": (200, 300),
    "companies to 85% of cap": (500, 700),
    "companies to 98% of cap": (1800, 2800),
    "top 5 share of top-500 cap": (0.18, 0.30),
    "P/E of ranks 1,001-3,000": (13.0, 20.0),
    "P/E of the top 500": (20.0, 28.0),
    "loss-makers in ranks 1,001-3,000": (0.30, 0.45),
    "financials in ranks 1,001-3,000": (0.12, 0.22),
    "health care in ranks 1,001-3,000": (0.12, 0.22),
    "industrials in ranks 1,001-3,000": (0.12, 0.22),
}


#: The dates the calibration is checked on (the end date and two earlier ones).
CALIBRATION_DATES = ("2005-06-30", "2015-06-30", "2025-12-31")


def calibration(market: Market, date: str | pd.Timestamp) -> dict[str, float]:
    """The calibration figures of a market on a date.

    Companies are operating companies (every listed company but funds and preferred
    lines), ranked by total company market cap. P/E is the
    cap-weighted harmonic P/E of companies with positive trailing four-quarter earnings
    (sum of caps / sum of earnings), as providers quote it.
    """
    view = market.view(date)
    listed = view.securities
    companies = listed[~listed["security_type"].isin(NOT_COMPANIES)]
    caps = (
        view.company_market_cap(companies.index)
        .groupby(companies["company_id"])
        .first()
        .sort_values(ascending=False)
    )
    share = cumulative_fraction(caps)
    earnings = view.ttm(companies.index).groupby(companies["company_id"]).sum(min_count=1).reindex(caps.index)
    sector = companies.groupby("company_id")["sector"].first().reindex(caps.index)

    def pe(sl: slice) -> float:
        c, e = caps.iloc[sl], earnings.iloc[sl]
        positive = e > 0
        return float(c[positive].sum() / e[positive].sum())

    small = slice(1000, 3000)
    small_caps = caps.iloc[small]
    weights = small_caps.groupby(sector.iloc[small]).sum() / small_caps.sum()
    return {
        "listed companies": float(listed["company_id"].nunique()),
        "top 1,000 share of cap": float(share.iloc[999]),
        "top 3,000 share of cap": float(share.iloc[2999]),
        "companies to 70% of cap": float(np.searchsorted(share.to_numpy(), 0.70) + 1),
        "companies to 85% of cap": float(np.searchsorted(share.to_numpy(), 0.85) + 1),
        "companies to 98% of cap": float(np.searchsorted(share.to_numpy(), 0.98) + 1),
        "top 5 share of top-500 cap": float(caps.iloc[:5].sum() / caps.iloc[:500].sum()),
        "P/E of ranks 1,001-3,000": pe(small),
        "P/E of the top 500": pe(slice(0, 500)),
        "loss-makers in ranks 1,001-3,000": float((earnings.iloc[small] <= 0).mean()),
        "financials in ranks 1,001-3,000": float(weights.get("Financials", 0.0)),
        "health care in ranks 1,001-3,000": float(weights.get("Health Care", 0.0)),
        "industrials in ranks 1,001-3,000": float(weights.get("Industrials", 0.0)),
    }


#: What the demo market's history must tell (the user's sources): name -> (low, high).
#: Returns are total returns of the size buckets (:mod:`indexsmith.demo.history`); "large
#: caps" are ranks 1-500 and "small caps" ranks 1,001-3,000, both cap-weighted.
HISTORY_TARGETS = {
    "small-cap return 2023-2025": (0.10, 0.30),
    "large-cap return 2023-2025": (0.45, 0.65),
    "2020 crash: months to regain the peak, cap weight": (4.0, 8.0),
    "2020 crash: months to regain the peak, equal weight": (7.0, 11.0),
    "equal minus cap weight 1995-2025, points a year": (0.5, 2.5),
    "equal minus cap weight 2017-2022, points a year": (-6.0, 0.0),
    "information technology share of the top-500 cap at the end": (0.25, 0.45),
    "information technology companies among the 10 largest at the end": (5, 10),
    "daily correlation, top 1,000 and ranks 1,001-3,000": (0.80, 0.93),
}
#: How each history figure is written (:func:`indexsmith.units.display`).
HISTORY_UNITS = {
    "small-cap return 2023-2025": "percent",
    "large-cap return 2023-2025": "percent",
    "2020 crash: months to regain the peak, cap weight": "months",
    "2020 crash: months to regain the peak, equal weight": "months",
    "equal minus cap weight 1995-2025, points a year": "number",
    "equal minus cap weight 2017-2022, points a year": "number",
    "information technology share of the top-500 cap at the end": "percent",
    "information technology companies among the 10 largest at the end": "count",
    "daily correlation, top 1,000 and ranks 1,001-3,000": "number",
}
#: The size buckets the history figures are measured on.
HISTORY_BUCKETS = {
    "large": Bucket(1, 500, "cap"),
    "large equal weight": Bucket(1, 500, "equal"),
    "top 1,000": Bucket(1, 1000, "cap"),
    "small": Bucket(1001, 3000, "cap"),
}
#: The 2020 crash window (the trough in it, the peak before the trough).
CRASH_2020 = ("2020-01-01", "2020-06-30")


def _return(levels: pd.Series, start: str, end: str) -> float:
    """Return from the last close before ``start`` to the last close on or before ``end``."""
    before = levels.loc[: pd.Timestamp(start) - pd.Timedelta(days=1)]
    base = before.iloc[-1] if len(before) else levels.iloc[0]
    return float(levels.loc[:end].iloc[-1] / base - 1.0)


def _annualised(levels: pd.Series, start: str, end: str) -> float:
    window = levels.loc[:end]
    before = levels.loc[: pd.Timestamp(start) - pd.Timedelta(days=1)]
    first = before.index[-1] if len(before) else levels.index[0]
    years = (window.index[-1] - first).days / 365.25
    return float((1 + _return(levels, start, end)) ** (1 / years) - 1)


def history_calibration(market: Market) -> dict[str, float]:
    """The history figures of a market (it must cover 1995-2025, as the full demo does).

    Months to regain the peak run from the 2020 peak to the first close back at it (the
    sources' "regained its previous level in about 6 months"). Equal minus cap weight is
    the difference of annualised total returns of ranks 1-500, equally weighted (reset
    each quarter) and cap weighted. The correlation is of daily returns over the whole
    history.
    """
    levels = bucket_levels(market, HISTORY_BUCKETS)
    large, equal, small = levels["large"], levels["large equal weight"], levels["small"]
    crash = {name: window_drawdown(levels[name], *CRASH_2020) for name in ("large", "large equal weight")}
    daily = levels.pct_change().iloc[1:]
    view = market.view(market.last_session)
    listed = view.securities[~view.securities["security_type"].isin(NOT_COMPANIES)]
    caps = (
        view.company_market_cap(listed.index)
        .groupby(listed["company_id"])
        .first()
        .sort_values(ascending=False)
    )
    technology = (
        listed.groupby("company_id")["sector"].first().reindex(caps.index) == "Information Technology"
    )
    first, last = f"{market.first_session:%Y-%m-%d}", f"{market.last_session:%Y-%m-%d}"

    def months(name: str) -> float:
        episode = crash[name]
        if episode is None or episode["underwater_months"] is None:
            return float("nan")
        return float(episode["underwater_months"])

    return {
        "small-cap return 2023-2025": _return(small, "2023-01-01", "2025-12-31"),
        "large-cap return 2023-2025": _return(large, "2023-01-01", "2025-12-31"),
        "2020 crash: months to regain the peak, cap weight": months("large"),
        "2020 crash: months to regain the peak, equal weight": months("large equal weight"),
        "equal minus cap weight 1995-2025, points a year": 100
        * (_annualised(equal, first, last) - _annualised(large, first, last)),
        "equal minus cap weight 2017-2022, points a year": 100
        * (_annualised(equal, "2017-01-01", "2022-12-31") - _annualised(large, "2017-01-01", "2022-12-31")),
        "information technology share of the top-500 cap at the end": float(
            caps.iloc[:500][technology.iloc[:500]].sum() / caps.iloc[:500].sum()
        ),
        "information technology companies among the 10 largest at the end": float(technology.iloc[:10].sum()),
        "daily correlation, top 1,000 and ranks 1,001-3,000": float(daily["top 1,000"].corr(daily["small"])),
    }
