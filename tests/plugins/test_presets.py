"""The shipped presets: listed, valid, buildable alone, and true to their rules on the
full demo market (issue 4's evidence, over 2015-2025 to keep CI short; the benchmark
script ``benchmarks/preset_evidence.py`` runs the whole history)."""

from __future__ import annotations

import datetime as dt
import json

import indexsmith
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from indexsmith import Market, Plugins
from indexsmith.analytics import annualised_turnover
from indexsmith.cli import cli
from indexsmith.definition import load, preset_catalogue, read_preset

START = dt.date(2015, 1, 1)
REQUIRED = {
    "russell-3000e-style", "russell-3000-style", "russell-1000-style", "russell-2000-style",
    "russell-top-200-style", "russell-midcap-style", "russell-2500-style", "russell-microcap-style",
    "russell-1000-value-style", "russell-1000-growth-style", "russell-2000-value-style",
    "russell-2000-growth-style", "russell-1000-equal-weight-style", "crsp-us-total-market-style",
    "crsp-us-mega-cap-style", "crsp-us-large-cap-style", "crsp-us-mid-cap-style", "crsp-us-small-cap-style",
    "crsp-us-micro-cap-style", "sp-500-style", "sp-400-style", "sp-600-style", "sp-1500-style",
    "sp-100-style", "sp-500-equal-weight-style", "nasdaq-100-style", "dow-30-style",
}  # fmt: skip


def companies(frame: pd.DataFrame) -> pd.Series:
    return frame.groupby("effective_date")["company_id"].nunique()


def test_every_required_preset_is_listed_and_valid(plugins: Plugins) -> None:
    catalogue = preset_catalogue()
    assert set(catalogue) >= REQUIRED
    listing = {row["id"]: row for row in json.loads(CliRunner().invoke(cli, ["presets", "--json"]).output)}
    assert listing["russell-2000-style"] == {
        "id": "russell-2000-style",
        "name": "Russell-style 2000",
        "file": "russell-us-style",
        "indices": ["russell-2000-style"],
    }
    assert len(listing["sp-us-style"]["indices"]) == 6
    for preset_id in REQUIRED:
        assert preset_id in listing
        methodology = load(preset_id, plugins)
        assert [i.spec.id for i in methodology.indices] == [preset_id]


def test_a_family_index_builds_alone(demo: Market, plugins: Plugins) -> None:
    # On the small market (about 450 companies) the Russell-style 1000 holds them all.
    result = indexsmith.build("russell-1000-style", demo, plugins=plugins)
    assert list(result.indices) == ["russell-1000-style"]
    c = result["russell-1000-style"].constituents
    assert set(c["review"]) == {"reconstitution", "additions"}  # June plus IPO cycles
    assert c.groupby("effective_date")["weight"].sum().round(12).eq(1).all()


@pytest.fixture(scope="module")
def russell(full_market: Market) -> indexsmith.BuildResult:
    raw, _ = read_preset("russell-us-style")
    keep = {"russell-1000-style", "russell-2000-style", "russell-3000-style"}
    raw["family"]["index"] = [i for i in raw["family"]["index"] if i["id"] in keep]
    return indexsmith.build(raw, full_market, start=START)


def test_russell_style_counts_and_additivity(russell: indexsmith.BuildResult) -> None:
    r1000, r2000, r3000 = (
        russell[i].constituents for i in ("russell-1000-style", "russell-2000-style", "russell-3000-style")
    )
    after = r1000["review"] == "reconstitution"
    assert companies(r1000[after]).between(950, 1050).all()
    assert companies(r2000[r2000["review"] == "reconstitution"]).between(1900, 2100).all()
    for date in r3000["effective_date"].unique():
        large = set(r1000.loc[r1000["effective_date"] == date, "security_id"])
        small = set(r2000.loc[r2000["effective_date"] == date, "security_id"])
        assert large | small == set(r3000.loc[r3000["effective_date"] == date, "security_id"])
        assert not large & small


