"""The embedded demo market: what it contains, that it is deterministic, and (full size)
that it is calibrated to the stylised facts of the US market."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from indexsmith import Market
from indexsmith.cli import cli
from indexsmith.demo import CALIBRATION_DATES, CALIBRATION_TARGETS, calibration, demo_market, export


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
