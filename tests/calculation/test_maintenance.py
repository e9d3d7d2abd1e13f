"""Index maintenance in the calculation (methodologies.md §6.1, §6.4, §6.7, §6.8): holdings
are the state, events between reviews change them, turnover says what caused it. Hand-made
markets whose numbers can be checked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from indexsmith import DataError
from indexsmith.calculation import CalculationOptions, calculate
from indexsmith.calculation.levels import BETWEEN_COLUMNS

from tests.support import tiny_market


def shares_members(m, reviews: dict[int, dict[str, float]], rank_lag: int = 0) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    """Constituents of an index holding shares: session -> {security: index shares}; weights
    are the shares' value at the rank-date close."""
    rows = []
    for day, shares in reviews.items():
        rank = m.sessions[max(day - rank_lag, 0)]
        close = {sid: float(m.view(rank).close([sid]).iloc[0]) for sid in shares}
        total = sum(q * close[sid] for sid, q in shares.items())
        for sid, q in shares.items():
            rows.append((rank, m.sessions[day], sid, q * close[sid] / total, q, q, 1.0, "reconstitution"))
    columns = ["rank_date", "effective_date", "security_id", "weight", "target_shares"]
    columns += ["shares_outstanding", "float_factor", "review"]
    return pd.DataFrame(rows, columns=columns)


HOLD_SHARES = CalculationOptions(holding="shares")


@settings(max_examples=30, deadline=None)
@given(
    paths=st.lists(
        st.lists(st.floats(min_value=5, max_value=500), min_size=41, max_size=41), min_size=2, max_size=5
    ),
    shares=st.lists(st.floats(min_value=1e5, max_value=1e8), min_size=5, max_size=5),
)
def test_a_cap_weighted_index_without_changes_never_trades(
    paths: list[list[float]], shares: list[float]
) -> None:
    # No membership, share or float change: every review trades nothing, and the level is
    # the base times the members' market value over its value on the first effective date.
    names = [f"S{i}" for i in range(len(paths))]
    m = tiny_market(dict(zip(names, paths, strict=True)))
    held = dict(zip(names, shares, strict=False))
    calc = calculate(shares_members(m, {day: held for day in (0, 10, 20, 30)}), m, HOLD_SHARES)
    turnover = calc.turnover.dropna(subset=["one_way"])
    assert len(turnover) == 3
    assert (
        (turnover[["one_way", "additions_deletions", "share_float", "fractions", "reweighting"]] <= 1e-12)
        .all()
        .all()
    )
    value = sum(np.asarray(path) * held[name] for name, path in zip(names, paths, strict=True))
    assert calc.levels["price_return"].to_numpy() == pytest.approx(1000 * value / value[0], rel=1e-10)
    assert (calc.levels["divisor"].nunique()) == 1


def test_a_review_trades_only_what_changed() -> None:
    # A holds 100 shares at 10, B 100 at 30. At the next review B's float-adjusted shares are
    # 150 (an issuance): the index buys 50 B and funds it pro rata; A is not reweighted.
    m = tiny_market({"A": [10.0] * 6, "B": [30.0] * 6})
    c = shares_members(m, {0: {"A": 100.0, "B": 100.0}, 3: {"A": 100.0, "B": 150.0}})
    c.loc[(c["effective_date"] == m.sessions[3]) & (c["security_id"] == "B"), "shares_outstanding"] = 150.0
    calc = calculate(c, m, HOLD_SHARES)
    row = calc.turnover.iloc[1]
    # Weights 0.25/0.75 -> 1000/5500 and 4500/5500: one way = 0.75 - 4500/5500.
    assert row["one_way"] == pytest.approx(4500 / 5500 - 0.75, rel=1e-12)
    assert row["share_float"] == pytest.approx(row["one_way"], rel=1e-12)
    assert row["reweighting"] == row["fractions"] == row["additions_deletions"] == 0
    assert calc.levels["price_return"].tolist() == pytest.approx([1000.0] * 6, rel=1e-12)
    assert calc.holdings.query("effective_date == @m.sessions[3]")["index_shares"].tolist() == [100.0, 150.0]


def test_a_fraction_change_is_its_own_cause() -> None:
    # Packeting moves half of B out (index shares 100 -> 50, float shares unchanged).
    m = tiny_market({"A": [10.0] * 4, "B": [10.0] * 4})
    c = shares_members(m, {0: {"A": 100.0, "B": 100.0}, 2: {"A": 100.0, "B": 50.0}})
    c.loc[(c["effective_date"] == m.sessions[2]) & (c["security_id"] == "B"), "shares_outstanding"] = 100.0
    calc = calculate(c, m, HOLD_SHARES)
    row = calc.turnover.iloc[1]
    assert row["one_way"] == pytest.approx(0.5 - 1 / 3, rel=1e-12)
    assert row["fractions"] == pytest.approx(row["one_way"], rel=1e-12)


