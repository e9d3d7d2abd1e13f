"""Sweep definitions: axes expanded into whole definitions, and every bad sweep refused
with one line per problem, each at its ``$.sweep`` path, before any data is read."""

from __future__ import annotations

from pathlib import Path

import pytest
from indexsmith import Plugins
from indexsmith.definition.sweep import load_sweep, parse_path
from indexsmith.errors import DefinitionError

COUNT = "family.bucketing.params.tiers[0].count"
CAP = "family.index[2].capping.params.max_weight"


def sweep(**table: object) -> dict[str, object]:
    return {"sweep": {"definition": "demo-tiers", **table}}


def problems(spec: dict[str, object], plugins: Plugins, **options: bool) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        load_sweep(spec, plugins, **options)
    return caught.value.lines()


def test_the_issue_example_is_the_product_of_its_axes(plugins: Plugins) -> None:
    expanded = load_sweep(sweep(axes={COUNT: [60, 80, 100, 120], CAP: [0.03, 0.05, 0.10]}), plugins)
    assert len(expanded) == 12
    assert expanded.axes == (COUNT, CAP)
    assert [v.id for v in expanded.variants][:3] == ["v01", "v02", "v03"]
    last = expanded.variants[-1]
    assert last.values == {COUNT: 120, CAP: 0.10}
    family = last.raw["family"]
    assert family["bucketing"]["params"]["tiers"] == [
        {"name": "large", "count": 120},
        {"name": "small", "count": 200},
    ]
    assert family["index"][2]["capping"]["params"] == {"max_weight": 0.10}
    assert len({v.digest for v in expanded.variants}) == 12
    # The base is untouched by its variants.
    assert expanded.variants[0].raw["family"]["bucketing"]["params"]["tiers"][0]["count"] == 60


def test_zipped_axes_go_together_and_variants_list_whole_definitions(
    plugins: Plugins, tmp_path: Path
) -> None:
    zipped = load_sweep(
        sweep(
            axes={CAP: [0.05, 0.10]},
            zip=[{COUNT: [60, 120], "family.bucketing.params.tiers[1].count": [240, 180]}],
            index="demo-broad-equal",
        ),
        plugins,
    )
    assert len(zipped) == 4
    pairs = [(v.values[COUNT], v.values["family.bucketing.params.tiers[1].count"]) for v in zipped.variants]
    assert pairs == [(60, 240), (120, 180), (60, 240), (120, 180)]
    assert [i["id"] for i in zipped.variants[0].raw["family"]["index"]] == ["demo-broad-equal"]

    listed = load_sweep(
        {
            "sweep": {
                "variants": [
                    {"definition": "demo-tiers"},
                    {"name": "nasdaq", "definition": "nasdaq-100-style"},
                ]
            }
        },
        plugins,
    )
    assert [v.base for v in listed.variants] == ["demo-tiers", "nasdaq"]
    assert listed.axes == ("base",)


def test_paths_are_parsed_step_by_step() -> None:
    assert parse_path(CAP) == ["family", "index", 2, "capping", "params", "max_weight"]
    assert parse_path("$.family.start") == ["family", "start"]
    assert parse_path("family..start") is None
    assert parse_path("[0].family") is None


def test_a_misspelt_path_gets_a_did_you_mean(plugins: Plugins) -> None:
    lines = problems(sweep(axes={"family.bucketng.params.tiers[0].count": [60]}), plugins)
    assert lines == [
        "no key 'bucketng' at $.family of demo-tiers "
        """at $.sweep.axes."family.bucketng.params.tiers[0].count" — did you mean 'bucketing'? """
        "$.family has: id, name, description, calendar, schedule, universe, ranking, bucketing, index"
    ]
    lines = problems(sweep(axes={"family.index[5].weighting.use": ["equal"]}), plugins)
    assert lines == [
        """$.family.index has 3 item(s), so there is no [5] of demo-tiers at $.sweep.axes."family.index[5].weighting.use" """
        "— use [0]..[2]"
    ]


def test_a_value_of_the_wrong_type_is_reported_at_its_place(plugins: Plugins) -> None:
    lines = problems(sweep(axes={CAP: [0.03, "5%"], COUNT: [60, 80.5]}), plugins)
    assert lines == [
        f"""expected a number, got '5%' at $.sweep.axes."{CAP}"[1] — it sets {"$." + CAP} of demo-tiers""",
        f"""expected an integer, got 80.5 at $.sweep.axes."{COUNT}"[1] — it sets {"$." + COUNT} of demo-tiers""",
    ]
    # A param the component does not take: the did-you-mean of the definition's own check.
    lines = problems(sweep(axes={"family.index[2].capping.params.max_weigth": [0.05]}), plugins)
    assert "unknown param 'max_weigth'" in lines[0] and "did you mean 'max_weight'?" in lines[0]


def test_empty_axes_zip_lengths_and_unknown_keys_are_all_reported_at_once(plugins: Plugins) -> None:
    lines = problems(
        sweep(axes={COUNT: []}, zip=[{CAP: [0.05, 0.1], "family.schedule.params.rank_lag_sessions": [5]}]),
        plugins,
    )
    assert lines == [
        f"the axes zipped together have different lengths: {CAP} has 2, "
        "family.schedule.params.rank_lag_sessions has 1 at $.sweep.zip[0] — give every axis of a zip the same "
        "number of values",
        f"""the axis '{COUNT}' is empty at $.sweep.axes."{COUNT}" — give it at least one value""",
    ]
    lines = problems(sweep(axis={COUNT: [60]}), plugins)
    assert lines == ["unknown key axis (did you mean 'axes'?) at $.sweep"]


def test_more_variants_than_max_variants_need_yes(plugins: Plugins) -> None:
    spec = sweep(axes={COUNT: [60, 80, 100], CAP: [0.03, 0.05]}, max_variants=5)
    assert problems(spec, plugins) == [
        "the sweep has 6 variants, more than max_variants = 5 at $.sweep — pass --yes to run them all, "
        "or raise max_variants in [sweep]"
    ]
    assert len(load_sweep(spec, plugins, yes=True)) == 6


def test_an_index_not_in_the_family_is_refused(plugins: Plugins) -> None:
    assert problems(sweep(axes={COUNT: [60]}, index="demo-larg"), plugins) == [
        "no index 'demo-larg' in demo-tiers at $.sweep.index — did you mean 'demo-large'? "
        "its indices: demo-large, demo-small, demo-broad-equal"
    ]


def test_the_docs_example_sweep_is_valid(plugins: Plugins) -> None:
    path = Path(__file__).resolve().parents[2] / "docs" / "examples" / "sweep-tiers.toml"
    assert len(load_sweep(path, plugins)) == 12
