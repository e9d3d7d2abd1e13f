"""Index definitions: TOML, YAML and Python objects agree; bad definitions are refused
with every problem at once, each with its path."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest
from indexsmith import DefinitionError, FamilyDefinition, IndexDefinition, IndexSpec, Plugins, ScreenUse, Use
from indexsmith.definition import load

TOML = """
[index]
id = "small-cap"
name = "Small cap"
start = 2020-01-01

[index.schedule]
use = "monthly"

[[index.universe]]
use = "min-price"
params = { min_price = 2.0 }
applies_to = "additions"

[index.ranking]
use = "company-market-cap"

[index.bucketing]
use = "count-tiers"
params = { tiers = [ { name = "large", count = 10 }, { name = "small", count = 20 } ] }

[index]
"""

SINGLE_TOML = """\
[index]
id = "small-cap"
name = "Small cap"
start = 2020-01-01
buckets = ["small"]
schedule = { use = "monthly" }
universe = [ { use = "min-price", params = { min_price = 2.0 }, applies_to = "additions" } ]
ranking = { use = "company-market-cap" }
bucketing = { use = "count-tiers", params = { tiers = [ { name = "large", count = 10 }, { name = "small", count = 20 } ] } }
weighting = { use = "float-cap" }
capping = { use = "single-name", params = { max_weight = 0.1 } }
"""

SINGLE_YAML = """\
index:
  id: small-cap
  name: Small cap
  start: 2020-01-01
  buckets: [small]
  schedule: {use: monthly}
  universe:
    - use: min-price
      params: {min_price: 2.0}
      applies_to: additions
  ranking: {use: company-market-cap}
  bucketing:
    use: count-tiers
    params:
      tiers:
        - {name: large, count: 10}
        - {name: small, count: 20}
  weighting: {use: float-cap}
  capping: {use: single-name, params: {max_weight: 0.1}}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def problems(spec: object, plugins: Plugins) -> list[str]:
    with pytest.raises(DefinitionError) as info:
        load(spec, plugins)  # type: ignore[arg-type]
    return info.value.lines()


def test_toml_yaml_and_python_agree(tmp_path: Path, plugins: Plugins) -> None:
    from_toml = load(write(tmp_path, "small.toml", SINGLE_TOML), plugins)
    from_yaml = load(write(tmp_path, "small.yaml", SINGLE_YAML), plugins)
    from_python = load(
        IndexDefinition(
            id="small-cap",
            name="Small cap",
            start=dt.date(2020, 1, 1),
            schedule=Use(use="monthly"),
            universe=[ScreenUse(use="min-price", params={"min_price": 2.0}, applies_to="additions")],
            ranking=Use(use="company-market-cap"),
            bucketing=Use(
                use="count-tiers",
                params={"tiers": [{"name": "large", "count": 10}, {"name": "small", "count": 20}]},
            ),
            buckets=["small"],
            weighting=Use(use="float-cap"),
            capping=Use(use="single-name", params={"max_weight": 0.1}),
        ),
        plugins,
    )
    assert from_toml.normalised() == from_yaml.normalised() == from_python.normalised()
    normalised = from_toml.normalised()["family"]
    # Defaults are filled in, so run.json records every parameter actually used.
    assert normalised["schedule"] == {
        "use": "monthly",
        "params": {"rank_lag_sessions": 5, "announce_lag_sessions": 3},
    }
    assert normalised["universe"] == [
        {
            "use": "min-price",
            "params": {"min_price": 2.0, "incumbent_average_sessions": None},
            "applies_to": "additions",
        }
    ]
    assert normalised["index"][0]["buckets"] == ["small"]
    assert from_toml.indices[0].capping.component.max_weight == 0.1  # type: ignore[union-attr]


def test_family_gives_one_index_per_entry(plugins: Plugins) -> None:
    methodology = load("demo-tiers", plugins)
    assert [(i.spec.id, i.buckets, i.weighting.entry.name) for i in methodology.indices] == [
        ("demo-large", ("large",), "float-cap"),
        ("demo-small", ("small",), "float-cap"),
        ("demo-broad-equal", ("large", "small"), "equal"),
    ]
    assert isinstance(methodology.definition, FamilyDefinition)


def test_index_without_buckets_takes_them_all(plugins: Plugins) -> None:
    definition = FamilyDefinition(
        id="f",
        schedule=Use(use="monthly"),
        ranking=Use(use="float-market-cap"),
        bucketing=Use(
            use="count-tiers", params={"tiers": [{"name": "a", "count": 5}, {"name": "b", "count": 5}]}
        ),
        indices=[IndexSpec(id="ab", weighting=Use(use="equal"))],
    )
    assert load(definition, plugins).indices[0].buckets == ("a", "b")


