"""The documented market-data format: tables, columns, types and what each means.

:data:`SCHEMA` is the source of ``docs/data.md`` (a test keeps them in step) and of the
loader's checks. It imports nothing of indexsmith but attrs.
"""

from __future__ import annotations

import attrs


@attrs.frozen
class Column:
    name: str
    dtype: str  # "str", "date", "float"
    required: bool = True
    help: str = ""


#: Table name -> columns, in documented order. ``docs/data.md`` is generated from this.
SCHEMA: dict[str, tuple[Column, ...]] = {
    "securities": (
        Column("security_id", "str", help="unique key of the listed line"),
        Column("company_id", "str", help="share classes of one company share it"),
        Column("ticker", "str"),
        Column("name", "str"),
        Column("sector", "str", help="one of 11 GICS-like sectors"),
        Column("industry", "str", required=False),
        Column("exchange", "str", help="MIC of the primary listing: XNYS, XNAS, XASE, ARCX, OTC"),
        Column("country_of_incorporation", "str", help="ISO 3166 alpha-2"),
        Column("country_of_headquarters", "str", help="ISO 3166 alpha-2"),
        Column(
            "security_type",
            "str",
            help="common, REIT, ADR, preferred, ETF, closed-end fund, LP, BDC, SPAC, tracking",
        ),
        Column("listing_date", "date", help="first session with a price"),
        Column(
            "delisting_date", "date", required=False, help="last session with a price; empty while listed"
        ),
        Column(
            "currency",
            "str",
            required=False,
            help="ISO 4217 code of the prices and amounts (one currency per market); empty means USD",
        ),
    ),
    "prices": (
        Column("date", "date", help="a session of the market's calendar"),
        Column("security_id", "str"),
        Column("close", "float", help="raw (unadjusted) close, USD"),
        Column("volume", "float", help="shares traded (raw, not split-adjusted)"),
    ),
    "shares": (
        Column("date", "date", help="effective date; the row holds until the next one"),
        Column("security_id", "str"),
        Column("shares_outstanding", "float", help="shares of this line, > 0"),
        Column("float_factor", "float", help="fraction of shares available to investors, 0 < f <= 1"),
    ),
    "dividends": (
        Column("ex_date", "date"),
        Column("security_id", "str"),
        Column("amount", "float", help="cash per share, USD"),
        Column("kind", "str", help="regular or special"),
    ),
    "corporate_actions": (
        Column("date", "date", help="ex or effective date"),
        Column("security_id", "str"),
        Column(
            "action",
            "str",
            help="split, spin-off, cash-acquisition, stock-acquisition, delisting, ticker-change",
        ),
        Column(
            "ratio",
            "float",
            required=False,
            help="split: new shares per old; spin-off and stock acquisition: new shares per share held",
        ),
        Column("cash", "float", required=False, help="cash per share (cash acquisition)"),
        Column("acquirer_id", "str", required=False, help="security_id of the acquirer"),
        Column("new_security_id", "str", required=False, help="security_id of the spun-off company"),
        Column(
            "reason",
            "str",
            required=False,
            help="delisting reason: bankruptcy, acquisition, voluntary, listing-standards",
        ),
        Column("new_ticker", "str", required=False),
    ),
    "security_history": (
        Column(
            "date",
            "date",
            help="first session the values hold (after listing); the row holds until the next one",
        ),
        Column("security_id", "str"),
        Column("ticker", "str", required=False, help="empty: unchanged (so in every column below)"),
        Column("name", "str", required=False),
        Column("sector", "str", required=False),
        Column("industry", "str", required=False),
        Column("exchange", "str", required=False),
        Column("security_type", "str", required=False),
    ),
    "fundamentals": (
        Column("security_id", "str"),
        Column("period_end", "date", help="fiscal quarter end"),
        Column("available_date", "date", help="first date the market could know the figures"),
        Column("net_income", "float", help="quarterly GAAP net income, USD"),
        Column("book_equity", "float", help="book value of common equity at period end, USD"),
        Column("sales", "float", help="quarterly sales, USD"),
    ),
}

REQUIRED_TABLES = ("securities", "prices", "shares")
#: The securities' columns that ``security_history`` changes from a date on (the securities
#: table holds their values at listing).
HISTORY_COLUMNS = ("ticker", "name", "sector", "industry", "exchange", "security_type")

#: The documented values of the securities' classification columns. A definition may
#: declare its own list for a column (``vocabulary = { sector = [...] }``); an exchange may
#: also be any MIC that ``exchange_calendars`` knows (a non-US market's own exchange).
VOCABULARY: dict[str, tuple[str, ...]] = {
    "sector": (
        "Information Technology",
        "Health Care",
        "Financials",
        "Industrials",
        "Consumer Discretionary",
        "Consumer Staples",
        "Energy",
        "Materials",
        "Real Estate",
        "Utilities",
        "Communication Services",
    ),
    "exchange": ("XNYS", "XNAS", "XASE", "ARCX", "OTC"),
    "security_type": (
        "common",
        "REIT",
        "ADR",
        "preferred",
        "ETF",
        "closed-end fund",
        "LP",
        "BDC",
        "SPAC",
        "tracking",
    ),
}
MAX_PROBLEMS = 50
