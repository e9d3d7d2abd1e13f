"""The command line: each bad input is one line on stderr and a non-zero exit."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.support import run_cli

run = run_cli


@pytest.fixture(autouse=True)
def _no_third_party(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INDEXSMITH_DISABLE_PLUGIN_AUTOLOAD", "1")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("market") / "demo"
    code, stdout, _ = run("market", "export", str(out), "--size", "small")
    assert code == 0, stdout
    return out


def test_validate_preset() -> None:
    code, out, _ = run("validate", "demo-tiers")
    assert code == 0
    assert out.startswith(
        "preset demo-tiers: valid — family 'demo-tiers' with 3 index(es): demo-large (large, float-cap)"
    )


def test_build_writes_each_index(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, stdout, _ = run("build", "demo-tiers", "--data", str(data_dir), "--out", str(out))
    assert code == 0, stdout
    assert "demo-large: 12 reviews" in stdout
    assert sorted(p.name for p in out.iterdir()) == [
        ".indexsmith-output",
        "demo-broad-equal",
        "demo-large",
        "demo-small",
    ]
    files = ["adjustments.parquet", "changes.parquet", "constituents.parquet", "exclusions.parquet"]
    files += ["levels.parquet", "membership.parquet", "trades.parquet", "turnover.parquet"]
    assert sorted(p.name for p in (out / "demo-large").iterdir()) == sorted([*files, "run.json"])
    levels = pd.read_parquet(out / "demo-large" / "levels.parquet")
    assert list(levels.columns) == [
        "date",
        "price_return",
        "total_return",
        "net_total_return",
        "divisor",
        "market_value",
    ]
    assert levels["price_return"].iloc[0] == 1000.0
    assert levels["date"].is_monotonic_increasing and levels["date"].is_unique
    assert (levels["total_return"] >= levels["net_total_return"] - 1e-9).all()
    assert (levels["net_total_return"] >= levels["price_return"] - 1e-9).all()
    constituents = pd.read_parquet(out / "demo-small" / "constituents.parquet")
    assert constituents.groupby("effective_date")["weight"].sum().round(12).eq(1).all()
    # 200 companies, less those chosen on the rank date that left the market before the
    # effective date (a Russell-style tier replaces nobody between reviews).
    counts = constituents.groupby("effective_date")["company_id"].nunique()
    securities = pd.read_parquet(data_dir / "securities.parquet")
    delisted = pd.to_datetime(securities["delisting_date"]).dropna()
    reviews = constituents.drop_duplicates("effective_date").set_index("effective_date")["rank_date"]
    quiet = [e for e, r in reviews.items() if not ((delisted > r) & (delisted <= e)).any()]
    assert (counts <= 200).all() and counts.loc[quiet].eq(200).all() and counts.min() < 200
    info = json.loads((out / "demo-large" / "run.json").read_text())
    assert info["definition"]["family"]["index"][0]["id"] == "demo-large"
    assert info["data"]["fingerprint"].startswith("sha256:")
    assert set(info["outputs"]) == set(files)
    # No temporary folder is left behind.
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_plugins_json_lists_builtins_per_stage() -> None:
    code, out, _ = run("plugins", "--json")
    assert code == 0
    rows = json.loads(out)
    stages = {kind for row in rows for kind in row["components"]}
    assert stages == {"schedule", "screen", "ranking", "bucketing", "weighting", "capping", "replacement"}
    weightings = next(r for r in rows if r["name"] == "indexsmith_plugins.weightings")
    assert weightings["distribution"] == "indexsmith"
    assert weightings["components"] == {"weighting": ["cap", "equal", "float-cap", "price", "style"]}


def test_components_json_has_params() -> None:
    code, out, _ = run("components", "--kind", "capping", "--json")
    assert code == 0
    rows = {row["name"]: row for row in json.loads(out)}
    assert set(rows) == {"sector", "single-name", "two-level"}
    row = rows["single-name"]
    assert row["params"] == [
        {
            "name": "max_weight",
            "type": "float",
            "required": True,
            "default": None,
            "help": "maximum weight of one security, e.g. 0.2 for 20%",
        }
    ]


def test_presets_lists_demo() -> None:
    code, out, _ = run("presets")
    assert code == 0 and "demo-tiers" in out


BAD_DEFINITIONS = {
    "unknown-component": (
        '[index]\nid = "x"\nschedule = { use = "monthly" }\nranking = { use = "company-market-cap" }\n'
        'bucketing = { use = "all" }\nweighting = { use = "flaot-cap" }\n',
        "error: no weighting named 'flaot-cap' at $.index.weighting.use in bad.toml — did you mean 'float-cap'? "
        "Available: cap, equal, float-cap, price, style (indexsmith 0.1.0)",
    ),
    "wrong-type": (
        '[index]\nid = "x"\nschedule = { use = "monthly" }\nranking = { use = "company-market-cap" }\n'
        'bucketing = { use = "all" }\nweighting = { use = "equal" }\n'
        'capping = { use = "single-name", params = { max_weight = "big" } }\n',
        "error: expected a number, got 'big' at $.index.capping.params.max_weight in bad.toml",
    ),
    "out-of-range": (
        '[index]\nid = "x"\nschedule = { use = "monthly" }\nranking = { use = "company-market-cap" }\n'
        'bucketing = { use = "all" }\nweighting = { use = "equal" }\n'
        'capping = { use = "single-name", params = { max_weight = 0 } }\n',
        "error: 'max_weight' must be > 0: 0.0 at $.index.capping.params.max_weight in bad.toml — maximum weight of one security, e.g. 0.2 for 20%",
    ),
    "unknown-key": (
        '[index]\nid = "x"\nschedule = { use = "monthly" }\nranking = { use = "company-market-cap" }\n'
        'bucketing = { use = "all" }\nweighting = { use = "equal" }\nweigth = 3\n',
        "error: unknown key weigth (did you mean 'weighting'?) at $.index in bad.toml",
    ),
    "missing-key": (
        '[index]\nid = "x"\nschedule = { use = "monthly" }\nbucketing = { use = "all" }\nweighting = { use = "equal" }\n',
        "error: required key missing at $.index.ranking in bad.toml",
    ),
    "bucket": (
        '[index]\nid = "x"\nschedule = { use = "monthly" }\nranking = { use = "company-market-cap" }\n'
        'bucketing = { use = "all" }\nbuckets = ["large"]\nweighting = { use = "equal" }\n',
        "error: bucket 'large' is not produced by bucketing 'all' at $.index.buckets[0] in bad.toml — it produces: all",
    ),
    "malformed": (
        '[index\nid = "x"\n',
        "error: malformed TOML: Expected ']' at the end of a table declaration (at line 1, column 7) in bad.toml — fix the syntax",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_DEFINITIONS))
def test_bad_definition_is_one_line(case: str, tmp_path: Path) -> None:
    text, expected = BAD_DEFINITIONS[case]
    path = tmp_path / "bad.toml"
    path.write_text(text)
    code, out, err = run("validate", str(path))
    assert code == 1
    assert out == ""
    assert err == expected + "\n"


def test_missing_data_directory(tmp_path: Path) -> None:
    code, _, err = run("build", "demo-tiers", "--data", str(tmp_path / "none"), "--out", str(tmp_path / "o"))
    assert code == 1
    assert err.startswith(
        f"error: market-data directory {tmp_path / 'none'} does not exist — pass --data DIR"
    )
    assert not (tmp_path / "o").exists()


def test_non_empty_output_is_refused(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    code, _, err = run("build", "demo-tiers", "--data", str(data_dir), "--out", str(out))
    assert code == 1
    assert (
        err
        == f"error: output folder {out} is not empty — choose an empty or new folder, or pass --overwrite\n"
    )
    assert (out / "keep.txt").read_text() == "mine"
    # --overwrite replaces only a folder indexsmith wrote (issue 18): a foreign file is kept.
    code, _, err = run("build", "demo-tiers", "--data", str(data_dir), "--out", str(out), "--overwrite")
    assert code == 1
    assert "holds files indexsmith did not write" in err
    assert (out / "keep.txt").read_text() == "mine"
    (out / "keep.txt").unlink()
    code, _, _ = run("build", "demo-tiers", "--data", str(data_dir), "--out", str(out))
    assert code == 0
    code, _, _ = run("build", "demo-tiers", "--data", str(data_dir), "--out", str(out), "--overwrite")
    assert code == 0
    assert (out / ".indexsmith-output").exists()


def test_component_error_in_a_step(tmp_path: Path, data_dir: Path) -> None:
    path = tmp_path / "tight.toml"
    path.write_text(
        '[index]\nid = "x"\nschedule = { use = "monthly" }\nranking = { use = "company-market-cap" }\n'
        'bucketing = { use = "count-tiers", params = { tiers = [ { name = "top", count = 3 } ] } }\n'
        'weighting = { use = "equal" }\ncapping = { use = "single-name", params = { max_weight = 0.1 } }\n'
    )
    code, _, err = run("build", str(path), "--data", str(data_dir), "--out", str(tmp_path / "o"))
    assert code == 1
    assert err == (
        "error: capping 'single-name' from plugin 'indexsmith_plugins.cappings' (indexsmith 0.1.0) raised "
        "ValueError: 3 members cannot meet max_weight 0.1; at least 10 are needed on review with rank date "
        "2019-01-24 (effective 2019-01-31)\n"
    )
    assert not (tmp_path / "o").exists()


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[index\n")
    result = subprocess.run(
        [sys.executable, "-m", "indexsmith.cli", "--debug", "validate", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert "indexsmith.errors.DefinitionError: malformed TOML" in result.stderr
    plain = subprocess.run(
        [sys.executable, "-m", "indexsmith.cli", "validate", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert plain.returncode == 1
    assert plain.stderr.count("\n") == 1 and "Traceback" not in plain.stderr


def test_demo_builds_compares_and_writes(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    code, stdout, err = run("demo", "--out", str(out), "--size", "small")
    assert code == 0, err
    for index_id in ("demo-large", "demo-small", "demo-broad-equal"):
        assert (out / "demo-tiers" / index_id / "levels.parquet").exists()
    assert (out / "factsheet.html").stat().st_size > 50_000
    assert "Headline indices on the small demo market" in stdout
    large = pd.read_parquet(out / "demo-tiers" / "demo-large" / "constituents.parquet")
    last = large[large["effective_date"] == large["effective_date"].max()]
    assert f"{last['company_id'].nunique()}" in stdout  # constituents at the last review
    # A second run reuses the cached results and writes the same factsheet.
    first = (out / "factsheet.html").read_bytes()
    code, _, err = run("demo", "--out", str(out), "--size", "small")
    assert code == 0 and "using the cached demo results" in err
    assert (out / "factsheet.html").read_bytes() == first