@pytest.mark.parametrize(
    ("reference", "sessions", "expected"),
    [
        # Reference prices on the effective date: weights are exactly 1/2 at that close.
        ("effective-date", 0, [0.5, 0.5]),
        # On the rank date (2 sessions earlier, A at 10, B at 10): the same number of shares
        # of each, so at the effective close (A 20, B 10) A weighs 2/3.
        ("rank-date", 0, [2 / 3, 1 / 3]),
        # One session before the effective date (A 15, B 10): shares in the ratio 1/15 : 1/10.
        ("sessions-before", 1, [(20 / 15) / (20 / 15 + 1), 1 / (20 / 15 + 1)]),
    ],
)
def test_weights_are_set_at_the_reference_price(reference: str, sessions: int, expected: list[float]) -> None:
    m = tiny_market({"A": [10.0, 10.0, 10.0, 15.0, 20.0, 20.0], "B": [10.0] * 6})
    rows = [(m.sessions[2], m.sessions[4], sid, 0.5, np.nan, "reconstitution") for sid in ("A", "B")]
    rows += [(m.sessions[1], m.sessions[1], sid, 0.5, np.nan, "reconstitution") for sid in ("A", "B")]
    c = pd.DataFrame(
        rows, columns=["rank_date", "effective_date", "security_id", "weight", "target_shares", "review"]
    )
    options = CalculationOptions(reference_price=reference, reference_sessions=sessions)
    calc = calculate(c, m, options)
    held = calc.holdings[calc.holdings["effective_date"] == m.sessions[4]]
    value = held["index_shares"].to_numpy() * np.array([20.0, 10.0])
    assert (value / value.sum()).tolist() == pytest.approx(expected, rel=1e-12)
    # The level does not jump at the rebalance.
    levels = calc.levels.set_index("date")["price_return"]
    assert levels[m.sessions[5]] == pytest.approx(levels[m.sessions[4]], rel=1e-12)


def test_a_reference_price_before_the_data_is_refused() -> None:
    m = tiny_market({"A": [10.0] * 6, "B": [10.0] * 6})
    c = pd.DataFrame(
        [(m.sessions[0], m.sessions[1], sid, 0.5, "reconstitution") for sid in ("A", "B")],
        columns=["rank_date", "effective_date", "security_id", "weight", "review"],
    )
    with pytest.raises(DataError) as info:
        calculate(
            c, m, CalculationOptions(reference_price="sessions-before", reference_sessions=5), index_id="ew"
        )
    assert str(info.value) == (
        "index 'ew': the reference price of the review effective 2024-01-03 is 5 sessions earlier, before the "
        "market data starts (2024-01-02) at calculation.reference_sessions — use fewer reference sessions, or "
        "start the index later"
    )


def test_a_large_share_change_applies_at_once() -> None:
    # B's shares rise 20% on session 2 (threshold 10%): the index holds 120 B from that
    # close; the divisor keeps the level; the trade is a share/float change.
    m = tiny_market({"A": [10.0] * 5, "B": [10.0] * 5})
    from indexsmith import Market

    frames = {
        "securities": m.securities,
        "prices": pd.DataFrame(
            [(d, s, 10.0, 1000.0) for d in m.sessions for s in ("A", "B")],
            columns=["date", "security_id", "close", "volume"],
        ),
        "shares": pd.DataFrame(
            [
                (m.sessions[0], "A", 100.0, 1.0),
                (m.sessions[0], "B", 100.0, 1.0),
                (m.sessions[2], "B", 120.0, 1.0),
            ],
            columns=["date", "security_id", "shares_outstanding", "float_factor"],
        ),
    }
    m = Market.from_frames(frames, source="tiny")
    c = shares_members(m, {0: {"A": 100.0, "B": 100.0}})
    options = CalculationOptions(holding="shares", share_change_threshold=0.10)
    calc = calculate(c, m, options)
    assert calc.holdings.groupby("effective_date")["index_shares"].apply(list).tolist() == [
        [100.0, 100.0],
        [100.0, 120.0],
    ]
    assert calc.events["event"].tolist() == ["share change"]
    assert calc.levels["price_return"].tolist() == pytest.approx([1000.0] * 5, rel=1e-12)
    row = calc.turnover.iloc[-1]
    assert row["review"] == "share change" and row["share_float"] == pytest.approx(120 / 220 - 0.5, rel=1e-12)
    # Below the threshold nothing moves between reviews.
    quiet = calculate(c, m, CalculationOptions(holding="shares", share_change_threshold=0.25))
    assert quiet.events.empty and len(quiet.turnover) == 1