def test_malformed_toml_names_line_and_column(tmp_path: Path, plugins: Plugins) -> None:
    path = write(tmp_path, "bad.toml", '[index]\nid = "x"\nweighting = { use = "equal" \n')
    (line,) = problems(path, plugins)
    assert line.startswith("malformed TOML: ")
    assert "line 3, column" in line
    assert line.endswith("in bad.toml — fix the syntax")


def test_duplicate_table_in_toml(tmp_path: Path, plugins: Plugins) -> None:
    (line,) = problems(write(tmp_path, "dup.toml", TOML), plugins)
    assert "line 22" in line and "bad.toml" not in line and "dup.toml" in line


def test_malformed_yaml_names_line_and_column(tmp_path: Path, plugins: Plugins) -> None:
    path = write(tmp_path, "bad.yaml", "index:\n  id: x\n  weighting: {use: equal\n  ranking: 3\n")
    (line,) = problems(path, plugins)
    assert line.startswith("malformed YAML: ")
    assert " at line 4, column " in line
    assert line.endswith("in bad.yaml — fix the syntax")


def test_unknown_component_did_you_mean(tmp_path: Path, plugins: Plugins) -> None:
    path = write(tmp_path, "small.toml", SINGLE_TOML.replace('"float-cap"', '"flaot-cap"'))
    assert problems(path, plugins) == [
        "no weighting named 'flaot-cap' at $.index.weighting.use in small.toml — did you mean "
        "'float-cap'? Available: cap, equal, float-cap, price, style (indexsmith 0.1.0)"
    ]


def test_every_param_problem_at_once(tmp_path: Path, plugins: Plugins) -> None:
    text = (
        SINGLE_TOML.replace("max_weight = 0.1", "max_weight = 1.5")
        .replace("min_price = 2.0", 'min_price = "2"')
        .replace('{ name = "large", count = 10 }', '{ name = "large", count = 10, size = 3 }')
        .replace('use = "monthly" }', 'use = "monthly", params = { rank_lag = 4 } }')
    )
    assert problems(write(tmp_path, "small.toml", text), plugins) == [
        "unknown param 'rank_lag' at $.index.schedule.params.rank_lag in small.toml — did you mean "
        "'rank_lag_sessions'? Params: rank_lag_sessions, announce_lag_sessions",
        "expected a number, got '2' at $.index.universe[0].params.min_price in small.toml",
        "unknown key size at $.index.bucketing.params.tiers[0] in small.toml",
        "'max_weight' must be <= 1: 1.5 at $.index.capping.params.max_weight in small.toml — "
        "maximum weight of one security, e.g. 0.2 for 20%",
    ]


def test_missing_required_param(plugins: Plugins) -> None:
    raw = {
        "index": {
            "id": "x",
            "schedule": {"use": "monthly"},
            "universe": [{"use": "min-market-cap"}],
            "ranking": {"use": "company-market-cap"},
            "bucketing": {"use": "all"},
            "weighting": {"use": "equal"},
        }
    }
    assert problems(raw, plugins) == [
        "missing required param 'min_cap' at $.index.universe[0].params.min_cap — minimum total company market cap, USD"
    ]


def test_unknown_and_missing_keys_with_component_problems(plugins: Plugins) -> None:
    raw = {
        "index": {
            "id": "x",
            "schedul": {"use": "monthly"},
            "ranking": {"use": "company-market-cap"},
            "bucketing": {"use": "al"},
            "weighting": {"use": "equal"},
        }
    }
    lines = problems(raw, plugins)
    assert "required key missing at $.index.schedule" in lines
    assert "unknown key schedul (did you mean 'schedule'?) at $.index" in lines
    assert (
        "no bucketing named 'al' at $.index.bucketing.use — did you mean 'all'? Available: all, committee-list, committee-selection, count-tiers, cumulative-bands, top-with-buffer (indexsmith 0.1.0)"
        in lines
    )


def test_wrong_top_level(plugins: Plugins) -> None:
    assert problems({"indexes": {}}, plugins) == [
        "a definition has exactly one top-level table, 'index' or 'family'; found indexes at $"
    ]


def test_bucket_not_produced(plugins: Plugins) -> None:
    raw = {
        "family": {
            "id": "f",
            "schedule": {"use": "monthly"},
            "ranking": {"use": "company-market-cap"},
            "bucketing": {"use": "count-tiers", "params": {"tiers": [{"name": "large", "count": 5}]}},
            "index": [
                {"id": "a", "buckets": ["large"], "weighting": {"use": "equal"}},
                {"id": "b", "buckets": ["smal"], "weighting": {"use": "equal"}},
                {"id": "a", "buckets": [], "weighting": {"use": "equal"}},
            ],
        }
    }
    assert problems(raw, plugins) == [
        "bucket 'smal' is not produced by bucketing 'count-tiers' at $.family.index[1].buckets[0] — it produces: large",
        "index id 'a' is used twice at $.family.index[2].id — give each index of a family its own id",
        "an index must take at least one bucket at $.family.index[2].buckets — choose from: large",
    ]