def test_russell_style_banding_lowers_turnover(russell, full_market: Market) -> None:  # type: ignore[no-untyped-def]
    raw, _ = read_preset("russell-us-style")
    raw["family"]["bucketing"]["params"]["bands"] = []
    raw["family"]["index"] = [
        i for i in raw["family"]["index"] if i["id"] in ("russell-1000-style", "russell-2000-style")
    ]
    unbanded = indexsmith.build(raw, full_market, start=START)
    for index_id in ("russell-1000-style", "russell-2000-style"):
        banded_to = annualised_turnover(russell[index_id].calculation.turnover)
        plain_to = annualised_turnover(unbanded[index_id].calculation.turnover)
        assert banded_to < plain_to


def test_crsp_style_packeting_lowers_turnover(full_market: Market) -> None:
    raw, _ = read_preset("crsp-us-style")
    ids = ("crsp-us-mid-cap-style", "crsp-us-small-cap-style")
    raw["family"]["index"] = [i for i in raw["family"]["index"] if i["id"] in ids]
    packeted = indexsmith.build(raw, full_market, start=START)
    raw["family"]["bucketing"]["params"]["packet"] = 1.0
    whole = indexsmith.build(raw, full_market, start=START)
    for index_id in ids:
        assert annualised_turnover(packeted[index_id].calculation.turnover) < annualised_turnover(
            whole[index_id].calculation.turnover
        )
    split = packeted["crsp-us-mid-cap-style"].constituents
    assert ((split["fraction"] > 0) & (split["fraction"] < 1)).any()  # some companies straddle


@pytest.fixture(scope="module")
def sp(full_market: Market) -> indexsmith.BuildResult:
    return indexsmith.build("sp-us-style", full_market, start=START)


@pytest.fixture(scope="module")
def ndx(full_market: Market) -> indexsmith.IndexResult:
    return indexsmith.build("nasdaq-100-style", full_market, start=START)["nasdaq-100-style"]


@pytest.fixture(scope="module")
def dow(full_market: Market) -> indexsmith.IndexResult:
    return indexsmith.build("dow-30-style", full_market, start=START)["dow-30-style"]


def companies_held(result: indexsmith.IndexResult, market: Market) -> pd.Series:
    """Companies held on every session from the first after the base date, from the
    membership intervals (a spun-off company held until it is dropped is not counted)."""
    intervals = result.membership[~result.membership["entry_reason"].fillna("").str.startswith("spin-off")]
    sessions = market.sessions
    lo = sessions.searchsorted(intervals["entry_date"])
    hi = np.where(
        intervals["exit_date"].isna(),
        len(sessions),
        sessions.searchsorted(intervals["exit_date"].fillna(sessions[-1])),
    )
    codes, names = pd.factorize(intervals["company_id"])
    held = np.zeros((len(names), len(sessions)), dtype=bool)
    for c, a, b in zip(codes, lo, hi, strict=True):
        held[c, a:b] = True
    first = int(sessions.searchsorted(result.levels["date"].iloc[1]))
    return pd.Series(held.sum(axis=0)[first:], index=sessions[first:])


def test_sp_style_targets_overlap_and_addition_rules(sp: indexsmith.BuildResult, full_market: Market) -> None:
    result = sp
    sets = {}
    for index_id, target in (
        ("sp-500-style", 500),
        ("sp-400-style", 400),
        ("sp-600-style", 600),
        ("sp-100-style", 100),
    ):
        c = result[index_id].constituents
        assert companies(c).eq(target).all(), index_id
        sets[index_id] = c.groupby("effective_date")["company_id"].agg(set)
    for date in sets["sp-500-style"].index:
        a, b, c = (sets[i][date] for i in ("sp-500-style", "sp-400-style", "sp-600-style"))
        assert not (a & b or a & c or b & c)
        assert sets["sp-100-style"][date] <= a
    # Every company added from outside the family passed the addition rules on its rank date.
    c = result["sp-1500-style"].constituents
    added = c[(c["change"] == "addition") & ~c["note"].str.startswith("migrated")]
    added = added[added["effective_date"] > added["effective_date"].min()]
    assert len(added) > 100
    for rank_date, rows in added.groupby("rank_date"):
        view = full_market.view(rank_date)
        ids = rows["security_id"]
        assert (view.ttm(ids) > 0).all() and (view.latest_fundamental(ids, "net_income") > 0).all()
        assert (view.float_factor(ids) >= 0.10).all()
        assert (view.sessions_listed(ids) >= 252).all()