def test_a_share_change_on_a_session_without_a_price_is_refused() -> None:
    from indexsmith import Market

    m = tiny_market({"A": [10.0, 10.0, None, 10.0], "B": [10.0] * 4})
    frames = {
        "securities": m.securities,
        "prices": pd.DataFrame(
            [(m.sessions[d], "A", 10.0, 1.0) for d in (0, 1, 3)] + [(d, "B", 10.0, 1.0) for d in m.sessions],
            columns=["date", "security_id", "close", "volume"],
        ),
        "shares": pd.DataFrame(
            [
                (m.sessions[0], "A", 100.0, 1.0),
                (m.sessions[0], "B", 100.0, 1.0),
                (m.sessions[2], "A", 200.0, 1.0),
            ],
            columns=["date", "security_id", "shares_outstanding", "float_factor"],
        ),
    }
    m = Market.from_frames(frames, source="tiny")
    c = shares_members(m, {0: {"A": 100.0, "B": 100.0}})
    with pytest.raises(DataError) as info:
        calculate(c, m, CalculationOptions(holding="shares", share_change_threshold=0.10), index_id="x")
    assert str(info.value) == (
        "index 'x': a share change of member A on 2024-01-04, a session without a price for it at shares — "
        "date the share row on a session the security traded"
    )


def test_same_day_special_dividend_spin_off_and_split_apply_in_a_fixed_order() -> None:
    # On session 1 A pays a $2 special dividend, spins off C (one C per A) and splits
    # 2-for-1, all per share held before the open: the divisor falls by the dividend on 100
    # pre-split shares; C enters with 100 shares at price 0; then A's 100 shares become 200.
    closes = {"A": [100.0, 45.0, 45.0], "B": [100.0] * 3, "C": [None, 4.0, 4.0]}
    # Listed in the data in another order: the calculation orders them itself.
    actions = [
        (1, "A", "split", {"ratio": 2.0}),
        (1, "A", "spin-off", {"ratio": 1.0, "new_security_id": "C"}),
    ]
    m = tiny_market(closes, actions=actions, dividends=[(1, "A", 2.0, "special")])
    calc = calculate(shares_members(m, {0: {"A": 100.0, "B": 100.0}}), m, HOLD_SHARES)
    assert calc.events["event"].tolist() == ["special dividend", "spin-off", "split"]
    # MV before: 20,000; the special dividend takes 200 of it: D = D0 * 19,800 / 20,000.
    d0 = calc.levels["divisor"].iloc[0]
    assert calc.events["divisor_after"].iloc[0] == pytest.approx(d0 * 19_800 / 20_000, rel=1e-12)
    # Session 1: A 200 x 45 + B 100 x 100 + C 100 x 4 = 19,400, on the adjusted divisor.
    level = calc.levels.set_index("date")["price_return"]
    assert level[m.sessions[1]] == pytest.approx(19_400 / (d0 * 19_800 / 20_000), rel=1e-12)


def _market_with_shares(closes: dict[str, list[float]], share_rows: list[tuple[int, str, float, float]]):  # type: ignore[no-untyped-def]
    """A tiny market whose share table is given as (session, security, shares, float factor)."""
    from indexsmith import Market

    m = tiny_market(closes)
    frames = {
        "securities": m.securities,
        "prices": pd.DataFrame(
            [(m.sessions[d], s, v, 1000.0) for s, path in closes.items() for d, v in enumerate(path)],
            columns=["date", "security_id", "close", "volume"],
        ),
        "shares": pd.DataFrame(
            [(m.sessions[d], s, q, f) for d, s, q, f in share_rows],
            columns=["date", "security_id", "shares_outstanding", "float_factor"],
        ),
    }
    return m, frames, Market


def test_a_split_between_the_rank_date_and_the_effective_date_scales_the_target_shares() -> None:
    # Ranked on session 1 with 100 A and 100 B; A splits 2-for-1 on session 2 (price 20 ->
    # 10); the review effective on session 3 holds 200 A: nothing trades, the level holds.
    m = tiny_market(
        {"A": [20.0, 20.0, 10.0, 10.0, 10.0], "B": [10.0] * 5},
        actions=[(2, "A", "split", {"ratio": 2.0})],
    )
    c = shares_members(m, {0: {"A": 100.0, "B": 100.0}, 3: {"A": 100.0, "B": 100.0}}, rank_lag=2)
    calc = calculate(c, m, HOLD_SHARES)
    held = calc.holdings[calc.holdings["effective_date"] == m.sessions[3]]
    assert held["index_shares"].tolist() == [200.0, 100.0]
    assert calc.turnover["one_way"].iloc[-1] == pytest.approx(0.0, abs=1e-15)
    assert calc.levels["price_return"].tolist() == pytest.approx([1000.0] * 5, rel=1e-12)
    assert "rebalance" not in calc.events["event"].tolist()


