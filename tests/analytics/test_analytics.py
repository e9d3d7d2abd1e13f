"""Analytics against hand-computed numbers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from indexsmith import analytics
from indexsmith.analytics.statistics import STATISTICS, parse_crisis
from indexsmith.errors import OutputError
from indexsmith.units import display


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
    # Caps 100, 200, 50; weights 0.5, 0.3, 0.2; earnings 10, -4, 2.5 -> E/P 0.10, -0.02,
    # 0.05. Positive earnings only (as providers publish): Σw = 0.7, Σ w·E/P = 0.05 + 0.01
    # = 0.06 -> P/E 11.67. With the loss-maker: Σ w·E/P = 0.054 -> P/E 18.52. Book 50,
    # 100, -10 -> B/P 0.5, 0.5 over the positive books: Σw 0.8 / 0.4 -> P/B 2.
    m = members(
        [("a", "A", 0.5), ("b", "B", 0.3), ("c", "C", 0.2)],
        company_market_cap=[100.0, 200.0, 50.0],
        ttm_net_income=[10.0, -4.0, 2.5],
        book_equity=[50.0, 100.0, -10.0],
    )
    v = analytics.valuation(m)
    assert v["pe_harmonic"] == pytest.approx(0.7 / 0.06)
    assert v["pe_with_losses"] == pytest.approx(1 / 0.054)
    assert v["pb_harmonic"] == pytest.approx(2.0)
    assert (v["loss_making_count"], v["loss_making_weight"]) == pytest.approx((1 / 3, 0.3))


def test_crisis_windows_report_their_own_drawdown() -> None:
    # From mid-2007: a 2008 fall of 50% (recovered in 2013), then the 2020 crash: 150 -> 105 (-30%) on
    # 2020-03-23, back at 150 on 2020-08-18. The 2020 window reports -30%: peak
    # 2020-02-19, 181 days to regain it (5.9 months), 148 days from the trough (4.9).
    idx = pd.DatetimeIndex(
        ["2007-06-29", "2007-10-09", "2009-03-09", "2013-03-28", "2020-02-19", "2020-03-23", "2020-08-18"]
    )
    levels = pd.Series([95.0, 100.0, 50.0, 100.0, 150.0, 105.0, 150.0], index=idx)
    crash = analytics.drawdown_in(levels, "2020-01-01", "2020-06-30")
    assert crash is not None
    assert crash["max_drawdown"] == pytest.approx(-0.30)
    assert (crash["peak"], crash["trough"], crash["recovery"]) == tuple(idx[[4, 5, 6]])
    assert crash["underwater_months"] == round(181 / (365.25 / 12), 1) == 5.9
    assert crash["recovery_months"] == 4.9
    gfc = analytics.drawdown_in(levels, "2007-07-01", "2009-06-30")
    assert gfc is not None and gfc["max_drawdown"] == pytest.approx(-0.5)
    assert gfc["peak"] == idx[1]
    assert gfc["underwater_months"] == round((idx[3] - idx[1]).days / (365.25 / 12), 1)
    # A history that starts after the window's start does not report it.
    assert analytics.drawdown_in(levels.loc["2013":], "2007-07-01", "2009-06-30") is None
    assert analytics.drawdown_in(levels, "2020-01-01", "2020-12-31") is None  # ends before it
    # The worst drawdown of the whole series is still 2008's.
    assert analytics.performance(levels)["max_drawdown"] == pytest.approx(-0.5)


def test_trailing_returns_and_volatility() -> None:
    idx = pd.DatetimeIndex(["2014-12-31", "2019-12-31", "2022-12-30", "2023-12-29", "2024-12-31"])
    levels = pd.Series([100.0, 150.0, 120.0, 135.0, 162.0], index=idx)
    # 1 year: from the last close on or before 2023-12-31 (135): 162 / 135 - 1 = 20%.
    assert analytics.trailing(levels, 1)["annualised_return"] == pytest.approx(0.2)
    # 3 years: from 2021-12-31, i.e. the 2019-12-31 close (150): (162 / 150)^(1/3) - 1.
    three = analytics.trailing(levels, 3)
    assert three["annualised_return"] == pytest.approx(1.08 ** (1 / 3) - 1)
    r = [120 / 150 - 1, 135 / 120 - 1, 162 / 135 - 1]
    mean = sum(r) / 3
    assert three["annualised_volatility"] == pytest.approx(
        math.sqrt(sum((x - mean) ** 2 for x in r) / 2) * math.sqrt(252)
    )
    assert analytics.trailing(levels, 5)["annualised_return"] == pytest.approx(1.08 ** (1 / 5) - 1)
    assert analytics.trailing(levels, 10)["annualised_return"] == pytest.approx(1.62 ** (1 / 10) - 1)
    assert analytics.trailing(levels, 20) is None  # shorter than the window


def test_calendar_returns_of_complete_years_only() -> None:
    idx = pd.DatetimeIndex(["2019-06-28", "2019-12-31", "2020-12-31", "2021-06-30"])
    levels = pd.Series([100.0, 110.0, 99.0, 120.0], index=idx)
    assert analytics.calendar_year_returns(levels, complete=True).to_dict() == pytest.approx({2020: -0.1})
    # 2022-12-31 is a Saturday: the year is complete on Friday 2022-12-30.
    later = pd.Series([100.0, 90.0], index=pd.DatetimeIndex(["2021-12-31", "2022-12-30"]))
    assert analytics.calendar_year_returns(later, complete=True).to_dict() == pytest.approx({2022: -0.1})


def test_up_and_down_capture_by_hand() -> None:
    # Benchmark months +10%, -5%, +2%, -10%; index +5%, -10%, +4%, -5%. Up months 1 and 3:
    # sqrt(1.05 x 1.04) - 1 over sqrt(1.10 x 1.02) - 1; down months: the same two
    # returns in another order, so down capture is exactly 1.
    idx = pd.DatetimeIndex(["2023-12-29", "2024-01-31", "2024-02-29", "2024-03-28", "2024-04-30"])
    bench = pd.Series(100 * np.cumprod([1.0, 1.10, 0.95, 1.02, 0.90]), index=idx)
    index = pd.Series(100 * np.cumprod([1.0, 1.05, 0.90, 1.04, 0.95]), index=idx)
    c = analytics.capture(index, bench)
    assert c["up_capture"] == pytest.approx((math.sqrt(1.05 * 1.04) - 1) / (math.sqrt(1.10 * 1.02) - 1))
    assert c["down_capture"] == pytest.approx(1.0)


def test_dividend_yield_from_the_two_levels() -> None:
    idx = pd.DatetimeIndex(["2023-12-29", "2024-06-28", "2024-12-31"])
    tr = pd.Series([100.0, 104.0, 110.0], index=idx)
    pr = pd.Series([100.0, 103.0, 108.0], index=idx)
    assert analytics.dividend_yield(tr, pr) == pytest.approx(110 / 108 - 1)
    assert analytics.dividend_yield(tr.iloc[1:], pr.iloc[1:]) is None  # less than a year


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


def test_fee_drag_is_the_fee_in_basis_points() -> None:
    flat = series([100.0] * 253)  # one year of sessions
    assert analytics.fee_drag(flat, 0.0020) == pytest.approx(1 - (1 - 0.0020 / 252) ** 252, rel=1e-9)
    assert analytics.fee_drag(flat, 0.0003) < analytics.fee_drag(flat, 0.0020)
    # The statistic is in basis points: 1 - (1 - 0.0003/252)^252 = 2.9996 bp -> "3.0 bp".
    fee = next(s for s in STATISTICS if s.name == "fee_drag_3bp")
    facts = type("Facts", (), {"total_return": flat})()
    value = fee.function(facts)
    assert value == pytest.approx(1e4 * (1 - (1 - 0.0003 / 252) ** 252))
    assert (fee.unit, display(value, fee.unit)) == ("bps", "3.0 bp")


def test_display_follows_the_unit() -> None:
    assert display(0.1234, "percent") == "12.3%"
    assert display(13.8, "months") == "13.8"
    assert display(5.0, "months") == "5.0"
    assert display(1.2e12, "money") == "$1.20T"
    assert display(1234, "count") == "1,234"
    assert display(17.04, "number") == "17.04"
    assert display(float("nan"), "percent") == "—"
    assert display(pd.Timestamp("2020-03-23"), "date") == "2020-03-23"


def test_a_user_crisis_window_and_a_bad_one() -> None:
    crisis = parse_crisis("tariffs 2025=2025-02-19..2025-06-30")
    assert (crisis.name, crisis.label, crisis.start, crisis.end) == (
        "crisis_tariffs_2025",
        "tariffs 2025",
        "2025-02-19",
        "2025-06-30",
    )
    assert crisis.statistics()[0].label == "tariffs 2025: drawdown"
    with pytest.raises(
        OutputError, match=r"crisis window 'oops=2025-06-30\.\.2025-02-19' is not LABEL=START\.\.END"
    ):
        parse_crisis("oops=2025-06-30..2025-02-19")


def test_turnover_by_year() -> None:
    t = pd.DataFrame(
        {
            "effective_date": pd.to_datetime(["2020-03-20", "2020-06-19", "2021-03-19"]),
            "one_way": [0.1, 0.05, 0.2],
        }
    )
    assert analytics.turnover_by_year(t).to_dict() == pytest.approx({2020: 0.15, 2021: 0.2})


def test_every_statistic_is_documented_with_its_unit() -> None:
    from pathlib import Path

    from indexsmith.analytics.statistics import CRISES, RELATIVE

    page = (Path(__file__).resolve().parents[2] / "docs" / "analytics.md").read_text(encoding="utf-8")
    for statistic in (*STATISTICS, *CRISES[2].statistics(), *RELATIVE):
        assert f"| {statistic.label.replace('{base}', 'B')} | {statistic.unit} |" in page, statistic.name