def test_nasdaq_and_dow_style(ndx: indexsmith.IndexResult, dow: indexsmith.IndexResult) -> None:
    levels = ndx.levels
    assert levels["date"].iloc[0] == ndx.constituents["effective_date"].min()
    assert levels["price_return"].notna().all() and (levels["divisor"] > 0).all()
    c = ndx.constituents
    assert companies(c[c["review"] == "reconstitution"]).eq(100).all()
    assert set(c["review"]) == {"reconstitution", "rebalance"}
    assert not (c["sector"] == "Financials").any()
    assert c["weight"].max() <= 0.24 + 1e-9
    assert companies(dow.constituents).eq(30).all()
    # One line per company: the most liquid.
    assert dow.constituents.groupby("effective_date")["security_id"].nunique().eq(30).all()


def test_fixed_count_presets_hold_their_count_every_session(
    sp: indexsmith.BuildResult, ndx: indexsmith.IndexResult, dow: indexsmith.IndexResult, full_market: Market
) -> None:
    # Members that leave the market are replaced at the same close (S&P-style committee
    # rules with migrations, Nasdaq-100-style next-ranked, Dow-style next-ranked within the
    # sector limit): the count holds on every session, not only on review dates.
    targets = {"sp-500-style": 500, "sp-400-style": 400, "sp-600-style": 600, "sp-100-style": 100}
    results = {**{k: sp[k] for k in targets}, "nasdaq-100-style": ndx, "dow-30-style": dow}
    targets.update({"nasdaq-100-style": 100, "dow-30-style": 30})
    for index_id, result in results.items():
        counts = companies_held(result, full_market)
        assert counts.min() == counts.max() == targets[index_id], index_id
        assert len(counts) > 2000  # every session from 2015
    replacements = sp["sp-500-style"].changes.query("review == 'replacement' and change == 'addition'")
    assert replacements.groupby(replacements["effective_date"].dt.year).size().min() > 5


def test_nasdaq_style_buffer_keeps_a_company_only_once(ndx: indexsmith.IndexResult) -> None:
    # §5.2: incumbents ranked 101-125 stay only if the buffer did not already keep them at
    # the previous annual reconstitution (the quarterly rebalances in between carry the note).
    c = ndx.constituents[ndx.constituents["review"] == "reconstitution"]
    kept = c[c["note"].fillna("").str.startswith("kept by the incumbent buffer")]
    by_year = kept.groupby("effective_date")["company_id"].agg(set).sort_index()
    assert len(by_year) >= 5 and sum(len(v) for v in by_year) > 5
    for before, after in zip(by_year.iloc[:-1], by_year.iloc[1:], strict=True):
        assert not before & after


def test_cap_weighted_presets_trade_only_what_changed(
    russell: indexsmith.BuildResult, sp: indexsmith.BuildResult
) -> None:
    # Holding float-adjusted shares, a review never reweights a retained member: turnover is
    # additions and deletions, replacements, share/float and fraction changes only.
    for result in (
        *(russell[i] for i in russell.indices),
        *(sp[i] for i in ("sp-500-style", "sp-400-style", "sp-600-style", "sp-1500-style")),
    ):
        turnover = result.calculation.turnover.dropna(subset=["one_way"])
        assert turnover["reweighting"].abs().max() <= 1e-9, result.index_id
        parts = turnover[
            ["additions_deletions", "replacements", "share_float", "fractions", "reweighting"]
        ].sum(axis=1)
        assert (parts - turnover["one_way"]).abs().max() <= 1e-12
    # The equal-weight and capped indices do reweight.
    assert sp["sp-500-equal-weight-style"].calculation.turnover["reweighting"].sum() > 0.5