def test_a_share_change_after_the_rank_date_is_not_undone_by_the_review() -> None:
    # B's shares rise 20% on session 3 (threshold 10%), after the rank date (session 2) of
    # the review effective on session 4 that counted 100: the review keeps 120 B.
    m, frames, Market = _market_with_shares(
        {"A": [10.0] * 6, "B": [10.0] * 6},
        [(0, "A", 100.0, 1.0), (0, "B", 100.0, 1.0), (3, "B", 120.0, 1.0)],
    )
    m = Market.from_frames(frames, source="tiny")
    c = shares_members(m, {0: {"A": 100.0, "B": 100.0}, 4: {"A": 100.0, "B": 100.0}}, rank_lag=2)
    options = CalculationOptions(holding="shares", share_change_threshold=0.10)
    calc = calculate(c, m, options)
    assert calc.holdings[calc.holdings["effective_date"] == m.sessions[4]]["index_shares"].tolist() == [
        100.0,
        120.0,
    ]
    review = calc.turnover[calc.turnover["effective_date"] == m.sessions[4]].iloc[-1]
    assert review["one_way"] == pytest.approx(0.0, abs=1e-15)


def test_a_weight_holding_index_applies_large_share_changes_too() -> None:
    # A capped index holds weights; B's shares double between reviews (threshold 10%): its
    # index shares double at that close, the divisor keeps the level (Nasdaq-100-style).
    m, frames, Market = _market_with_shares(
        {"A": [10.0] * 5, "B": [10.0] * 5},
        [(0, "A", 100.0, 1.0), (0, "B", 100.0, 1.0), (2, "B", 200.0, 1.0)],
    )
    m = Market.from_frames(frames, source="tiny")
    c = shares_members(m, {0: {"A": 100.0, "B": 100.0}})
    calc = calculate(c, m, CalculationOptions(share_change_threshold=0.10))
    held = calc.holdings.groupby("effective_date")["index_shares"].apply(list).tolist()
    assert held[1][1] == pytest.approx(2 * held[0][1], rel=1e-12) and held[1][0] == held[0][0]
    assert calc.events["event"].tolist() == ["share change"]
    assert calc.levels["price_return"].tolist() == pytest.approx([1000.0] * 5, rel=1e-12)


def test_a_full_market_cap_index_ignores_float_changes() -> None:
    # share_basis 'outstanding': a float factor falling from 1 to 0.5 is no share change.
    m, frames, Market = _market_with_shares(
        {"A": [10.0] * 5, "B": [10.0] * 5},
        [(0, "A", 100.0, 1.0), (0, "B", 100.0, 1.0), (2, "B", 100.0, 0.5)],
    )
    m = Market.from_frames(frames, source="tiny")
    c = shares_members(m, {0: {"A": 100.0, "B": 100.0}})
    full = calculate(
        c, m, CalculationOptions(holding="shares", share_basis="outstanding", share_change_threshold=0.10)
    )
    assert full.events.empty
    floating = calculate(c, m, CalculationOptions(holding="shares", share_change_threshold=0.10))
    assert floating.events["event"].tolist() == ["share change"]


def test_every_member_leaving_at_one_close_is_replaced_without_a_broken_divisor() -> None:
    # A and B are both acquired at the close of session 2; C and D replace them there. The
    # level is continuous and the replacements hold the index's value.
    m = tiny_market({"A": [10.0, 10.0, 12.0], "B": [10.0, 10.0, 8.0], "C": [5.0] * 5, "D": [20.0] * 5})
    c = shares_members(m, {0: {"A": 100.0, "B": 100.0}})
    between = pd.DataFrame(
        [
            (m.sessions[1], m.sessions[2], "replacement", sid, change, q, q, w)
            for sid, change, q, w in (
                ("A", "deletion", np.nan, np.nan),
                ("B", "deletion", np.nan, np.nan),
                ("C", "addition", 100.0, 0.5),
                ("D", "addition", 100.0, 0.5),
            )
        ],
        columns=list(BETWEEN_COLUMNS),
    )
    calc = calculate(c, m, HOLD_SHARES, between=between)
    level = calc.levels.set_index("date")["price_return"]
    assert level[m.sessions[3]] == pytest.approx(level[m.sessions[2]], rel=1e-12) == 1000.0
    assert calc.holdings[calc.holdings["effective_date"] == m.sessions[2]]["security_id"].tolist() == [
        "C",
        "D",
    ]
    # Without anything bought at that close the calculation says why it cannot go on.
    with pytest.raises(
        DataError, match=r"every member left at the close of 2024-01-04 \(delisting of B last\)"
    ):
        calculate(
            shares_members(m, {0: {"A": 100.0, "B": 100.0}, 3: {"A": 100.0, "B": 100.0}}),
            m,
            HOLD_SHARES,
            index_id="x",
        )
