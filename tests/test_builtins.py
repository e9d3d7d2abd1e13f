"""Built-in components against worked examples (methodologies.md) and invariants."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from conftest import monthly_index
from hypothesis import given, settings
from hypothesis import strategies as st
from indexsmith import get_calendar
from indexsmith_plugins.bucketings import CountTiers, Tier
from indexsmith_plugins.cappings import cap_weights
from indexsmith_plugins.schedules import Monthly, NthWeekday


def test_single_name_cap_worked_example_6_6() -> None:
    # methodologies.md §6.6: [40, 25, 15, 10, 5, 5] capped at 20% -> [20, 20, 20, 20, 10, 10].
    # Step 1 caps 40 and 25 and spreads 25 pro rata over [15, 10, 5, 5] -> 25.7143 for the
    # third name, which step 2 caps in turn.
    capped = cap_weights(np.array([40, 25, 15, 10, 5, 5]) / 100, 0.20)
    np.testing.assert_allclose(capped * 100, [20, 20, 20, 20, 10, 10], rtol=0, atol=1e-12)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.floats(min_value=1e-6, max_value=1e6), min_size=1, max_size=60),
    st.floats(min_value=0.01, max_value=1.0),
)
def test_capping_invariants(raw: list[float], max_weight: float) -> None:
    weights = np.array(raw) / np.sum(raw)
    if len(weights) * max_weight < 1 - 1e-9:
        return  # infeasible: refused by SingleNameCap before the algorithm runs
    capped = cap_weights(weights, max_weight)
    assert capped.sum() == pytest.approx(1.0, abs=1e-9)
    assert (capped <= max_weight + 1e-9).all()
    assert (capped >= 0).all()
    # Names below the cap keep their relative sizes (pro-rata redistribution).
    free = capped < max_weight - 1e-9
    if free.sum() >= 2:
        ratio = capped[free] / weights[free]
        np.testing.assert_allclose(ratio, ratio[0], rtol=1e-9)


def test_count_tiers_follow_company_ranks() -> None:
    ranked = pd.DataFrame(
        {"company_id": ["C1", "C1", "C2", "C3", "C4", "C5"]},
        index=pd.Index(["A1", "A2", "B", "C", "D", "E"], name="security_id"),
    )
    tiers = CountTiers(tiers=(Tier(name="large", count=2), Tier(name="small", count=2)))
    out = tiers.assign(None, ranked, pd.DataFrame())  # type: ignore[arg-type]
    # Both share classes of C1 go with their company; C5 is past the last tier.
    assert out.set_index("security_id")["bucket"].to_dict() == {
        "A1": "large",
        "A2": "large",
        "B": "large",
        "C": "small",
        "D": "small",
    }


@given(st.lists(st.integers(min_value=1, max_value=50), min_size=1, max_size=5), st.integers(0, 300))
def test_count_tiers_partition(counts: list[int], n: int) -> None:
    ranked = pd.DataFrame(
        {"company_id": [f"C{i:04d}" for i in range(n)]}, index=[f"S{i:04d}" for i in range(n)]
    )
    tiers = CountTiers(tiers=tuple(Tier(name=f"t{i}", count=c) for i, c in enumerate(counts)))
    out = tiers.assign(None, ranked, pd.DataFrame())  # type: ignore[arg-type]
    assert len(out) == min(n, sum(counts))
    assert out["security_id"].is_unique
    sizes = out.groupby("bucket").size().reindex([f"t{i}" for i in range(len(counts))], fill_value=0)
    expected = np.diff(np.minimum(np.cumsum([0, *counts]), n))
    assert sizes.tolist() == expected.tolist()


def test_quarterly_third_friday_on_xnys() -> None:
    reviews = NthWeekday().reviews(get_calendar("XNYS"), dt.date(2024, 1, 1), dt.date(2025, 12, 31))
    assert [f"{d:%Y-%m-%d}" for d in reviews["effective_date"]] == [
        "2024-03-15",
        "2024-06-21",
        "2024-09-20",
        "2024-12-20",
        "2025-03-21",
        "2025-06-20",
        "2025-09-19",
        "2025-12-19",
    ]
    # Ranked five sessions before: Friday 2024-03-08; announced three sessions before.
    first = reviews.iloc[0]
    assert (first["rank_date"], first["announcement_date"]) == (
        pd.Timestamp("2024-03-08"),
        pd.Timestamp("2024-03-12"),
    )


def test_holiday_rolls_back_to_previous_session() -> None:
    # Good Friday 2024-03-29 is the last Friday of March; XNYS is closed that day.
    schedule = NthWeekday(months=(3,), weekday=4, n=-1, rank_lag_sessions=0, announce_lag_sessions=0)
    reviews = schedule.reviews(get_calendar("XNYS"), dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    assert list(reviews["effective_date"]) == [pd.Timestamp("2024-03-28")]


def test_monthly_uses_last_session() -> None:
    reviews = Monthly(rank_lag_sessions=0, announce_lag_sessions=0).reviews(
        get_calendar("XNYS"), dt.date(2024, 3, 1), dt.date(2024, 6, 30)
    )
    # 2024-03-29 is Good Friday; 2024-06-29/30 a weekend.
    assert [f"{d:%Y-%m-%d}" for d in reviews["effective_date"]] == [
        "2024-03-28",
        "2024-04-30",
        "2024-05-31",
        "2024-06-28",
    ]


def test_russell_banding_worked_example_1_6() -> None:
    # methodologies.md §1.6: B = C[1000] = 93.10% -> band [90.60%, 95.60%]. Tiers: 0 = R1000
    # (ranks 1-1000), 1 = R2000 (1001-3000). Rows: X, Y, Z, W, N, M.
    from indexsmith_plugins.bucketings import band_tiers

    rank = np.array([1048, 1190, 962, 905, 995, 1010])
    position = np.array([93.55, 95.70, 92.70, 90.40, 93.0, 93.2])
    prior = np.array([0, 0, 1, 1, np.nan, np.nan])
    rank_tier = np.searchsorted([1000, 3000], rank, side="left")
    tiers = band_tiers(rank_tier, position, prior, np.array([93.10, 99.0]), np.array([2.5, np.nan]))
    assert tiers.tolist() == [
        0,  # X stays R1000: C 93.55 <= 95.60
        1,  # Y moves to R2000: C 95.70 > 95.60
        1,  # Z stays R2000: C 92.70 >= 90.60
        0,  # W moves to R1000: C 90.40 < 90.60
        0,  # N new, rank 995
        1,  # M new, rank 1010
    ]
    # Count identity: 1000 - (R2000 incumbents ranked <= 1000 that stay, like Z) + (R1000
    # incumbents ranked > 1000 that stay, like X); W and Y end on their own side.
    assert int((tiers == 0).sum() - (rank_tier == 0).sum()) == 1 - 1


def test_band_edges_are_inclusive_and_multi_tier() -> None:
    from indexsmith_plugins.bucketings import band_tiers

    # Exactly on the band edge stays. A company that fell two tiers leaves the first band and
    # stops at the next band that holds it (86.0 <= 85 + 2.5), or falls through both (90.0).
    edge_share = np.array([70.0, 85.0, 98.0])
    band = np.array([2.5, 2.5, np.nan])
    tiers = band_tiers(
        np.array([1, 2, 2, 2]), np.array([72.5, 87.5, 86.0, 90.0]), np.array([0, 1, 0, 0]), edge_share, band
    )
    assert tiers.tolist() == [0, 1, 1, 2]
    # Upwards the same way; a breakpoint without a band (NaN) is crossed freely.
    assert band_tiers(
        np.array([0, 1]), np.array([67.6, 84.0]), np.array([1, 2]), edge_share, band
    ).tolist() == [1, 2]
    assert band_tiers(np.array([1]), np.array([90.0]), np.array([np.nan]), edge_share, band).tolist() == [1]


def test_count_tiers_band_keeps_incumbents_on_a_market(tiny) -> None:  # type: ignore[no-untyped-def]
    import indexsmith

    # Ten companies with caps 10..1 ($M); tiers of 3 and 7 with a 15-point band at rank 3.
    # D ranks 1st in January and 4th in February; C moves from 4th to 3rd. In February the
    # cumulative cap at rank 3 is 49.09%: D (61.82% <= 64.09%) stays in "top" and C
    # (49.09% >= 34.09%) stays in "rest", as incumbents do inside a band.
    closes = {f"{c}": [float(10 - i)] * 44 for i, c in enumerate("ABCDEFGHIJ")}
    closes["D"] = [11.0] * 21 + [7.0] * 23  # D ranks 1st in January, 4th in February
    market = tiny(closes)
    spec = monthly_index(
        bucketing={
            "use": "count-tiers",
            "params": {
                "tiers": [{"name": "top", "count": 3}, {"name": "rest", "count": 7}],
                "bands": [{"rank": 3, "width": 15.0}],
            },
        },
        buckets=["top"],
        weighting={"use": "equal"},
    )
    result = indexsmith.build(spec, market, plugins=indexsmith.Plugins(autoload=False))["t"]
    by_review = result.constituents.groupby("effective_date")["security_id"].apply(sorted).tolist()
    assert by_review == [["A", "B", "D"], ["A", "B", "D"]]
    kept = result.constituents[
        result.constituents["effective_date"] == result.constituents["effective_date"].max()
    ]
    assert kept.set_index("security_id").loc["D", "rank"] == 4
    assert (
        kept.set_index("security_id").loc["D", "note"]
        == "kept in top by the band: cumulative cap 61.82% (rank 4)"
    )
    spec["index"]["bucketing"]["params"]["bands"] = []
    plain = indexsmith.build(spec, market, plugins=indexsmith.Plugins(autoload=False))["t"]
    assert plain.constituents.groupby("effective_date")["security_id"].apply(sorted).tolist() == [
        ["A", "B", "D"],
        ["A", "B", "C"],
    ]


def test_crsp_packeting_worked_example_2_8() -> None:
    # methodologies.md §2.8: Mid/Small boundary 85% with band [82.5, 87.5]; Q starts wholly
    # in Mid (segment 0 here, Small = 1). Positions per quarter and the state after each.
    from indexsmith_plugins.bucketings import packet_step

    low, high = np.array([82.5]), np.array([87.5])
    segment, lower = np.array([0]), np.array([0.0])
    states = []
    for position in (84.0, 88.3, 86.0, 89.1, 81.9):
        segment, lower = packet_step(segment, lower, np.array([position]), low, high, 0.5)
        # Fraction of Q's float shares held in Small (the table's s).
        states.append(float(lower[0]) if segment[0] == 0 else 1.0 - 0.0 * lower[0])
    assert states == [0.0, 0.5, 0.5, 1.0, 0.5]
    # Mid/Small shares of 100M float shares after each quarter: 100/0, 50/50, 50/50, 0/100, 50/50.


def test_cumulative_bands_on_a_market(tiny) -> None:  # type: ignore[no-untyped-def]
    import indexsmith

    # Four companies (caps in $M). Segments "top" (cumulative <= 70%) and "rest", band [60, 80].
    # January: A 40, B 30, C 20, D 10 -> cumulative 40, 70, 90, 100: A and B in top.
    # February: B falls to 14 -> A 47.6, C 71.4, B 88.1, D 100. B is beyond 80: one packet
    #   (half) moves to rest. C, an incumbent of rest at 71.4, is inside the band: it stays.
    # March: B falls to 5 -> A 53.3, C 80.0, D 93.3, B 100: the second packet moves.
    closes = {
        "A": [40.0] * 62,
        "B": [30.0] * 21 + [14.0] * 20 + [5.0] * 21,
        "C": [20.0] * 62,
        "D": [10.0] * 62,
    }
    market = tiny(closes)
    spec = monthly_index(
        bucketing={
            "use": "cumulative-bands",
            "params": {
                "segments": [{"name": "top", "upper": 70}, {"name": "rest", "upper": 100}],
                "bands": [{"at": 70, "low": 60, "high": 80}],
            },
        },
        buckets=["top"],
        weighting={"use": "cap"},
    )
    result = indexsmith.build(spec, market, plugins=indexsmith.Plugins(autoload=False))["t"]
    table = result.constituents.pivot_table(index="effective_date", columns="security_id", values="fraction")
    assert list(table.columns) == ["A", "B"]
    assert table.fillna(0).to_numpy().tolist() == [[1.0, 1.0], [1.0, 0.5], [1.0, 0.0]]
    # Without the band, packeting still moves B half at a time (the two are separate rules).
    spec["index"]["bucketing"]["params"]["bands"] = []
    unbanded = indexsmith.build(spec, market, plugins=indexsmith.Plugins(autoload=False))["t"]
    assert unbanded.constituents.groupby("effective_date")["fraction"].sum().tolist() == [2.0, 1.5, 1.0]


def test_two_level_cap_worked_example_5_4() -> None:
    # methodologies.md §5.4: A 26, B 14, C 9, D 6 and 20 names at 2.25% (45%).
    from indexsmith_plugins.cappings import two_level_cap

    weights = np.array([26, 14, 9, 6] + [2.25] * 20) / 100
    capped = two_level_cap(weights, 0.24, 0.20, 0.045, 0.48, 0.40) * 100
    np.testing.assert_allclose(capped[:4], [15.5789, 11.7895, 7.5789, 5.0526], atol=5e-5)
    np.testing.assert_allclose(capped[4:], 3.0, atol=1e-9)
    assert capped.sum() == pytest.approx(100, abs=1e-9)
    # Not triggered: unchanged.
    calm = np.array([20, 15, 10] + [55 / 20] * 20) / 100
    np.testing.assert_array_equal(two_level_cap(calm, 0.24, 0.20, 0.045, 0.48, 0.40), calm)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=1e-4, max_value=1.0), min_size=30, max_size=120))
def test_two_level_cap_invariants(raw: list[float]) -> None:
    from indexsmith_plugins.cappings import two_level_cap

    weights = np.array(raw) / np.sum(raw)
    capped = two_level_cap(weights, 0.24, 0.20, 0.045, 0.48, 0.40)
    assert capped.sum() == pytest.approx(1.0, abs=1e-9)
    assert (capped >= 0).all()
    assert capped.max() <= max(0.24, weights.max()) + 1e-9
    if weights.max() > 0.24 or weights[weights > 0.045].sum() > 0.48:
        # No name stays above the trigger; the names above 4.5% hold at most 48%.
        assert capped.max() <= 0.24 + 1e-9
        assert capped[capped > 0.045 + 1e-9].sum() <= 0.48 + 1e-9


def test_top_with_buffer_keeps_an_incumbent_once(tiny) -> None:  # type: ignore[no-untyped-def]
    import indexsmith

    # Top 3 with a buffer to rank 5. January: A B C D E F by size -> A, B, C. C then falls to
    # rank 5: in February the buffer keeps it (it was in the top 3); in March it has used
    # the buffer, so it leaves and D, the largest other company, fills the vacancy.
    days = 21 + 20 + 20
    closes = {c: [float(10 - i)] * days for i, c in enumerate("ABCDEF")}
    closes["C"] = [8.0] * 21 + [5.5] * 40
    market = tiny(closes)
    spec = monthly_index(
        bucketing={"use": "top-with-buffer", "params": {"count": 3, "buffer_rank": 5}},
        weighting={"use": "equal"},
    )
    result = indexsmith.build(spec, market, plugins=indexsmith.Plugins(autoload=False))["t"]
    members = result.constituents.groupby("effective_date")["security_id"].apply(sorted).tolist()
    assert members == [["A", "B", "C"], ["A", "B", "C"], ["A", "B", "D"]]
    february = result.constituents[result.constituents["effective_date"] == "2024-02-29"].set_index(
        "security_id"
    )
    assert february.loc["C", "note"] == "kept by the incumbent buffer (rank 5)"
    deletions = result.changes[result.changes["change"] == "deletion"]
    assert deletions[["security_id", "reason"]].to_dict("records") == [
        {"security_id": "C", "reason": "rank 5 in no bucket"}
    ]


def test_russell_annual_calendar_1_3() -> None:
    # methodologies.md §1.3 (published dates): effective after the close of the fourth Friday
    # of June; rank day the last trading day of May, then of April from 2023; a December
    # reconstitution from 2026 (rank 30 Oct, effective 11 Dec). 2016 and 2018 ranked on
    # published exception days.
    from indexsmith_plugins.schedules import RankDayOverride, RussellAnnual

    schedule = RussellAnnual(
        rank_day_overrides=(
            RankDayOverride(year=2016, rank_date=dt.date(2016, 5, 27)),
            RankDayOverride(year=2018, rank_date=dt.date(2018, 5, 11)),
        )
    )
    reviews = schedule.reviews(get_calendar("XNYS"), dt.date(2007, 1, 1), dt.date(2026, 12, 31))
    by_effective = {f"{r.effective_date:%Y-%m-%d}": f"{r.rank_date:%Y-%m-%d}" for r in reviews.itertuples()}
    assert {
        k: by_effective[k] for k in ("2016-06-24", "2018-06-22", "2023-06-23", "2024-06-28", "2025-06-27")
    } == {
        "2016-06-24": "2016-05-27",
        "2018-06-22": "2018-05-11",
        "2023-06-23": "2023-04-28",
        "2024-06-28": "2024-04-30",
        "2025-06-27": "2025-04-30",
    }
    assert {"2007-06-22", "2008-06-27", "2026-06-26", "2026-12-11"} <= set(by_effective)
    assert by_effective["2026-12-11"] == "2026-10-30"
    assert by_effective["2014-06-27"] == "2014-05-30"  # last trading day of May 2014
    # Preliminary lists five weeks before: Fri 24 May 2024, Fri 23 May 2025 (published).
    announced = {
        f"{r.effective_date:%Y-%m-%d}": f"{r.announcement_date:%Y-%m-%d}" for r in reviews.itertuples()
    }
    assert (announced["2024-06-28"], announced["2025-06-27"]) == ("2024-05-24", "2025-05-23")
    # With May rank days the lists came two weeks before: Fri 10 Jun 2016, Fri 8 Jun 2018.
    assert (announced["2016-06-24"], announced["2018-06-22"]) == ("2016-06-10", "2018-06-08")
    early = schedule.reviews(get_calendar("XNYS"), dt.date(1995, 1, 1), dt.date(2026, 12, 31))
    assert (early["rank_date"] <= early["announcement_date"]).all()
    assert (early["announcement_date"] <= early["effective_date"]).all()
    assert len(reviews) == 21  # 2007-2026 June reviews plus December 2026


def test_sector_cap_by_hand() -> None:
    # Sectors: T holds 60% (three names 30/20/10), F 25% (15/10), H 15%. Cap 40%: T is scaled
    # to 40 (x 2/3 -> 20, 13.33, 6.67); its 20 points go to F and H pro rata (25:15) -> F 37.5,
    # H 22.5. Both are within the cap: done.
    from indexsmith_plugins.cappings import cap_groups

    weights = np.array([30, 20, 10, 15, 10, 15]) / 100
    sectors = np.array(["T", "T", "T", "F", "F", "H"])
    capped = cap_groups(weights, sectors, 0.40) * 100
    np.testing.assert_allclose(capped, [20, 40 / 3, 20 / 3, 22.5, 15, 22.5], atol=1e-9)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.floats(min_value=1e-4, max_value=1.0), st.integers(0, 7)), min_size=8, max_size=80)
)
def test_sector_cap_invariants(rows: list[tuple[float, int]]) -> None:
    from indexsmith_plugins.cappings import cap_groups

    weights = np.array([r[0] for r in rows])
    weights = weights / weights.sum()
    sectors = np.array([r[1] for r in rows])
    max_weight = 0.3
    if len(set(sectors.tolist())) * max_weight < 1:
        return
    capped = cap_groups(weights, sectors, max_weight)
    assert capped.sum() == pytest.approx(1.0, abs=1e-9)
    totals = pd.Series(capped).groupby(sectors).sum()
    assert (totals <= max_weight + 1e-9).all()


def dow_style(path: str) -> dict:  # type: ignore[type-arg]
    return {
        "index": {
            "id": "dow",
            "schedule": {"use": "on-membership-change", "params": {"file": path}},
            "ranking": {"use": "company-market-cap"},
            "bucketing": {"use": "committee-list", "params": {"file": path}},
            "weighting": {"use": "price"},
        }
    }


def test_committee_list_with_price_weights(tiny, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import indexsmith

    market = tiny({"A": [100.0] * 10, "B": [50.0] * 10, "C": [25.0] * 10, "D": [400.0] * 10})
    path = tmp_path / "members.csv"
    path.write_text(
        "date,security_id,action\n"
        "2024-01-02,A,add\n2024-01-02,B,add\n2024-01-02,C,add\n"
        "2024-01-09,C,remove\n2024-01-09,D,add\n"
    )
    result = indexsmith.build(dow_style(str(path)), market, plugins=indexsmith.Plugins(autoload=False))["dow"]
    by_review = {
        f"{d:%Y-%m-%d}": dict(zip(g["security_id"], g["weight"].round(6), strict=True))
        for d, g in result.constituents.groupby("effective_date")
    }
    # Price weights: 100/175, 50/175, 25/175; then 100/550, 50/550, 400/550 (§4.3's swap).
    assert by_review == {
        "2024-01-02": {"A": round(100 / 175, 6), "B": round(50 / 175, 6), "C": round(25 / 175, 6)},
        "2024-01-09": {"D": round(400 / 550, 6), "A": round(100 / 550, 6), "B": round(50 / 550, 6)},
    }


def test_membership_file_errors_name_the_line(tiny, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import indexsmith
    from indexsmith import ComponentError, DefinitionError

    market = tiny({"A": [100.0] * 10})
    plugins = indexsmith.Plugins(autoload=False)
    bad_action = tmp_path / "action.csv"
    bad_action.write_text("date,security_id,action\n2024-01-02,A,join\n")
    with pytest.raises(
        DefinitionError, match=r"line 2: action 'join' must be add or remove at \$\.index\.schedule\.params"
    ):
        indexsmith.load_definition(dow_style(str(bad_action)), plugins)
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("date,security_id,action\n2024-01-02,A,add\n2024-01-03,ZZZ,add\n")
    with pytest.raises(ComponentError, match=r"line 3: security ZZZ is not in the market data"):
        indexsmith.build(dow_style(str(unknown)), market, plugins=plugins)
    early = tmp_path / "early.csv"
    early.write_text("date,security_id,action\n2023-12-01,A,add\n2024-01-03,A,remove\n")
    with pytest.raises(
        ComponentError,
        match=r"line 2: date 2023-12-01 is outside the market data \(2024-01-02\.\.2024-01-16\)",
    ):
        indexsmith.build(dow_style(str(early)), market, plugins=plugins)


def committee_spec() -> dict:  # type: ignore[type-arg]
    return monthly_index(
        "c",
        bucketing={
            "use": "committee-selection",
            "params": {
                "pool": 1,
                "indices": [
                    {"name": "big", "target": 2, "ranges": [{"start": "2024-01-01", "min_cap": 20e6}]},
                    {
                        "name": "mid",
                        "target": 2,
                        "ranges": [{"start": "2024-01-01", "min_cap": 5e6, "max_cap": 20e6}],
                    },
                ],
            },
        },
        weighting={"use": "cap"},
    )


def test_committee_selection_keeps_incumbents_and_migrates(tiny) -> None:  # type: ignore[no-untyped-def]
    import indexsmith

    # Caps in $M (1M shares each). January: A 40, B 30 -> big; C 18, D 15 -> mid (5-20).
    # February: B falls to 10, below the big range, but stays (§3.5 case D); C rises to 25,
    # inside the big range, but big has no vacancy so C stays in mid (case E: not forced).
    # March: A is gone (no price): big has a vacancy, C migrates; mid's vacancy goes to E.
    jan, feb, mar = 21, 20, 21
    closes = {
        "A": [40.0] * (jan + feb) + [None] * mar,
        "B": [30.0] * jan + [10.0] * (feb + mar),
        "C": [18.0] * jan + [25.0] * (feb + mar),
        "D": [15.0] * (jan + feb + mar),
        "E": [12.0] * (jan + feb + mar),
        "F": [3.0] * (jan + feb + mar),
    }
    market = tiny(closes)
    spec = committee_spec()
    spec["index"]["buckets"] = ["big"]
    big = indexsmith.build(spec, market, plugins=indexsmith.Plugins(autoload=False))["c"]
    spec["index"]["buckets"] = ["mid"]
    mid = indexsmith.build(spec, market, plugins=indexsmith.Plugins(autoload=False))["c"]
    members = lambda r: r.constituents.groupby("effective_date")["security_id"].apply(sorted).tolist()  # noqa: E731
    assert members(big) == [["A", "B"], ["A", "B"], ["B", "C"]]
    assert members(mid) == [["C", "D"], ["C", "D"], ["D", "E"]]
    march = big.constituents[big.constituents["effective_date"] == big.constituents["effective_date"].max()]
    assert march.set_index("security_id").loc["C", "note"] == "migrated from mid"


def test_committee_selection_steers_sectors(tiny) -> None:  # type: ignore[no-untyped-def]
    import indexsmith

    # One slot left after the first pick. The universe is 2/3 Energy by cap; with pool 2 the
    # second pick is the Energy company although a Tech company is larger.
    closes = {"T1": [30.0] * 21, "T2": [25.0] * 21, "E1": [24.0] * 21, "E2": [60.0] * 21}
    sectors = {"T1": "Information Technology", "T2": "Information Technology", "E1": "Energy", "E2": "Energy"}
    market = tiny(closes, sector=sectors)
    spec = committee_spec()
    spec["index"]["bucketing"]["params"] = {
        "pool": 2,
        "indices": [{"name": "big", "target": 2, "ranges": [{"start": "2024-01-01", "min_cap": 20e6}]}],
    }
    result = indexsmith.build(spec, market, plugins=indexsmith.Plugins(autoload=False))["c"]
    # Pool [E2 60, T1 30]: nothing held yet, Energy is underweight most -> E2. Then pool
    # [T1 30, T2 25]: both Tech -> T1 (larger). Size wins when sectors tie.
    assert sorted(result.constituents["security_id"]) == ["E2", "T1"]
    spec["index"]["bucketing"]["params"]["indices"][0]["target"] = 3
    result = indexsmith.build(spec, market, plugins=indexsmith.Plugins(autoload=False))["c"]
    # Third slot: pool [T2 25, E1 24]; the index is 60 Energy / 30 Tech = 67% Energy against
    # a universe of 84/139 = 60% Energy, so Tech is underweight: T2.
    assert sorted(result.constituents["security_id"]) == ["E2", "T1", "T2"]


def test_committee_overrides_replay_decisions(tiny, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import indexsmith

    # Three month-end reviews; rules alone keep A, B in big (caps 40, 30 > 20). The file
    # removes B on 2024-02-10 and adds E (12, below the big range) to big: both act at
    # the February review (the first ranked on or after the date) and persist after it.
    closes = {c: [v] * 62 for c, v in {"A": 40.0, "B": 30.0, "C": 18.0, "D": 15.0, "E": 12.0}.items()}
    market = tiny(closes)
    overrides = tmp_path / "decisions.csv"
    overrides.write_text("date,security_id,action,index\n2024-02-10,B,delete,big\n2024-02-10,E,add,big\n")
    spec = committee_spec()
    spec["index"]["bucketing"]["params"]["overrides"] = str(overrides)
    spec["index"]["buckets"] = ["big"]
    result = indexsmith.build(spec, market, plugins=indexsmith.Plugins(autoload=False))["c"]
    members = result.constituents.groupby("effective_date")["security_id"].apply(sorted).tolist()
    # March: B is no longer a member, so it is a candidate again and refills nothing: big
    # holds A and E (its target of 2) until the rules or the committee say otherwise.
    assert members == [["A", "B"], ["A", "E"], ["A", "E"]]
    feb = result.at("2024-02-29").set_index("security_id")
    assert feb.loc["E", "note"] == "committee decision (overrides line 3)"


def test_committee_overrides_errors_name_the_line(tiny, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import indexsmith
    from indexsmith import ComponentError, DefinitionError

    market = tiny({c: [v] * 30 for c, v in {"A": 40.0, "B": 30.0, "C": 18.0}.items()})
    plugins = indexsmith.Plugins(autoload=False)
    spec = committee_spec()
    cases = {
        "date,security_id,action,index\n2024-01-31,A,add,big\n2024-01-31,ZZZ,add,big\n": (
            ComponentError,
            r"overrides file .*decisions\.csv line 3: security ZZZ is not in the market data",
        ),
        "date,security_id,action,index\n2025-06-30,A,add,big\n": (
            ComponentError,
            r"line 2: date 2025-06-30 is outside the market data \(2024-01-02\.\.2024-02-13\)",
        ),
        "date,security_id,action,index\n2024-01-31,A,add,huge\n": (
            DefinitionError,
            r"line 2: index 'huge' is not one of big, mid",
        ),
        "date,security_id,action\n2024-01-31,A,add\n": (DefinitionError, r"needs an 'index' column"),
    }
    for text, (error, message) in cases.items():
        overrides = tmp_path / "decisions.csv"
        overrides.write_text(text)
        spec["index"]["bucketing"]["params"]["overrides"] = str(overrides)
        with pytest.raises(error, match=message):
            indexsmith.build(spec, market, plugins=plugins)


def test_committee_percentile_ranges_fill_below_and_subset(tiny) -> None:  # type: ignore[no-untyped-def]
    import indexsmith

    # Caps 50, 30, 10, 6, 4 (total 100): cumulative 50, 80, 90, 96, 100. "big" takes the
    # top 80% (A, B) and wants 3: the third comes from below the range (C, noted). "top1"
    # is the largest member of big. "rest" takes 90-100 (D, E).
    closes = {c: [v] * 21 for c, v in {"A": 50.0, "B": 30.0, "C": 10.0, "D": 6.0, "E": 4.0}.items()}
    market = tiny(closes)
    spec = committee_spec()
    spec["index"]["bucketing"]["params"] = {
        "pool": 1,
        "indices": [
            {"name": "big", "target": 3, "percentiles": [0, 80]},
            {"name": "rest", "target": 2, "percentiles": [90, 100]},
        ],
        "subsets": [{"name": "top1", "parent": "big", "target": 1}],
    }
    spec["index"]["buckets"] = ["big", "top1", "rest"]
    result = indexsmith.build(spec, market, plugins=indexsmith.Plugins(autoload=False))["c"]
    rows = result.constituents.set_index("security_id")
    assert rows["bucket"].to_dict() == {"A": "top1", "B": "big", "C": "big", "D": "rest", "E": "rest"}
    assert rows.loc["C", "note"] == "added below the addition range: too few candidates in range"
    spec["index"]["bucketing"]["params"]["fill_below_range"] = False
    result = indexsmith.build(spec, market, plugins=indexsmith.Plugins(autoload=False))["c"]
    assert sorted(result.constituents["security_id"]) == ["A", "B", "D", "E"]


def test_top_with_buffer_sector_breadth(tiny) -> None:  # type: ignore[no-untyped-def]
    import indexsmith

    # Top 3 with at most 2 per sector: the third-largest Energy company is passed over for
    # the largest Tech company.
    closes = {"E1": [50.0] * 21, "E2": [40.0] * 21, "E3": [30.0] * 21, "T1": [20.0] * 21, "T2": [10.0] * 21}
    sectors = {
        "E1": "Energy",
        "E2": "Energy",
        "E3": "Energy",
        "T1": "Information Technology",
        "T2": "Information Technology",
    }
    market = tiny(closes, sector=sectors)
    spec = monthly_index(
        bucketing={"use": "top-with-buffer", "params": {"count": 3, "buffer_rank": 3, "max_per_sector": 2}}
    )
    result = indexsmith.build(spec, market, plugins=indexsmith.Plugins(autoload=False))["t"]
    assert sorted(result.constituents["security_id"]) == ["E1", "E2", "T1"]


def test_field_ranking_any_numeric_field(tiny) -> None:  # type: ignore[no-untyped-def]
    import indexsmith

    # Rank by close, smallest first: C (5) then B (10) then A (20); top 2 by that rank.
    market = tiny(
        {"A": [20.0] * 21, "B": [10.0] * 21, "C": [5.0] * 21}, shares={"A": 1e5, "B": 1e6, "C": 1e7}
    )
    spec = monthly_index(
        ranking={"use": "field", "params": {"field": "close", "ascending": True}},
        bucketing={"use": "count-tiers", "params": {"tiers": [{"name": "cheap", "count": 2}]}},
    )
    result = indexsmith.build(spec, market, plugins=indexsmith.Plugins(autoload=False))["t"]
    assert result.constituents.sort_values("rank")["security_id"].tolist() == ["C", "B"]
    with pytest.raises(indexsmith.DefinitionError, match=r"field.*'closing'"):
        spec["index"]["ranking"]["params"]["field"] = "closing"
        indexsmith.load_definition(spec, indexsmith.Plugins(autoload=False))


def retaining_spec(big_target: int, mid_min: float) -> dict:  # type: ignore[type-arg]
    """big (>= 20M, members retained above half of min(range, natural bottom)) over mid
    (mid_min-20M), 2 companies each unless big_target says otherwise; pool 1."""
    spec = committee_spec()
    spec["index"]["bucketing"]["params"] = {
        "pool": 1,
        "indices": [
            {
                "name": "big",
                "target": big_target,
                "retain_fraction": 0.5,
                "ranges": [{"start": "2024-01-01", "min_cap": 20e6}],
            },
            {
                "name": "mid",
                "target": 2,
                "ranges": [{"start": "2024-01-01", "min_cap": mid_min, "max_cap": 20e6}],
            },
        ],
    }
    spec["index"]["buckets"] = ["big", "mid"]
    return spec


def test_committee_retain_fraction_moves_a_shrunken_member_down(tiny) -> None:  # type: ignore[no-untyped-def]
    import indexsmith

    # big: 1 company, range >= 20, retained while >= 0.5 x 20 = 10; mid: 2 companies, 5-20.
    # January: A 40 -> big; C 15, B 12 -> mid. February: A falls to 8 (< 10): released; B
    # rose to 25 and migrates up to fill big; A takes B's place in mid.
    closes = {"A": [40.0] * 21 + [8.0] * 20, "B": [12.0] * 21 + [25.0] * 20, "C": [15.0] * 41}
    market = tiny(closes)
    spec = retaining_spec(big_target=1, mid_min=5e6)
    result = indexsmith.build(spec, market, plugins=indexsmith.Plugins(autoload=False))["c"]
    jan = result.at("2024-01-31").set_index("security_id")["bucket"].sort_index().to_dict()
    feb = result.at("2024-02-29").set_index("security_id")
    assert jan == {"A": "big", "B": "mid", "C": "mid"}
    assert feb["bucket"].sort_index().to_dict() == {"A": "mid", "B": "big", "C": "mid"}
    assert feb.loc["A", "note"] == "migrated from big: cap below 0.5 x its range minimum"
    assert feb.loc["B", "note"] == "migrated from mid"


def test_committee_released_member_is_not_refilled_into_its_own_index(tiny) -> None:  # type: ignore[no-untyped-def]
    import indexsmith

    # big: 2 companies, range >= 20, below-range filling on, members released under half of
    # min(range minimum, cap of the 2nd-largest company); mid: 2 companies, 1-20.
    # January: big A 40, B 30; mid E 19, C 8 (D 5 left out). February: A falls to 9, under
    # 0.5 x min(20, 19): released. big's range holds nobody new, so it fills from below the
    # range: E (19) moves up — not A, which big has just let go — and A takes E's seat in mid.
    closes = {
        "A": [40.0] * 21 + [9.0] * 20,
        "B": [30.0] * 41,
        "E": [19.0] * 41,
        "C": [8.0] * 41,
        "D": [5.0] * 41,
    }
    market = tiny(closes)
    spec = retaining_spec(big_target=2, mid_min=1e6)
    result = indexsmith.build(spec, market, plugins=indexsmith.Plugins(autoload=False))["c"]
    jan = result.at("2024-01-31").set_index("security_id")["bucket"].sort_index().to_dict()
    assert jan == {"A": "big", "B": "big", "C": "mid", "E": "mid"}
    feb = result.at("2024-02-29").set_index("security_id")
    assert feb["bucket"].sort_index().to_dict() == {"A": "mid", "B": "big", "C": "mid", "E": "big"}
    assert feb.loc["A", "note"] == "migrated from big: cap below 0.5 x its range minimum"
    assert feb.loc["E", "note"] == "migrated from mid"
