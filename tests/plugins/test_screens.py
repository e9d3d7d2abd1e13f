"""Universe screens on hand-made markets, with the reference's worked numbers."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from indexsmith import Market
from indexsmith.frames import UNIVERSE_COLUMNS
from indexsmith_plugins.screens import (
    CapRange,
    CapRangeTable,
    Domicile,
    Liquidity,
    MinFloat,
    MinPrice,
    Profitability,
    Seasoning,
    Sectors,
    SecurityList,
)

from tests.support import tiny_frames


def candidates(market: Market, date: str, incumbents: tuple[str, ...] = ()) -> tuple:  # type: ignore[type-arg]
    view = market.view(date)
    frame = view.securities.loc[:, list(UNIVERSE_COLUMNS)].copy()
    frame["incumbent"] = frame.index.isin(incumbents)
    return view, frame


def reasons(screen, market: Market, date: str, incumbents: tuple[str, ...] = ()) -> dict[str, str]:  # type: ignore[no-untyped-def]
    view, frame = candidates(market, date, incumbents)
    out = screen.screen(view, frame)
    return {sid: reason for sid, reason in out.items() if isinstance(reason, str)}


def test_min_price_incumbent_average_exception(tiny) -> None:  # type: ignore[no-untyped-def]
    # 30 sessions: 25 at $1.20 then 5 at $0.84 -> average 1.14. An incumbent stays on the
    # average; a candidate for addition does not.
    path = [1.20] * 25 + [0.84] * 5
    market = tiny({"INC": path, "NEW": path})
    screen = MinPrice(min_price=1.0, incumbent_average_sessions=30)
    assert reasons(screen, market, "2024-02-13", incumbents=("INC",)) == {
        "NEW": "price 0.84 < min_price 1.00"
    }
    assert reasons(MinPrice(min_price=1.0), market, "2024-02-13", incumbents=("INC",)) == {
        "INC": "price 0.84 < min_price 1.00",
        "NEW": "price 0.84 < min_price 1.00",
    }


def test_min_float_exclusive(tiny) -> None:  # type: ignore[no-untyped-def]
    market = tiny({"A": [10.0], "B": [10.0]}, float_factor={"A": 0.05, "B": 0.06})
    assert reasons(MinFloat(min_float=0.05, exclusive=True), market, "2024-01-02") == {
        "A": "float factor 0.050 <= min_float 0.05"
    }
    assert reasons(MinFloat(min_float=0.05), market, "2024-01-02") == {}


def with_earnings(quarterly: dict[str, list[float]]) -> Market:
    frames = tiny_frames({sid: [10.0] * 5 for sid in quarterly})
    rows = []
    ends = pd.to_datetime(["2023-03-31", "2023-06-30", "2023-09-30", "2023-12-31"])
    for sid, values in quarterly.items():
        for end, value in zip(ends[-len(values) :], values, strict=True):
            # Available the day after the period ends (never before it: that is a look-ahead).
            rows.append((sid, end, end + pd.Timedelta(days=1), value * 1e6, 1e8, 1e9))
    frames["fundamentals"] = pd.DataFrame(
        rows, columns=["security_id", "period_end", "available_date", "net_income", "book_equity", "sales"]
    )
    return Market.from_frames(frames)


def test_profitability_cases_of_3_5() -> None:
    # Case B: -300, -200, +100, +450 ($M) -> sum +50 > 0, latest +450 > 0: eligible.
    # Case C: +300, +200, +100, -10 -> latest quarter negative: fails although the sum is +590.
    market = with_earnings({"B": [-300, -200, 100, 450], "C": [300, 200, 100, -10], "NEW": [50, 60]})
    assert reasons(Profitability(), market, "2024-01-05") == {
        "C": "net income: last 4 quarters 590,000,000, latest -10,000,000",
        "NEW": "fewer than 4 quarters reported",
    }


def test_cap_range_table_case_a_and_dates(tiny) -> None:  # type: ignore[no-untyped-def]
    # S&P ranges (§3.3): from 2025-01-02 >= $20.5B; from 2025-07-01 >= $22.7B with security
    # float cap >= 50% of the minimum ($11.35B). Case A: cap $30.0B, IWF 0.35 -> float cap
    # $10.5B: fails. Case B: cap $25.0B, IWF 0.80 -> passes. SMALL: $21.0B passes only the
    # earlier range.
    table = CapRangeTable(
        ranges=(
            CapRange(start=dt.date(2025, 1, 2), min_cap=20.5e9),
            CapRange(start=dt.date(2025, 7, 1), min_cap=22.7e9),
        ),
        min_float_cap_fraction=0.5,
    )
    market = tiny(
        {"A": [30.0] * 3, "B": [25.0] * 3, "SMALL": [21.0] * 3},
        start="2025-06-27",
        shares={"A": 1e9, "B": 1e9, "SMALL": 1e9},
        float_factor={"A": 0.35, "B": 0.80, "SMALL": 1.0},
    )
    assert reasons(table, market, "2025-06-30") == {}
    assert reasons(table, market, "2025-07-01") == {
        "A": "float cap $10.50B < $11.35B",
        "SMALL": "company market cap $21.00B outside $22.70B-no maximum (range from 2025-07-01)",
    }


def test_liquidity_falr_and_monthly_volume(tiny) -> None:  # type: ignore[no-untyped-def]
    # Price $10, 1M shares, volume 1,000 a day: over 252 sessions $2.52M traded against a
    # $10M float cap -> FALR 0.252 < 0.75. With 10,000 a day: FALR 2.52 passes, but
    # 10,000 x ~21 sessions a month < 250,000 shares.
    frames = tiny_frames({"A": [10.0] * 300, "B": [10.0] * 300}, start="2023-01-03")
    frames["prices"].loc[frames["prices"]["security_id"] == "B", "volume"] = 10_000.0
    market = Market.from_frames(frames)
    got = reasons(Liquidity(), market, "2024-03-01")
    assert got["A"] == "FALR 0.25 < 0.75"
    assert got["B"] == "fewer than 250,000 shares traded in one of the last 6 months"
    assert reasons(Liquidity(min_monthly_volume=0), market, "2024-03-01") == {"A": "FALR 0.25 < 0.75"}


def test_domicile_seasoning_sectors_and_lists(tiny) -> None:  # type: ignore[no-untyped-def]
    market = tiny(
        {"US1": [10.0] * 70, "FIN": [10.0] * 70, "YOUNG": [None] * 60 + [10.0] * 10},
        sector={"FIN": "Financials"},
    )
    last = f"{market.last_session:%Y-%m-%d}"
    assert reasons(Seasoning(min_sessions=63), market, last) == {"YOUNG": "listed 10 sessions < 63"}
    assert reasons(Sectors(exclude=("Financials",)), market, last) == {
        "FIN": "sector Financials not eligible"
    }
    assert reasons(Domicile(), market, last) == {}
    assert reasons(SecurityList(exclude=("FIN",)), market, last) == {"FIN": "on the exclusion list"}
    assert reasons(SecurityList(include=("US1",)), market, last) == {
        "FIN": "not on the inclusion list",
        "YOUNG": "not on the inclusion list",
    }
