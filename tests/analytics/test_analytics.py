"""Analytics against hand-computed numbers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from indexsmith import analytics


def series(values: list[float], start: str = "2024-01-02") -> pd.Series:
    return pd.Series(values, index=pd.bdate_range(start, periods=len(values)))


def test_performance_and_drawdown_by_hand() -> None:
    # 100 -> 110 -> 99 -> 121: returns +10%, -10%, +22.2%; total +21%. The worst drawdown
    # is 110 -> 99 (-10%), one session down and one session back to the peak.
    levels = series([100.0, 110.0, 99.0, 121.0])
    p = analytics.performance(levels)
    assert p["total_return"] == pytest.approx(0.21)
    r = [0.10, -0.10, 22 / 99]
    mean = sum(r) / 3
    sd = math.sqrt(sum((x - mean) ** 2 for x in r) / 2)
    assert p["annualised_volatility"] == pytest.approx(sd * math.sqrt(252))
    assert p["sharpe"] == pytest.approx(mean * 252 / (sd * math.sqrt(252)))
    assert p["annualised_return"] == pytest.approx(1.21 ** (252 / 3) - 1)
    assert p["max_drawdown"] == pytest.approx(-0.10)
    assert (p["peak"], p["trough"], p["recovery"]) == tuple(levels.index[[1, 2, 3]])
    assert (p["decline_sessions"], p["recovery_sessions"], p["underwater_sessions"]) == (1, 1, 2)


def test_recovery_of_a_crash_in_calendar_months() -> None:
    # Peak 100 on 2020-02-19, trough 66 on 2020-03-23, back to 100 on 2020-08-18: 148 days
    # from trough to recovery = 4.9 months.
    idx = pd.DatetimeIndex(
        ["2020-01-02", "2020-02-19", "2020-03-23", "2020-06-01", "2020-08-18", "2020-12-31"]
    )
    levels = pd.Series([95.0, 100.0, 66.0, 90.0, 100.0, 110.0], index=idx)
    d = analytics.drawdown_in(levels, "2020-03-01", "2020-04-30")
    assert d["max_drawdown"] == pytest.approx(-0.34)
    assert d["recovery"] == pd.Timestamp("2020-08-18")
    assert d["recovery_months"] == round(148 / (365.25 / 12), 1) == 4.9
    still_down = levels.iloc[:4]
    assert analytics.worst_drawdown(still_down)["recovery"] is None


def test_calendar_year_and_rolling_returns() -> None:
    idx = pd.DatetimeIndex(["2019-12-31", "2020-06-30", "2020-12-31", "2021-12-31"])
    levels = pd.Series([100.0, 80.0, 120.0, 90.0], index=idx)
    years = analytics.calendar_year_returns(levels)
    assert years.to_dict() == pytest.approx({2019: 0.0, 2020: 0.20, 2021: -0.25})
    assert analytics.rolling_returns(levels, 2).tolist() == pytest.approx([0.20, 0.125])


def test_relative_statistics() -> None:
    b = series([100.0, 101.0, 99.0, 102.0, 103.0])
    twice = b * 2
    rel = analytics.relative(twice, b)
    assert rel["beta"] == pytest.approx(1.0) and rel["correlation"] == pytest.approx(1.0)
    assert rel["tracking_error"] == pytest.approx(0.0, abs=1e-15)
    assert rel["relative"].tolist() == pytest.approx([1.0] * 5)
    # Returns exactly 1.5x the benchmark's: beta 1.5; the return gap's volatility is half
    # the benchmark's.
    rb = analytics.returns(b)
    levered = pd.Series(100 * np.cumprod(np.r_[1.0, 1 + 1.5 * rb.to_numpy()]), index=b.index)
    rel = analytics.relative(levered, b)
    assert rel["beta"] == pytest.approx(1.5)
    assert rel["tracking_error"] == pytest.approx(0.5 * rb.std() * math.sqrt(252))


def members(rows: list[tuple[str, str, float]], **columns: list[float]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["security_id", "company_id", "weight"])
    for name, values in columns.items():
        frame[name] = values
    frame["sector"] = ["Energy", "Energy", "Utilities", "Utilities", "Energy"][: len(frame)]
    return frame


def test_composition_concentration() -> None:
    # Company weights 0.4, 0.3, 0.2, 0.1 (the last in two share classes): HHI 0.30,
    # effective names 3.33, top 2 = 0.7.
    m = members([("a", "A", 0.4), ("b", "B", 0.3), ("c", "C", 0.2), ("d1", "D", 0.05), ("d2", "D", 0.05)])
    c = analytics.composition(m, top=(2, 5))
    assert (c["securities"], c["companies"]) == (5, 4)
    assert c["herfindahl"] == pytest.approx(0.30)
    assert c["effective_names"] == pytest.approx(1 / 0.30)
    assert (c["top2_weight"], c["top5_weight"]) == pytest.approx((0.7, 1.0))
    assert analytics.sector_weights(m).to_dict() == pytest.approx({"Energy": 0.75, "Utilities": 0.25})


def test_valuation_by_hand() -> None:
    # Caps 100 and 200, equal weights; earnings 10 and -4 -> earnings yield 0.5*0.10 +
    # 0.5*(-0.02) = 0.04 -> P/E 25; book 50 and 100 -> B/P 0.5 -> P/B 2; one of two loses.
    m = members(
        [("a", "A", 0.5), ("b", "B", 0.5)],
        company_market_cap=[100.0, 200.0],
        ttm_net_income=[10.0, -4.0],
        book_equity=[50.0, 100.0],
    )
    v = analytics.valuation(m)
    assert v["pe_harmonic"] == pytest.approx(25.0)
    assert v["pb_harmonic"] == pytest.approx(2.0)
    assert (v["loss_making_count"], v["loss_making_weight"]) == (0.5, 0.5)


def test_overlap_by_count_and_weight() -> None:
    a = members([("x", "X", 0.5), ("y", "Y", 0.5)])
    b = members([("y", "Y", 0.2), ("z", "Z", 0.8)])
    o = analytics.overlap(a, b)
    assert o == pytest.approx(
        {"common_companies": 1, "share_of_first": 0.5, "share_of_second": 0.5, "weight_overlap": 0.2}
    )


def test_size_profile_cap_versus_count() -> None:
    caps = [100.0, 50.0, 20.0, 10.0]
    m = members(
        [(s, s.upper(), w) for s, w in zip("abcd", [0.5, 0.25, 0.15, 0.10], strict=True)],
        company_market_cap=caps,
    )
    table = analytics.size_profile(m, bins=2)
    assert table["weight"].tolist() == pytest.approx([0.75, 0.25])
    assert table["share_of_count"].tolist() == [0.5, 0.5]
    assert table[["largest", "smallest"]].to_numpy().tolist() == [[100.0, 50.0], [20.0, 10.0]]


def test_capacity_two_securities_by_hand() -> None:
    # A $1B fund buys 10% of its value in X and sells 5% in Y: $100M and $50M. X trades $1B
    # a day, Y $100M: 10% and 50% of a day's volume; at a 10% participation limit, 1 and 5
    # days. Y decides: 5 days, so the fund trading it in one day is $1B / 5 = $200M.
    date = pd.Timestamp("2024-03-15")
    trades = pd.DataFrame(
        {"effective_date": [date, date], "security_id": ["X", "Y"], "traded_value": [0.10, -0.05]}
    )
    constituents = pd.DataFrame(
        {"effective_date": [date, date], "security_id": ["X", "Y"], "adv": [1e9, 1e8]}
    )
    cap = analytics.capacity(trades, constituents, fund_size=1e9, participation=0.10).iloc[0]
    assert cap["traded_dollars"] == pytest.approx(150e6)
    assert cap["max_share_of_adv"] == pytest.approx(0.5)
    assert cap["days_to_trade"] == pytest.approx(5.0)
    assert cap["slowest"] == "Y"
    assert cap["capacity_one_day"] == pytest.approx(200e6)


def test_fee_drag_is_the_fee() -> None:
    flat = series([100.0] * 253)  # one year of sessions
    assert analytics.fee_drag(flat, 0.0020) == pytest.approx(1 - (1 - 0.0020 / 252) ** 252, rel=1e-9)
    assert analytics.fee_drag(flat, 0.0003) < analytics.fee_drag(flat, 0.0020)


def test_turnover_by_year() -> None:
    t = pd.DataFrame(
        {
            "effective_date": pd.to_datetime(["2020-03-20", "2020-06-19", "2021-03-19"]),
            "one_way": [0.1, 0.05, 0.2],
        }
    )
    assert analytics.turnover_by_year(t).to_dict() == pytest.approx({2020: 0.15, 2021: 0.2})
