"""What the demo market is calibrated to: sectors, security types, exchanges, public
S&P 500 anchors of the market factor, crisis windows and the company size profile.

These are the numbers to change to tell another market's story; the generator
(:mod:`indexsmith.demo.generator`) turns them into tables.
"""

from __future__ import annotations

import numpy as np

#: Sector, share of small companies, share of large companies, market beta.
SECTORS = (
    ("Information Technology", 0.11, 0.32, 1.20),
    ("Health Care", 0.17, 0.11, 0.90),
    ("Financials", 0.18, 0.11, 1.10),
    ("Industrials", 0.16, 0.09, 1.05),
    ("Consumer Discretionary", 0.11, 0.10, 1.15),
    ("Consumer Staples", 0.04, 0.06, 0.65),
    ("Energy", 0.05, 0.04, 1.20),
    ("Materials", 0.05, 0.03, 1.05),
    ("Real Estate", 0.07, 0.02, 0.90),
    ("Utilities", 0.03, 0.03, 0.55),
    ("Communication Services", 0.03, 0.09, 1.00),
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
#:
#: From 2023 the market factor (the typical company) takes only :data:`RECENT_SHARE` of
#: the index's rise since 2022-12-30 (in log terms): the rise was carried by the largest
#: companies, which the technology-leadership factor lifts on top. The sources (written
#: in 2025) give large caps about +55% and small caps about +19% since the start of 2023;
#: the demo tells those figures over its window, which ends on 2025-12-31 (the real S&P
#: 500 rose further by then).
RECENT_SHARE = 0.62
RECENT_BASE = ("2022-12-30", 3840)


def _recent(close: float) -> int:
    return round(RECENT_BASE[1] * (close / RECENT_BASE[1]) ** RECENT_SHARE)


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
    ("2020-06-08", 3232),
    ("2020-07-31", 3271),
    ("2020-08-18", 3390),
    ("2020-09-02", 3580),
    ("2020-10-30", 3270),
    ("2020-12-31", 3756),
    ("2021-12-31", 4766),
    ("2022-10-12", 3577),
    RECENT_BASE,
    ("2023-07-31", _recent(4589)),
    ("2023-10-27", _recent(4117)),
    ("2023-12-29", _recent(4770)),
    ("2024-07-16", _recent(5667)),
    ("2024-12-31", _recent(5882)),
    ("2025-02-19", _recent(6144)),
    ("2025-04-08", _recent(4983)),
    ("2025-12-31", _recent(6600)),
)
#: Crisis windows: (first day, last day, volatility multiplier).
CRISES = (
    ("2000-03-24", "2002-10-09", 1.5),
    ("2008-09-01", "2009-03-09", 2.8),
    ("2020-02-20", "2020-03-23", 4.0),
    ("2025-03-01", "2025-04-08", 2.0),
)
#: Moves of the size factor (small minus large, in log points, spread evenly over the
#: window): small caps fall further in crises, lagged the 2020 rebound until the vaccine
#: rally of November 2020, and trailed the AI-led large caps from 2023. Before 2023 the
#: moves net to zero (the rest of the factor's drift is set against them), so decades do
#: not shrink small caps for good.
SIZE_MOVES = (
    ("1995-01-03", "1999-12-31", -0.15),
    ("2000-03-24", "2006-12-29", 0.35),
    ("2008-09-01", "2009-03-09", -0.10),
    ("2020-02-20", "2020-03-23", -0.20),
    ("2020-03-24", "2020-10-30", -0.15),
    ("2020-11-02", "2021-03-12", 0.35),
    ("2017-01-03", "2022-12-30", -0.35),
    ("2023-01-03", "2025-12-31", -0.15),
    ("2025-03-01", "2025-04-08", -0.05),
)
#: Daily volatility of the size factor's noise and its daily persistence (half-life about
#: eight months): small and large caps correlate about 0.85-0.9 day to day, and the noise
#: does not wander over decades.
SIZE_NOISE = (0.0095, 0.9966)
LAGGARDS = 0.5
#: Moves of the technology-leadership factor (log points, spread evenly), on which large
#: information-technology companies load (1 for the largest, falling to 0 for small
#: ones) and the other large companies load -:data:`LAGGARDS` as much: the bubble of the
#: late 1990s and its bust, then the platform and AI era in which technology companies
#: came to lead the market while the old leaders fell back.
LEADERSHIP_MOVES = (
    ("1995-01-03", "2000-03-24", 0.30),
    ("2000-03-27", "2002-10-09", -0.30),
    ("2017-01-03", "2021-12-31", 0.30),
    ("2022-01-03", "2022-12-30", -0.20),
    ("2023-01-03", "2025-12-31", 0.25),
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
