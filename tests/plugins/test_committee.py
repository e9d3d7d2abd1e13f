"""Committee-driven components: membership files, committee lists and S&P-style committee selection (methodologies.md §3-§4)."""

from __future__ import annotations

import pytest

from tests.support import monthly_index


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
    from indexsmith import DataError, DefinitionError

    market = tiny({"A": [100.0] * 10})
    plugins = indexsmith.Plugins(autoload=False)
    bad_action = tmp_path / "action.csv"
    bad_action.write_text("date,security_id,action\n2024-01-02,A,join\n")
    with pytest.raises(DefinitionError) as caught:
        indexsmith.load_definition(dow_style(str(bad_action)), plugins)
    # The file is the schedule's and the bucketing's: each param reports it.
    assert caught.value.lines() == [
        f"action 'join' must be add or remove at line 2 of membership file {bad_action.resolve()}, "
        f"$.index.{stage}.params"
        for stage in ("schedule", "bucketing")
    ]
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("date,security_id,action\n2024-01-02,A,add\n2024-01-03,ZZZ,add\n")
    with pytest.raises(
        DataError, match=r"security ZZZ is not in the market data at line 3 in membership file"
    ):
        indexsmith.build(dow_style(str(unknown)), market, plugins=plugins)
    early = tmp_path / "early.csv"
    early.write_text("date,security_id,action\n2023-12-01,A,add\n2024-01-03,A,remove\n")
    with pytest.raises(
        DataError,
        match=r"date 2023-12-01 is outside the market data \(2024-01-02\.\.2024-01-16\) at line 2",
    ):
        indexsmith.build(dow_style(str(early)), market, plugins=plugins)


def test_membership_file_reports_every_problem_at_once(tiny, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import indexsmith
    from indexsmith import DataError, DefinitionError

    market = tiny({"A": [100.0] * 10})
    plugins = indexsmith.Plugins(autoload=False)
    broken = tmp_path / "broken.csv"
    broken.write_text("date,security_id,action\n2024-13-02,A,add\n2024-01-03,,join\n2024-01-04,A,add\n")
    with pytest.raises(DefinitionError) as caught:
        indexsmith.load_definition(dow_style(str(broken)), plugins)
    lines = caught.value.lines()
    # Three problems, reported by the schedule's and the bucketing's param alike.
    assert len(lines) == 6 and str(caught.value).startswith("6 problems in the index definition: ")
    assert lines[0].startswith("date '2024-13-02' is not YYYY-MM-DD at line 2 of membership file")
    assert lines[1].startswith("action 'join' must be add or remove at line 3")
    assert lines[2].startswith("security_id is empty at line 3")
    assert lines[2].endswith("$.index.schedule.params — name the security")
    assert [line.split(" at ")[0] for line in lines[3:]] == [line.split(" at ")[0] for line in lines[:3]]
    # Rows the market data cannot hold: all of them, in line order, with a correct count.
    outside = tmp_path / "outside.csv"
    outside.write_text(
        "date,security_id,action\n2024-01-02,A,add\n2024-01-03,ZZZ,add\n2023-12-01,YYY,add\n2024-01-04,XXX,add\n"
    )
    with pytest.raises(DataError) as caught_data:
        indexsmith.build(dow_style(str(outside)), market, plugins=plugins)
    assert str(caught_data.value).startswith("4 problems in the membership file: ")
    assert [line.split(" at ")[0] for line in caught_data.value.lines()] == [
        "security ZZZ is not in the market data",
        "security YYY is not in the market data",
        "date 2023-12-01 is outside the market data (2024-01-02..2024-01-16)",
        "security XXX is not in the market data",
    ]


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
    from indexsmith import DataError, DefinitionError

    market = tiny({c: [v] * 30 for c, v in {"A": 40.0, "B": 30.0, "C": 18.0}.items()})
    plugins = indexsmith.Plugins(autoload=False)
    spec = committee_spec()
    cases = {
        "date,security_id,action,index\n2024-01-31,A,add,big\n2024-01-31,ZZZ,add,big\n": (
            DataError,
            r"security ZZZ is not in the market data at line 3 in overrides file .*decisions\.csv",
        ),
        "date,security_id,action,index\n2025-06-30,A,add,big\n": (
            DataError,
            r"date 2025-06-30 is outside the market data \(2024-01-02\.\.2024-02-13\) at line 2",
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
