"""Bucketings against worked examples (Russell-style banding §1.6, CRSP-style packeting §2.8, Nasdaq-100-style buffer §5.2) and invariants."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st
from indexsmith_plugins.bucketings import CountTiers, Tier

from tests.support import monthly_index


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
