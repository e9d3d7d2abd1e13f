"""A ticker-change action is applied: reviews after its date show the new ticker, and
explain finds the security by it."""

from __future__ import annotations

import indexsmith
from indexsmith import Plugins
from indexsmith.reporting.explain import find_security

from tests.support import monthly_index, tiny_market


def test_reviews_after_a_ticker_change_use_the_new_ticker() -> None:
    closes = {s: [20.0 + i * 0.1 * (k + 1) for i in range(70)] for k, s in enumerate(["A", "B", "C"])}
    market = tiny_market(closes, actions=[(30, "A", "ticker-change", {"new_ticker": "AAA"})])
    change_date = market.corporate_actions["date"].iloc[0]
    result = indexsmith.build(monthly_index("t"), market, plugins=Plugins(autoload=False))
    members = result["t"].constituents
    a = members[members["security_id"] == "A"]
    assert set(a.loc[a["rank_date"] < change_date, "ticker"]) == {"A"}
    assert set(a.loc[a["rank_date"] >= change_date, "ticker"]) == {"AAA"}
    assert find_security(market, "AAA") == "A"
    assert find_security(market, "A") == "A"
