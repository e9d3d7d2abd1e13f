"""The embedded demo market: what it contains, that it is deterministic, and (full size)
that it is calibrated to the stylised facts of the US market."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from indexsmith import Market
from indexsmith.cli import cli
from indexsmith.demo import CALIBRATION_DATES, CALIBRATION_TARGETS, calibration, demo_market, export
from indexsmith.demo.calibration import HISTORY_TARGETS, history_calibration
from indexsmith.demo.history import Bucket, bucket_levels

from tests.support import tiny_market


def test_small_market_has_every_kind_of_event(demo_tables: dict[str, pd.DataFrame]) -> None:
    actions = demo_tables["corporate_actions"]
    assert {
        "split",
        "delisting",
        "cash-acquisition",
        "stock-acquisition",
        "spin-off",
        "ticker-change",
    } <= set(actions["action"])
    splits = actions[actions["action"] == "split"]["ratio"]
    assert (splits > 1).any() or (splits < 1).any()
    securities = demo_tables["securities"]
    assert securities["sector"].nunique() == 11
    assert {"XNYS", "XNAS", "OTC"} <= set(securities["exchange"])
    assert {"common", "REIT", "ADR", "preferred", "ETF", "SPAC"} <= set(securities["security_type"])
    assert (securities["country_of_incorporation"] != "US").any()
    # Share classes: some companies have more than one listed line.
    assert securities["company_id"].duplicated().any()
    assert (securities["listing_date"] > securities["listing_date"].min()).any()  # IPOs
    assert set(demo_tables["dividends"]["kind"]) == {"regular", "special"}
    fundamentals = demo_tables["fundamentals"]
    assert (fundamentals["net_income"] < 0).any()
    assert (fundamentals["available_date"] > fundamentals["period_end"]).all()


def test_spin_offs_and_stock_acquisitions_are_consistent(demo: Market) -> None:
    actions = demo.corporate_actions
    listing = demo.securities.set_index("security_id")["listing_date"]
    spins = actions[actions["action"] == "spin-off"]
    # The spun-off company starts trading on the ex-date.
    assert (spins["new_security_id"].map(listing) == spins["date"]).all()
    deals = actions[actions["action"] == "stock-acquisition"]
    delisted = demo.securities.set_index("security_id")["delisting_date"]
    assert (deals["security_id"].map(delisted) == deals["date"]).all()
    assert deals["acquirer_id"].notna().all() and (deals["ratio"] > 0).all()


def test_export_is_byte_identical(tmp_path: Path, demo_tables: dict[str, pd.DataFrame]) -> None:
    export(demo_tables, tmp_path / "a")
    export(demo_tables, tmp_path / "b")
    for path in sorted((tmp_path / "a").iterdir()):
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes(), path.name


def test_cache_is_used_once_generated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo: Market) -> None:
    monkeypatch.setenv("INDEXSMITH_CACHE_DIR", str(tmp_path))
    messages: list[str] = []
    first = demo_market("small", progress=messages.append)
    second = demo_market("small", progress=messages.append)
    assert messages[0].startswith("generating the small demo market")
    assert messages[1].startswith("loading the small demo market from")
    assert first.fingerprint() == second.fingerprint() == demo.fingerprint()


def test_a_worker_loads_the_market_while_another_compiles_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo_tables: dict[str, pd.DataFrame], demo: Market
) -> None:
    # The demo's two build workers open a freshly generated market at once: the one that
    # finds the other compiling it uses the tables it loaded (a cold demo failed here).
    monkeypatch.setenv("INDEXSMITH_CACHE_DIR", str(tmp_path))
    from indexsmith.demo.cache import cache_dir, cache_name
    from indexsmith.demo.generator import DEFAULT_SEED

    folder = cache_dir() / cache_name("small", DEFAULT_SEED)
    export(demo_tables, folder, owned=True)
    lock = folder / ".compiled.lock"
    lock.write_text(f"{os.getppid()}\n", encoding="utf-8")  # a live process holds it
    market = demo_market("small")
    assert market.fingerprint() == demo.fingerprint()
    assert not (folder / "compiled").exists() and lock.read_text(encoding="utf-8").strip() == str(
        os.getppid()
    )
    lock.unlink()
    demo_market("small")  # the next one compiles it
    assert (folder / "compiled" / "meta.json").is_file()


# -- the full market ------------------------------------------------------------------------


@pytest.mark.parametrize("date", CALIBRATION_DATES)
def test_full_market_calibration(full_market: Market, date: str) -> None:
    figures = calibration(full_market, date)
    misses = {
        name: round(value, 3)
        for name, value in figures.items()
        if not CALIBRATION_TARGETS[name][0] <= value <= CALIBRATION_TARGETS[name][1]
    }
    assert not misses, f"outside the targets on {date}: {misses}"


def test_full_market_history_calibration(full_market: Market) -> None:
    # The history the user's sources tell: small caps +10-30% and large caps +45-65% over
    # 2023-2025, the 2020 crash regained in 4-8 months cap-weighted and 7-11 equally
    # weighted, equal weight ahead over three decades and behind over 2017-2022,
    # technology leading at the end, small and large caps correlating 0.80-0.93.
    figures = history_calibration(full_market)
    misses = {
        name: round(value, 3)
        for name, value in figures.items()
        if not HISTORY_TARGETS[name][0] <= value <= HISTORY_TARGETS[name][1]
    }
    assert not misses, f"history outside the targets: {misses}"


def test_size_buckets_are_total_return_indices() -> None:
    # Three companies over four sessions, 10 shares each. A splits 2-for-1 on session 2
    # and pays 1.0 on session 3: 100 -> 110 -> 55 (x 2 = 110, flat) -> 54 (+ 1.0: flat).
    # B: 50 -> 45 -> 45 -> 49.5. C delists after session 1 (20 -> 22) and is held as cash.
    # Caps on the first day 1,000, 500 and 200: cap weights 10/17, 5/17, 2/17; equal 1/3.
    market = tiny_market(
        {"A": [100.0, 110.0, 55.0, 54.0], "B": [50.0, 45.0, 45.0, 49.5], "C": [20.0, 22.0, None, None]},
        shares={"A": 10.0, "B": 10.0, "C": 10.0},
        actions=[(2, "A", "split", {"ratio": 2.0})],
        dividends=[(3, "A", 1.0, "regular")],
    )
    levels = bucket_levels(market, {"cap": Bucket(1, 3, "cap"), "equal": Bucket(1, 3, "equal")})
    growth = {"A": [1.0, 1.1, 1.1, 1.1], "B": [1.0, 0.9, 0.9, 0.99], "C": [1.0, 1.1, 1.1, 1.1]}
    cap = [(10 * a + 5 * b + 2 * c) / 17 for a, b, c in zip(*growth.values(), strict=True)]
    equal = [(a + b + c) / 3 for a, b, c in zip(*growth.values(), strict=True)]
    assert levels["cap"].tolist() == pytest.approx(cap)
    assert levels["equal"].tolist() == pytest.approx(equal)
    # Ranks 2-3 only: B and C.
    two = bucket_levels(market, {"b-c": Bucket(2, 3, "cap")})["b-c"]
    assert two.tolist() == pytest.approx(
        [(5 * b + 2 * c) / 7 for b, c in zip(growth["B"], growth["C"], strict=True)]
    )


def _bucket_return(market: Market, start: str, end: str, ranks: slice, equal: bool) -> float:
    """Buy-and-hold return of a size bucket (ranked by company cap on ``start``)."""
    before = market.view(start)
    listed = before.securities[before.securities["security_type"] == "common"]
    caps = before.company_market_cap(listed.index).sort_values(ascending=False)
    members = caps.index[ranks]
    after = market.view(end)
    alive = members[members.isin(after.securities.index)]
    growth = after.close(alive) / before.close(alive)
    weights = pd.Series(1.0, index=alive) if equal else before.market_cap(alive)
    return float((growth * weights).sum() / weights.sum() - 1)


def test_small_caps_fall_further_in_crises(full_market: Market) -> None:
    for start, end in (("2008-08-29", "2009-03-09"), ("2020-02-19", "2020-03-23")):
        large = _bucket_return(full_market, start, end, slice(0, 500), equal=False)
        small = _bucket_return(full_market, start, end, slice(1000, 3000), equal=True)
        assert large < -0.15
        assert small < large - 0.03, (start, large, small)


def test_large_caps_lead_since_2023(full_market: Market) -> None:
    large = _bucket_return(full_market, "2022-12-30", "2025-12-31", slice(0, 500), equal=False)
    small = _bucket_return(full_market, "2022-12-30", "2025-12-31", slice(1000, 3000), equal=True)
    assert large > small + 0.1, (large, small)


def test_calibration_command_prints_the_table(full_market: Market) -> None:
    result = CliRunner().invoke(cli, ["market", "calibration", "--size", "full"])
    assert result.exit_code == 0, result.output
    assert "top 1,000 share of cap" in result.stdout
    assert "all figures within their targets" in result.stdout
    assert "2020 crash: months to regain the peak, equal weight" in result.stdout
