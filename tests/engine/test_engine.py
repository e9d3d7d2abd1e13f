"""The pipeline on hand-made markets: reasons, addition-only screens, point-in-time,
failing components, contract violations, tie-breaks, determinism."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import attrs
import indexsmith
import numpy as np
import pandas as pd
import pytest
from indexsmith import ComponentError, Plugins, Screen, Weighting
from indexsmith.definition import load

from tests.support import monthly_index


def definition(**overrides: Any) -> dict[str, Any]:
    """An equal-weight monthly index of every security priced at least $1."""
    stages: dict[str, Any] = {"universe": [{"use": "min-price", "params": {"min_price": 1.0}}], **overrides}
    return monthly_index(**stages)


# January 2024 has 21 XNYS sessions (1 Jan holiday); February 20 (19 Feb holiday).
JAN, FEB = 21, 20


def test_exclusion_reason_is_recorded(tiny, plugins: Plugins) -> None:
    market = tiny({"AAA": [10.0] * JAN, "BBB": [0.84] * JAN, "CCC": [5.0] * JAN})
    result = indexsmith.build(definition(), market, plugins=plugins)["t"]
    assert result.exclusions[["security_id", "screen", "reason"]].to_dict("records") == [
        {"security_id": "BBB", "screen": "min-price", "reason": "price 0.84 < min_price 1.00"}
    ]
    assert list(result.constituents["security_id"]) == ["AAA", "CCC"]
    assert list(result.constituents["weight"]) == [0.5, 0.5]


def test_addition_screen_exempts_incumbents(tiny, plugins: Plugins) -> None:
    # BBB is a member at the end of January, then falls below $1: as an incumbent it stays
    # when the price screen applies to additions only, and leaves when it applies to all.
    closes = {"AAA": [10.0] * (JAN + FEB), "BBB": [3.0] * JAN + [0.84] * FEB}
    market = tiny(closes)
    screen = {"use": "min-price", "params": {"min_price": 1.0}, "applies_to": "additions"}
    kept = indexsmith.build(definition(universe=[screen]), market, plugins=plugins)["t"]
    assert kept.constituents.groupby("effective_date")["security_id"].apply(list).tolist() == [
        ["AAA", "BBB"],
        ["AAA", "BBB"],
    ]
    dropped = indexsmith.build(definition(), market, plugins=plugins)["t"]
    assert dropped.changes[dropped.changes["change"] == "deletion"][["security_id", "reason"]].to_dict(
        "records"
    ) == [{"security_id": "BBB", "reason": "excluded by min-price: price 0.84 < min_price 1.00"}]


@attrs.frozen(kw_only=True)
class Peek(Screen):
    """Tries to read the close of the last session in the data."""

    def screen(self, view, candidates):  # type: ignore[no-untyped-def]
        return view.close(candidates.index, on=dt.date(2024, 3, 28)).map(lambda p: None)


def test_component_cannot_see_after_rank_date(tiny, plugins: Plugins) -> None:
    market = tiny({"AAA": [10.0] * (JAN + FEB + 19)})
    plugins.add("screen", "peek", Peek)
    with pytest.raises(ComponentError) as info:
        indexsmith.build(definition(universe=[{"use": "peek"}]), market, plugins=plugins)
    assert str(info.value) == (
        "screen 'peek' from plugin 'script:peek' (registered from Python code) failed on review with "
        "rank date 2024-01-31 (effective 2024-01-31): data for 2024-03-28 was asked for, after the as-of "
        "date 2024-01-31; components may only use data known at the rank date"
    )


def test_view_holds_nothing_after_as_of(tiny) -> None:
    market = tiny({"AAA": list(np.arange(1.0, 61.0))})
    view = market.view("2024-01-31")
    # The arrays themselves end at the as-of session: there is nothing later to reach.
    assert len(view._daily) == JAN and view._daily.key.max() == JAN - 1
    assert len(market.daily) == 60
    assert view.sessions[-1] == pd.Timestamp("2024-01-31")
    assert view.close(["AAA"]).iloc[0] == 21.0
    assert view.close_history(["AAA"], 1000).shape == (JAN, 1)


@attrs.frozen(kw_only=True)
class Broken(Weighting):
    mode: str = "raise"

    def weigh(self, view, members):  # type: ignore[no-untyped-def]
        if self.mode == "raise":
            raise ZeroDivisionError("division by zero")
        values = {"nan": [np.nan, 1.0], "negative": [-0.5, 1.5], "sum": [0.5, 0.6]}[self.mode]
        return pd.Series(values, index=members.index)


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        (
            "raise",
            "raised ZeroDivisionError: division by zero on review with rank date 2024-01-31 (effective 2024-01-31)",
        ),
        (
            "nan",
            "broke its contract on review with rank date 2024-01-31 (effective 2024-01-31): weight of AAA is nan; weights must be finite",
        ),
        (
            "negative",
            "broke its contract on review with rank date 2024-01-31 (effective 2024-01-31): weight of AAA is -0.5; weights must be >= 0",
        ),
        (
            "sum",
            "broke its contract on review with rank date 2024-01-31 (effective 2024-01-31): weights sum to 1.1, not 1",
        ),
    ],
)
def test_component_failures_name_component_plugin_and_date(
    tiny, plugins: Plugins, mode: str, message: str
) -> None:
    market = tiny({"AAA": [10.0] * JAN, "BBB": [5.0] * JAN})
    plugins.add("weighting", "broken", Broken)
    spec = definition(weighting={"use": "broken", "params": {"mode": mode}})
    with pytest.raises(ComponentError) as info:
        indexsmith.build(spec, market, plugins=plugins)
    assert (
        str(info.value)
        == f"weighting 'broken' from plugin 'script:broken' (registered from Python code) {message}"
    )


def test_builtin_failure_names_distribution(tiny, plugins: Plugins) -> None:
    market = tiny({"AAA": [10.0] * JAN, "BBB": [5.0] * JAN, "CCC": [5.0] * JAN})
    spec = definition(capping={"use": "single-name", "params": {"max_weight": 0.2}})
    with pytest.raises(ComponentError) as info:
        indexsmith.build(spec, market, plugins=plugins)
    assert str(info.value) == (
        "capping 'single-name' from plugin 'indexsmith_plugins.cappings' (indexsmith 0.1.0) raised "
        "ValueError: 3 members cannot meet max_weight 0.2; at least 5 are needed on review with rank "
        "date 2024-01-31 (effective 2024-01-31)"
    )


def test_ties_break_by_company_then_security(tiny, plugins: Plugins) -> None:
    market = tiny(
        {"ZZZ": [10.0] * JAN, "AAA": [10.0] * JAN, "MMM": [10.0] * JAN, "BIG": [11.0] * JAN},
        company={"ZZZ": "C1", "AAA": "C2", "MMM": "C1", "BIG": "C9"},
    )
    # ZZZ and MMM are two classes of C1: the company's cap is 20M, so both outrank BIG.
    result = indexsmith.build(definition(universe=[]), market, plugins=plugins)["t"]
    ranks = result.constituents.set_index("security_id")["rank"].to_dict()
    assert ranks == {"MMM": 1, "ZZZ": 2, "BIG": 3, "AAA": 4}


def test_same_inputs_give_byte_identical_outputs(demo, plugins: Plugins, tmp_path: Path) -> None:
    first = indexsmith.build("demo-tiers", demo, plugins=plugins).write(tmp_path / "a")
    second = indexsmith.build("demo-tiers", demo, plugins=Plugins(autoload=False)).write(tmp_path / "b")
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    # constituents, changes, exclusions, levels, turnover, trades, adjustments, membership, run.json
    assert len(files) == 3 * 9 + 1  # and the .indexsmith-output marker
    for name in files:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_demo_family_end_to_end(demo, plugins: Plugins) -> None:
    result = indexsmith.build("demo-tiers", demo, plugins=plugins)
    large, small, broad = (result[i].constituents for i in ("demo-large", "demo-small", "demo-broad-equal"))
    reviews = large["effective_date"].unique()
    assert len(reviews) == 12  # third Fridays of Mar/Jun/Sep/Dec 2019-2021
    delisted = demo.securities["delisting_date"].dropna()
    for date in reviews:
        lg, sm, br = (frame[frame["effective_date"] == date] for frame in (large, small, broad))
        # Tiers count companies; a company with two listed share classes brings both. A
        # company that leaves the market between the rank and effective dates is not
        # replaced (Russell-style), so the tiers are short by it.
        counts = tuple(f["company_id"].nunique() for f in (lg, sm, br))
        rank_date = lg["rank_date"].iloc[0]
        left = int(((delisted > rank_date) & (delisted <= date)).sum())
        assert counts[2] == counts[0] + counts[1] and 300 - left <= counts[2] <= 300
        if not left:
            assert counts == (100, 200, 300)
        assert not set(lg["security_id"]) & set(sm["security_id"])
        assert set(br["security_id"]) == set(lg["security_id"]) | set(sm["security_id"])
        for frame in (lg, sm, br):
            assert frame["weight"].sum() == pytest.approx(1, abs=1e-12)
        assert br["weight"].max() <= 0.05 + 1e-12
        assert lg["rank"].max() < sm["rank"].min()
    # Rank 5 sessions before the effective date, on the rank date's data.
    review = result["demo-large"].reviews.iloc[0]
    assert (review["rank_date"], review["announcement_date"], review["effective_date"]) == (
        pd.Timestamp("2019-03-08"),
        pd.Timestamp("2019-03-12"),
        pd.Timestamp("2019-03-15"),
    )
    info = result["demo-large"].run_info
    assert info["data"]["fingerprint"] == demo.fingerprint()
    assert {c["kind"]: c["name"] for c in info["components"]}["weighting"] == "float-cap"
    assert all(c["version"] == indexsmith.__version__ for c in info["components"])


def test_weights_use_the_rank_date_float_cap(demo, plugins: Plugins) -> None:
    methodology = load("demo-tiers", plugins)
    large = indexsmith.build(methodology, demo)["demo-large"].at("2020-06-19")
    view = demo.view("2020-06-12")
    fmc = view.float_market_cap(large["security_id"])
    np.testing.assert_allclose(large["weight"].to_numpy(), (fmc / fmc.sum()).to_numpy(), rtol=1e-12)