def test_cross_field_validation(plugins: Plugins) -> None:
    raw = {
        "index": {
            "id": "x",
            "schedule": {"use": "monthly", "params": {"rank_lag_sessions": 2, "announce_lag_sessions": 4}},
            "ranking": {"use": "company-market-cap"},
            "bucketing": {"use": "all"},
            "weighting": {"use": "equal"},
        }
    }
    assert problems(raw, plugins) == [
        "'announce_lag_sessions' (4) must be <= 'rank_lag_sessions' (2): announcements follow the rank date "
        "at $.index.schedule.params"
    ]


def test_missing_file_and_unknown_preset(plugins: Plugins) -> None:
    assert problems("nowhere/index.toml", plugins) == [
        "definition file nowhere/index.toml does not exist — pass a file path or a preset id "
        "('indexsmith presets' lists them)"
    ]
    (line,) = problems("demo-tier", plugins)
    assert line.startswith(
        "'demo-tier' is neither a definition file nor a preset id — did you mean 'demo-tiers'?"
    )


def test_incompatible_components_are_refused(plugins: Plugins) -> None:
    base = {
        "id": "x",
        "schedule": {"use": "monthly"},
        "ranking": {"use": "company-market-cap"},
        "bucketing": {"use": "all"},
        "weighting": {"use": "price"},
    }
    capped = dict(base, capping={"use": "single-name", "params": {"max_weight": 0.1}})
    assert problems({"index": capped}, plugins) == [
        "price weighting holds one unit of each member; a capping would make it a different weighting — remove "
        "the capping or weight by cap at $.index.weighting"
    ]
    packeted = dict(
        base,
        bucketing={
            "use": "cumulative-bands",
            "params": {"segments": [{"name": "top", "upper": 70}, {"name": "rest", "upper": 100}]},
        },
    )
    assert problems({"index": packeted}, plugins) == [
        "price weighting cannot hold the partial positions that packeting creates — set packet = 1 or weight by "
        "cap at $.index.weighting"
    ]
    packeted["bucketing"]["params"]["packet"] = 1.0
    load({"index": packeted}, plugins)


def test_more_incompatible_combinations_are_refused(plugins: Plugins, tmp_path) -> None:  # type: ignore[no-untyped-def]
    base = {
        "id": "x",
        "schedule": {"use": "monthly"},
        "ranking": {"use": "company-market-cap"},
        "bucketing": {
            "use": "cumulative-bands",
            "params": {"segments": [{"name": "top", "upper": 70}, {"name": "rest", "upper": 100}]},
        },
        "weighting": {"use": "equal"},
    }
    assert problems({"index": base}, plugins) == [
        "equal weighting gives every company 1/N and cannot hold the half positions packeting creates — set "
        "packet = 1 or weight by cap at $.index.weighting"
    ]
    tiers = dict(
        base,
        bucketing={"use": "count-tiers", "params": {"tiers": [{"name": "a", "count": 5}], "packet": 0.5}},
    )
    assert problems({"index": tiers}, plugins) == [
        "count tiers place whole companies by rank, so they cannot packet; use the 'cumulative-bands' bucketing "
        "for CRSP-style packeting or leave 'packet' out at $.index.bucketing.params"
    ]
    members = tmp_path / "members.csv"
    members.write_text("date,security_id,action\n2024-01-02,A,add\n")
    scheduled = dict(
        base,
        schedule={"use": "on-membership-change", "params": {"file": str(members)}},
        bucketing={"use": "all"},
    )
    assert problems({"index": scheduled}, plugins) == [
        "the 'on-membership-change' schedule reviews only on the dates of a membership file; pair it with the "
        "'committee-list' bucketing or use a calendar schedule at $.index.schedule"
    ]


def test_requires_names_the_missing_or_old_distribution(plugins: Plugins) -> None:
    from indexsmith import __version__

    base = {
        "id": "x",
        "schedule": {"use": "monthly"},
        "ranking": {"use": "company-market-cap"},
        "bucketing": {"use": "all"},
        "weighting": {"use": "equal"},
    }
    load({"index": dict(base, requires=[f"indexsmith>={__version__}", "pandas"])}, plugins)
    assert problems({"index": dict(base, requires=["indexsmith-nonexistent>=0.1"])}, plugins) == [
        "the definition requires indexsmith-nonexistent>=0.1, which is not installed at $.index.requires[0] "
        "— pip install 'indexsmith-nonexistent>=0.1'"
    ]
    assert problems({"index": dict(base, requires=["indexsmith>=99"])}, plugins) == [
        f"the definition requires indexsmith>=99, but indexsmith {__version__} is installed at "
        "$.index.requires[0] — pip install --upgrade 'indexsmith>=99'"
    ]
    assert problems({"index": dict(base, requires=["not a requirement!"])}, plugins)[0].startswith(
        "requirement 'not a requirement!' is not valid"
    )
