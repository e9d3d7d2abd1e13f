"""Index calculation (methodologies.md §4 and §6) on hand-made markets whose numbers can
be checked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from indexsmith import DataError, Market
from indexsmith.calculation import CalculationOptions, calculate

from tests.support import tiny_market as market


def members(market: Market, reviews: dict[int, dict[str, float]]) -> pd.DataFrame:
    """Constituents: session number -> {security: target weight}."""
    rows = [
        (market.sessions[day], sid, weight, "reconstitution")
        for day, weights in reviews.items()
        for sid, weight in weights.items()
    ]
    return pd.DataFrame(rows, columns=["effective_date", "security_id", "weight", "review"])


def by_day(frame: pd.DataFrame, column: str) -> list[float]:
    return frame[column].tolist()


def test_dow_worked_example_4_3() -> None:
    # Σ P = 5,000 and D = 0.15 -> 33,333.33. X (600) splits 4-for-1 on day 2 -> D 0.1365;
    # after the close of day 3 Y (50) is replaced by Z (400) -> D 0.147. Level unchanged.
    closes = {
        "X": [600.0, 600.0, 150.0, 150.0, 150.0],
        "Y": [50.0] * 5,
        "V": [2000.0] * 5,
        "U": [2350.0] * 5,
        "Z": [400.0] * 5,
    }
    m = market(closes, actions=[(2, "X", "split", {"ratio": 4.0})])
    c = members(
        m, {0: {"X": 0.25, "Y": 0.25, "V": 0.25, "U": 0.25}, 3: {"X": 0.25, "Z": 0.25, "V": 0.25, "U": 0.25}}
    )
    calc = calculate(c, m, CalculationOptions(unit_holdings=True, initial_divisor=0.15))
    assert calc.levels["divisor"].tolist() == pytest.approx([0.15, 0.15, 0.1365, 0.1365, 0.147], rel=1e-12)
    assert calc.levels["price_return"].tolist() == pytest.approx([5000 / 0.15] * 5, rel=1e-12)
    assert calc.events["event"].tolist() == ["split", "membership"]


def test_total_return_worked_example_6_3() -> None:
    # One stock at 100 then 101 with a 0.20 dividend going ex: level 1,000 -> 1,010 and
    # 2 index points of dividend: DTR 1.20%, net (30% withheld) 1.14%.
    m = market({"S": [100.0, 101.0]}, dividends=[(1, "S", 0.20, "regular")])
    calc = calculate(members(m, {0: {"S": 1.0}}), m)
    pr, tr, ntr = (calc.levels[k].to_numpy() for k in ("price_return", "total_return", "net_total_return"))
    assert pr == pytest.approx([1000.0, 1010.0])
    assert tr[1] / tr[0] == pytest.approx(1.012, rel=1e-12)
    assert ntr[1] / ntr[0] == pytest.approx(1.0114, rel=1e-12)


def test_special_dividend_adjusts_the_price_divisor_once() -> None:
    # A pays a 10.00 special on day 2 and drops from 100 to 90; B is flat. The price
    # return does not fall; the total return equals the price return (the special is
    # reinvested through the divisor, not counted twice).
    m = market({"A": [100.0, 100.0, 90.0, 90.0], "B": [100.0] * 4}, dividends=[(2, "A", 10.0, "special")])
    calc = calculate(members(m, {0: {"A": 0.5, "B": 0.5}}), m)
    assert calc.levels["price_return"].tolist() == pytest.approx([1000.0] * 4)
    assert calc.levels["total_return"].tolist() == pytest.approx([1000.0] * 4)
    assert calc.levels["divisor"].iloc[2] == pytest.approx(0.95)  # MV 2,000 -> 1,900 per unit


def test_spin_off_enters_at_zero_and_leaves_at_the_next_review() -> None:
    # P (100) spins off C, one C per two P, on day 2: P falls to 80 and C trades at 40.
    # The level does not move; C is held with half of P's shares until the review on
    # day 3, which does not keep it.
    closes = {"P": [100.0, 100.0, 80.0, 80.0, 80.0], "Q": [50.0] * 5, "C": [None, None, 40.0, 40.0, 40.0]}
    m = market(closes, actions=[(2, "P", "spin-off", {"ratio": 0.5, "new_security_id": "C"})])
    calc = calculate(members(m, {0: {"P": 0.5, "Q": 0.5}, 3: {"P": 0.5, "Q": 0.5}}), m)
    assert calc.levels["price_return"].tolist() == pytest.approx([1000.0] * 5)
    assert calc.levels["divisor"].nunique() == 1
    held = calc.holdings.set_index(["effective_date", "security_id"])["index_shares"]
    assert (
        "C" not in calc.holdings.loc[calc.holdings["effective_date"] == m.sessions[3], "security_id"].tolist()
    )
    assert held.loc[(m.sessions[0], "P")] == pytest.approx(5.0)  # 500 / 100
    sold = calc.trades[calc.trades["security_id"] == "C"]
    assert sold["index_shares_before"].tolist() == pytest.approx([2.5])  # 0.5 x 5 P shares
    assert sold["index_shares_after"].tolist() == [0.0]


def test_cash_acquisition_and_bankruptcy() -> None:
    # T is bought for cash at 60 after the close of day 1 (its last close, 55): the index
    # realises 60. With bankruptcy_at_zero, a bankrupt B is removed at 0 instead.
    closes = {"T": [50.0, 55.0, None, None], "K": [100.0] * 4}
    m = market(closes, actions=[(1, "T", "cash-acquisition", {"cash": 60.0})])
    calc = calculate(members(m, {0: {"T": 0.5, "K": 0.5}}), m)
    # Day 1: 10 T x 60 + 5 K x 100 = 1,100 (not 1,050); then K alone, level unchanged.
    assert calc.levels["price_return"].tolist() == pytest.approx([1000.0, 1100.0, 1100.0, 1100.0])
    assert calc.events["event"].tolist() == ["cash acquisition"]
    m = market(
        {"B": [50.0, 40.0, None], "K": [100.0] * 3}, actions=[(1, "B", "delisting", {"reason": "bankruptcy"})]
    )
    zero = calculate(members(m, {0: {"B": 0.5, "K": 0.5}}), m, CalculationOptions(bankruptcy_at_zero=True))
    assert zero.levels["price_return"].tolist() == pytest.approx([1000.0, 500.0, 500.0])
    last = calculate(members(m, {0: {"B": 0.5, "K": 0.5}}), m)
    assert last.levels["price_return"].tolist() == pytest.approx([1000.0, 900.0, 900.0])


def test_stock_acquisition_moves_shares_to_the_acquirer() -> None:
    # T is bought for 0.5 A per share after day 1; A is a member: A's index shares grow by
    # 0.5 per T share, T leaves, the divisor absorbs only the price mismatch (none here).
    closes = {"T": [50.0, 50.0, None], "A": [100.0] * 3}
    m = market(closes, actions=[(1, "T", "stock-acquisition", {"ratio": 0.5, "acquirer_id": "A"})])
    calc = calculate(members(m, {0: {"T": 0.5, "A": 0.5}}), m)
    assert calc.levels["price_return"].tolist() == pytest.approx([1000.0] * 3)
    assert calc.levels["divisor"].tolist() == pytest.approx([1.0] * 3)


def test_bad_input_names_date_and_security() -> None:
    m = market({"A": [10.0, 10.0, 10.0], "B": [10.0, None, 10.0]})
    with pytest.raises(DataError, match=r"member B has no close on 2024-01-03"):
        calculate(members(m, {0: {"A": 0.5, "B": 0.5}}), m, CalculationOptions(missing_prices="fail"))
    carried = calculate(members(m, {0: {"A": 0.5, "B": 0.5}}), m)
    assert carried.stale.to_dict("records") == [{"date": pd.Timestamp("2024-01-03"), "security_id": "B"}]
    assert carried.levels["price_return"].tolist() == pytest.approx([1000.0] * 3)
    # An acquirer missing from the data is refused when the market loads (issue 18), not
    # only when a member's acquisition is calculated.
    with pytest.raises(
        DataError,
        match=r"acquirer_id 'ZZZ' \(the acquirer of A\) is not in securities at corporate_actions.parquet row 1",
    ):
        market(
            {"A": [10.0, 10.0, None], "B": [10.0] * 3},
            actions=[(1, "A", "stock-acquisition", {"ratio": 1.0, "acquirer_id": "ZZZ"})],
        )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(0.8, 1.25), min_size=30, max_size=30),
    st.lists(st.floats(0.8, 1.25), min_size=30, max_size=30),
    st.sampled_from([2.0, 3.0, 0.5, 0.1, 7.000007]),
    st.integers(1, 29),
    st.lists(st.floats(0.05, 1.0), min_size=3, max_size=3),
)
def test_splits_and_rebalances_never_move_the_level(
    ra: list[float], rb: list[float], ratio: float, split_day: int, raw: list[float]
) -> None:
    # The same economic market twice: once with a split of A on split_day (raw closes
    # divided by the ratio from then on), once without. Reviews on days 0, 10 and 20 set
    # the targets. Levels agree; weights equal targets at each effective close; the level
    # is the same with the old and the new holdings at that close.
    a = 50.0 * np.cumprod(ra)
    b = 20.0 * np.cumprod(rb)
    c = np.full(30, 30.0)
    split = a.copy()
    split[split_day:] /= ratio
    targets = np.array(raw) / np.sum(raw)
    weights = {d: dict(zip("ABC", np.roll(targets, k), strict=True)) for k, d in enumerate((0, 10, 20))}
    plain = market({"A": list(a), "B": list(b), "C": list(c)})
    with_split = market(
        {"A": list(split), "B": list(b), "C": list(c)}, actions=[(split_day, "A", "split", {"ratio": ratio})]
    )
    one = calculate(members(plain, weights), plain)
    two = calculate(members(with_split, weights), with_split)
    np.testing.assert_allclose(two.levels["price_return"], one.levels["price_return"], rtol=1e-12)
    np.testing.assert_allclose(two.levels["total_return"], one.levels["total_return"], rtol=1e-12)
    for day, target in weights.items():
        held = two.holdings[two.holdings["effective_date"] == with_split.sessions[day]].set_index(
            "security_id"
        )
        closes = with_split.view(with_split.sessions[day]).close(held.index)
        value = held["index_shares"] * closes
        np.testing.assert_allclose(
            (value / value.sum()).reindex(list("ABC")), [target[s] for s in "ABC"], rtol=0, atol=1e-12
        )
        level = two.levels.set_index("date").loc[with_split.sessions[day]]
        assert value.sum() / level["divisor"] == pytest.approx(level["price_return"], rel=1e-12)
    # Without dividends the three return series are one.
    np.testing.assert_allclose(two.levels["total_return"], two.levels["price_return"], rtol=1e-12)
    np.testing.assert_allclose(two.levels["net_total_return"], two.levels["price_return"], rtol=1e-12)


def test_turnover_example_6_8_and_drift() -> None:
    # Flat prices: old [0.50, 0.30, 0.20] -> new [0.40, 0.40, 0.20]: one-way 10%.
    m = market({"A": [10.0] * 6, "B": [10.0] * 6, "C": [10.0] * 6})
    calc = calculate(members(m, {0: {"A": 0.5, "B": 0.3, "C": 0.2}, 3: {"A": 0.4, "B": 0.4, "C": 0.2}}), m)
    assert calc.turnover["one_way"].iloc[1] == pytest.approx(0.10, abs=1e-12)
    assert calc.turnover["two_way"].iloc[1] == pytest.approx(0.20, abs=1e-12)
    assert calc.trades["traded_value"].abs().sum() == pytest.approx(0.20, abs=1e-12)
    # A doubles, B flat: 50/50 drifts to 2/3, 1/3 and is reset: 1/6 one way. A 2-for-1
    # split of B on the way trades nothing.
    closes = {"A": [10.0, 10.0, 20.0, 20.0], "B": [10.0, 10.0, 5.0, 5.0]}
    m = market(closes, actions=[(2, "B", "split", {"ratio": 2.0})])
    calc = calculate(members(m, {0: {"A": 0.5, "B": 0.5}, 3: {"A": 0.5, "B": 0.5}}), m)
    assert calc.turnover["one_way"].iloc[1] == pytest.approx(1 / 6, abs=1e-12)


def test_costs_and_fee_give_an_investable_series() -> None:
    # 10 bps per side on a 10% one-way rebalance (20% traded) costs 2 bps of value; a 1%
    # fee accrues daily. Flat prices, so the net series shows only costs and fee.
    m = market({"A": [10.0] * 6, "B": [10.0] * 6, "C": [10.0] * 6})
    c = members(m, {0: {"A": 0.5, "B": 0.3, "C": 0.2}, 3: {"A": 0.4, "B": 0.4, "C": 0.2}})
    calc = calculate(c, m, CalculationOptions(cost_bps=10.0, fee=0.01))
    net = calc.levels["net_of_costs"].to_numpy()
    daily = 1 - 0.01 / 252
    expected = 1000.0 * daily ** np.arange(6)
    expected[3:] *= 1 - 0.20 * 10 / 1e4
    np.testing.assert_allclose(net, expected, rtol=1e-12)
    assert calc.turnover["cost"].iloc[1] == pytest.approx(0.0002)
    assert calc.levels["price_return"].tolist() == pytest.approx([1000.0] * 6)


def test_divisor_that_would_not_be_positive_is_refused() -> None:
    # A "special dividend" worth twice the only member's price would leave a negative
    # market value, so a negative divisor: the data is refused when it loads, before the
    # calculation's own guard could be reached.
    with pytest.raises(DataError) as caught:
        market({"A": [100.0, 100.0, 100.0]}, dividends=[(2, "A", 200.0, "special")])
    assert caught.value.lines() == [
        "dividend amount 200.0 for A on 2024-01-04 is not below the previous close (on the shares after a "
        "split that day) at dividends.parquet row 1 in tiny — check the amount's units and currency; a "
        "distribution worth the whole share is a delisting or an exchange"
    ]


def test_calculation_settings_come_from_the_definition(tiny, plugins) -> None:  # type: ignore[no-untyped-def]
    import indexsmith
    from indexsmith import DefinitionError

    from tests.support import monthly_index

    m = tiny({"A": [10.0] * 45, "B": [20.0] * 45})
    spec = monthly_index(calculation={"fee": 0.01, "base_value": 100.0})
    levels = indexsmith.build(spec, m, plugins=plugins)["t"].levels
    assert levels["price_return"].iloc[0] == 100.0
    assert levels["net_of_costs"].iloc[-1] == pytest.approx(100.0 * (1 - 0.01 / 252) ** (len(levels) - 1))
    spec = monthly_index(calculation={"withholding": 1.5, "missing_prices": "guess"})
    with pytest.raises(DefinitionError) as caught:
        indexsmith.load_definition(spec, plugins)
    message = str(caught.value)
    assert "$.index.calculation.withholding" in message and "$.index.calculation.missing_prices" in message


def test_corporate_action_on_a_session_without_a_price_is_refused() -> None:
    # B has no close on day 2 (a halt), yet a split is dated that day.
    m = market({"A": [10.0] * 4, "B": [10.0, 10.0, None, 5.0]}, actions=[(2, "B", "split", {"ratio": 2.0})])
    with pytest.raises(DataError, match=r"split of member B on 2024-01-04, a session without a price for it"):
        calculate(members(m, {0: {"A": 0.5, "B": 0.5}}), m)
