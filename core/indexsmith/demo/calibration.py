"""How the demo market compares with the US market: the calibration figures and their
target bands (``indexsmith market calibration``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from indexsmith.data.market import Market
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
    companies = listed[~listed["security_type"].isin(["ETF", "closed-end fund", "preferred"])]
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
