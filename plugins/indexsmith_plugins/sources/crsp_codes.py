"""The CRSP and SIC codes the ``crsp`` source reads, as tables (docs/sources/crsp.md
prints them). A code that is in none of them is reported, never guessed."""

from __future__ import annotations

import math

#: SHRCD -> security type, for the codes a user may read (``share_codes``). First digit 1:
#: ordinary common shares (second digit 0/1: not further defined, 2: incorporated outside
#: the US, 4/5: closed-end funds, 8: REIT); 31: ADR; 71: units / limited partnership; 73: ETF.
SHARE_TYPES: dict[int, str] = {
    10: "common",
    11: "common",
    12: "common",
    14: "closed-end fund",
    15: "closed-end fund",
    18: "REIT",
    31: "ADR",
    71: "LP",
    73: "ETF",
}
#: Other SHRCD values CRSP uses (certificates, shares of beneficial interest, units...): known,
#: left out, and without a documented security type.
OTHER_SHARE_CODES: frozenset[int] = frozenset(
    {13, 16, 17, 20, 21, 23, 30, 32, 40, 41, 42, 43, 44, 48, 70, 72, 74, 75}
)

#: EXCHCD -> MIC of the primary listing (31-33: when-issued trading; 0, -1, -2: off the
#: three exchanges, halted or suspended: OTC).
EXCHANGES: dict[int, str] = {
    1: "XNYS",
    2: "XASE",
    3: "XNAS",
    4: "ARCX",
    31: "XNYS",
    32: "XASE",
    33: "XNAS",
    0: "OTC",
    -1: "OTC",
    -2: "OTC",
}

#: DLSTCD (exact code first, then its first digit) -> what the delisting is: ``merger``
#: (2xx: the holders receive the deal's value), ``liquidation`` (4xx: they receive the
#: final distributions) or a delisting reason of docs/data.md.
DELISTING: dict[int, str] = {
    2: "merger",
    3: "voluntary",  # exchange: moved to a market the data does not cover
    4: "liquidation",  # the holders receive the final distributions (DLRET)
    5: "listing-standards",  # dropped by the exchange
    570: "voluntary",  # delisted at the company's request
    573: "voluntary",  # went private
    574: "bankruptcy",  # declared bankruptcy
    6: "voluntary",  # expired (warrants, rights, units)
}

#: SIC ranges (inclusive) -> GICS-like sector; the first range that holds a code wins.
SIC_SECTORS: tuple[tuple[int, int, str], ...] = (
    (1300, 1399, "Energy"),
    (2830, 2836, "Health Care"),
    (2840, 2844, "Consumer Staples"),
    (2900, 2999, "Energy"),
    (3570, 3579, "Information Technology"),
    (3630, 3639, "Consumer Discretionary"),
    (3710, 3716, "Consumer Discretionary"),
    (3840, 3851, "Health Care"),
    (4800, 4899, "Communication Services"),
    (5120, 5122, "Health Care"),
    (5400, 5499, "Consumer Staples"),
    (6798, 6798, "Real Estate"),
    (7370, 7379, "Information Technology"),
    (7800, 7899, "Communication Services"),
    (2700, 2799, "Communication Services"),
    (100, 999, "Consumer Staples"),
    (1000, 1499, "Materials"),
    (1500, 1799, "Industrials"),
    (2000, 2199, "Consumer Staples"),
    (2200, 2399, "Consumer Discretionary"),
    (2400, 2699, "Materials"),
    (2800, 2899, "Materials"),
    (3000, 3399, "Materials"),
    (3400, 3499, "Industrials"),
    (3500, 3599, "Industrials"),
    (3600, 3699, "Information Technology"),
    (3700, 3799, "Industrials"),
    (3800, 3899, "Information Technology"),
    (3900, 3999, "Consumer Discretionary"),
    (4000, 4799, "Industrials"),
    (4900, 4999, "Utilities"),
    (5000, 5199, "Industrials"),
    (5200, 5999, "Consumer Discretionary"),
    (6000, 6499, "Financials"),
    (6500, 6599, "Real Estate"),
    (6700, 6799, "Financials"),
    (7000, 7999, "Consumer Discretionary"),
    (8000, 8099, "Health Care"),
    (8100, 8999, "Industrials"),
)


def sector_of_sic(code: float) -> str | None:
    """The sector of a SIC code, or None when the table has none (0, 9xxx: unclassified)."""
    if code is None or (isinstance(code, float) and math.isnan(code)):
        return None
    for low, high, sector in SIC_SECTORS:
        if low <= int(code) <= high:
            return sector
    return None
