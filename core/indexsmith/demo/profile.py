"""What the demo market is calibrated to: sectors, security types, exchanges, public
S&P 500 anchors of the market factor, crisis windows and the company size profile.

These are the numbers to change to tell another market's story; the generator
(:mod:`indexsmith.demo.generator`) turns them into tables.
"""

from __future__ import annotations

import numpy as np

#: Sector, share of small companies, share of large companies, market beta.
SECTORS = (
    ("Information Technology", 0.11, 0.20, 1.20),
    ("Health Care", 0.17, 0.12, 0.90),
    ("Financials", 0.18, 0.13, 1.10),
    ("Industrials", 0.16, 0.10, 1.05),
    ("Consumer Discretionary", 0.11, 0.11, 1.15),
    ("Consumer Staples", 0.04, 0.07, 0.65),
    ("Energy", 0.05, 0.05, 1.20),
    ("Materials", 0.05, 0.04, 1.05),
    ("Real Estate", 0.07, 0.03, 0.90),
    ("Utilities", 0.03, 0.05, 0.55),
    ("Communication Services", 0.03, 0.10, 1.00),
)
SECURITY_TYPES = (
    ("common", 0.855),
    ("REIT", 0.04),
    ("ADR", 0.03),
    ("preferred", 0.015),
    ("ETF", 0.015),
    ("closed-end fund", 0.01),
    ("LP", 0.01),
    ("BDC", 0.005),
    ("SPAC", 0.015),
    ("tracking", 0.005),
)
EXCHANGES = (("XNAS", 0.50), ("XNYS", 0.40), ("XASE", 0.04), ("ARCX", 0.03), ("OTC", 0.03))
FOREIGN = ("KY", "BM", "IE", "NL", "GB", "CA", "IL", "CN", "CH", "JP")

#: Public S&P 500 closing levels used as anchors for the demo's market factor (the
#: synthetic market passes through the same ups and downs; nothing else is real).
MARKET_ANCHORS = (
    ("1995-01-03", 459),
    ("1998-07-17", 1187),
    ("1998-10-08", 960),
    ("2000-03-24", 1527),
    ("2001-09-21", 966),
    ("2002-10-09", 777),
    ("2007-10-09", 1565),
    ("2009-03-09", 677),
    ("2011-04-29", 1364),
    ("2011-10-03", 1099),
    ("2015-05-21", 2131),
    ("2016-02-11", 1829),
    ("2018-09-20", 2931),
    ("2018-12-24", 2351),
    ("2020-02-19", 3386),
    ("2020-03-23", 2237),
    ("2021-12-31", 4766),
    ("2022-10-12", 3577),
    ("2024-12-31", 5882),
    ("2025-04-08", 4983),
    ("2025-12-31", 6600),
)
#: Crisis windows: (first day, last day, volatility multiplier, size-factor drift per day).
CRISES = (
    ("2000-03-24", "2002-10-09", 1.5, 0.0),
    ("2008-09-01", "2009-03-09", 2.8, -0.0008),
    ("2020-02-20", "2020-03-23", 4.0, -0.004),
    ("2025-03-01", "2025-04-08", 2.0, -0.002),
)
#: Company size at rank k (USD billions at the first market anchor's level), log-linear
#: in log(rank) between these points; calibrated so that the targets in
#: :data:`CALIBRATION_TARGETS` hold.
SIZE_PROFILE = (
    (1, 560.0),
    (3, 380.0),
    (5, 275.0),
    (20, 56.0),
    (100, 13.0),
    (250, 6.8),
    (500, 3.6),
    (1000, 1.1),
    (1500, 0.38),
    (2000, 0.23),
    (3000, 0.19),
    (4000, 0.17),
    (4500, 0.15),
)


def size_profile(ranks: np.ndarray) -> np.ndarray:
    """Company size in USD at the given (possibly fractional) ranks, at the base level."""
    k, cap = np.array(SIZE_PROFILE, dtype=float).T
    return np.exp(np.interp(np.log(ranks), np.log(k), np.log(cap * 1e9)))


def smallness_of(cap: np.ndarray) -> np.ndarray:
    """0 for the largest companies, 1 for micro caps."""
    return np.clip((np.log(2e11) - np.log(np.maximum(cap, 1.0))) / np.log(2e11 / 2e7), 0, 1)
