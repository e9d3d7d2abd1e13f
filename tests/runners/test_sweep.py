"""Sweeps on the small demo market: the same summary bytes from every runner (this
process, a process pool, a real Dask LocalCluster), resumption, a failing variant, stage
sharing that changes no number, and the runner hook."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import pandas as pd
import pytest
from indexsmith import Plugins, hookimpl, sweep
from indexsmith.definition.sweep import load_sweep
from indexsmith.runners import Local, ProcessPool, Runner, Sequential
from indexsmith.runners.api import sweep_market
from indexsmith.runners.sweep import run_sweep

from tests.support import run_cli

COUNT = "family.bucketing.params.tiers[0].count"
WEIGHTING = "family.index[0].weighting.use"
#: Four variants of the large tier (two tier counts x two weightings), built from 2021.
SPEC = {
    "sweep": {
        "definition": "demo-tiers",
        "index": "demo-large",
        "axes": {COUNT: [60, 100], WEIGHTING: ["float-cap", "equal"]},
    }
}
START = dt.date(2021, 1, 1)


def files(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in ("summary.parquet", "summary.csv")}


@pytest.fixture(scope="module")
def sequential(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sweep") / "sequential"
    sweep(SPEC, "demo:small", out, start=START, plugins=Plugins(autoload=False))
    return out


def test_the_summary_has_one_row_per_variant_with_its_axes_and_statistics(sequential: Path) -> None:
    frame = pd.read_parquet(sequential / "summary.parquet")
    assert list(frame.columns[:7]) == [
        "variant",
        "definition_hash",
        "index",
        COUNT,
        WEIGHTING,
        "status",
        "error",
    ]
    assert frame["variant"].tolist() == ["v01", "v02", "v03", "v04"]
    assert frame[COUNT].tolist() == [60, 60, 100, 100]
    assert frame[WEIGHTING].tolist() == ["float-cap", "equal", "float-cap", "equal"]
    assert (frame["status"] == "ok").all() and (frame["index"] == "demo-large").all()
    # Real statistics: the count changes the members, the weighting the returns.
    assert frame["companies"].tolist()[::2] == [60, 100]
    assert len(set(frame["annualised_return"].round(12))) == 4
    assert frame["annualised_volatility"].between(0.01, 1.0).all()
    csv = pd.read_csv(sequential / "summary.csv")
    assert csv["definition_hash"].tolist() == frame["definition_hash"].tolist()
    html = (sequential / "sweep.html").read_text(encoding="utf-8")
    assert "4 variants (0 failed)" in html and html.count("data:image/png;base64,") == 2
    assert sorted(p.name for p in (sequential / "plots").iterdir()) == [
        "family-bucketing-params-tiers-0-count.png",
        "family-index-0-weighting-use.png",
    ]


def test_a_process_pool_and_a_dask_cluster_write_the_same_bytes(sequential: Path, tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    plugins = Plugins(autoload=False)
    sweep(SPEC, "demo:small", tmp_path / "pool", start=START, workers=2, plugins=plugins)
    assert files(tmp_path / "pool") == files(sequential)
    began = time.perf_counter()
    sweep(SPEC, "demo:small", tmp_path / "dask", start=START, workers=2, executor="dask", plugins=plugins)
    assert files(tmp_path / "dask") == files(sequential)
    assert time.perf_counter() - began < 120


def test_a_rerun_builds_only_what_is_not_recorded(sequential: Path, tmp_path: Path) -> None:
    out = tmp_path / "resume"
    plugins = Plugins(autoload=False)
    definition = load_sweep(SPEC, plugins)
    market = sweep_market("demo:small", definition, plugins)
    seen: list[tuple[int, int, int]] = []
    run_sweep(definition, market, out, Sequential(), start=START, progress=lambda *p: seen.append(p))
    assert seen[0] == (0, 0, 4) and seen[-1] == (4, 0, 4)
    removed = out / "variants" / f"{definition.variants[2].digest}.json"
    removed.unlink()
    seen.clear()
    run_sweep(definition, market, out, Sequential(), start=START, progress=lambda *p: seen.append(p))
    assert seen == [(3, 0, 4), (4, 0, 4)]  # three resumed, one built
    assert files(out) == files(sequential)
    # Other dates are another sweep's records: everything is built again.
    seen.clear()
    run_sweep(
        definition, market, out, Sequential(), start=dt.date(2021, 6, 1), progress=lambda *p: seen.append(p)
    )
    assert seen[0] == (0, 0, 4)


def test_a_failing_variant_is_recorded_and_the_others_go_on(tmp_path: Path) -> None:
    spec = {
        "sweep": {
            "definition": "demo-tiers",
            "index": "demo-large",
            "axes": {"family.start": ["2021-01-01", "2030-01-01"]},
        }
    }
    frame = sweep(spec, "demo:small", tmp_path / "out", plugins=Plugins(autoload=False))
    assert frame["status"].tolist() == ["ok", "failed"]
    assert frame["error"].tolist()[1] == (
        "the definition's start 2030-01-01 is after the data's last session 2021-12-31 — choose a start on or before the end "
        "(the data covers 2019-01-02..2021-12-31)"
    )
    record = json.loads((tmp_path / "out" / "variants" / f"{frame['definition_hash'][1]}.json").read_text())
    assert record["status"] == "failed" and record["rows"] == []
    assert frame["annualised_return"].notna().tolist() == [True, False]


def test_sharing_the_leading_stages_changes_no_number(sequential: Path, tmp_path: Path) -> None:
    sweep(SPEC, "demo:small", tmp_path / "alone", start=START, share=False, plugins=Plugins(autoload=False))
    assert files(tmp_path / "alone") == files(sequential)


def test_kept_results_are_written_per_variant(tmp_path: Path) -> None:
    spec = {"sweep": {**SPEC["sweep"], "axes": {COUNT: [60]}}}
    frame = sweep(
        spec, "demo:small", tmp_path / "out", start=START, keep_results=True, plugins=Plugins(autoload=False)
    )
    folder = tmp_path / "out" / "results" / frame["definition_hash"][0] / "demo-large"
    assert (folder / "levels.parquet").is_file() and (folder / "run.json").is_file()


class Reversed(Runner):
    """A runner from a plugin: every task in this process, the last first."""

    remote = False

    def map(self, function, tasks):  # type: ignore[no-untyped-def]
        for task in reversed(list(tasks)):
            yield function(task)


def test_a_plugin_registers_a_runner_through_the_hook(sequential: Path, tmp_path: Path) -> None:
    class Plugin:
        @staticmethod
        @hookimpl
        def indexsmith_register_runners(register) -> None:  # type: ignore[no-untyped-def]
            register("reversed", Reversed)

    plugins = Plugins(autoload=False)
    plugins.register(Plugin(), name="reversing")
    assert [e.name for e in plugins.runners()] == ["dask", "local", "reversed"]
    assert isinstance(Local(workers=2).runner, ProcessPool) and isinstance(Local().runner, Sequential)
    sweep(SPEC, "demo:small", tmp_path / "out", start=START, executor="reversed", plugins=plugins)
    assert files(tmp_path / "out") == files(sequential)


def test_bad_command_lines_are_one_line_each(tmp_path: Path) -> None:
    path = tmp_path / "sweep.toml"
    path.write_text(
        '[sweep]\ndefinition = "demo-tiers"\n[sweep.axes]\n"family.index[2].capping.params.max_weight" = [0.05]\n',
        encoding="utf-8",
    )
    began = time.perf_counter()
    code, _, err = run_cli(
        "sweep",
        str(path),
        "--demo",
        "small",
        "--out",
        str(tmp_path / "o"),
        "--executor",
        "dask",
        "--address",
        "tcp://127.0.0.1:9",
    )
    assert code == 1 and err.count("\n") == 1
    assert err.startswith("error: cannot reach a Dask scheduler at --address tcp://127.0.0.1:9 within 5 s")
    assert time.perf_counter() - began < 30
    code, _, err = run_cli(
        "sweep", str(path), "--demo", "small", "--out", str(tmp_path / "o"), "--executor", "rey"
    )
    assert (code, err.count("\n")) == (1, 1) and "no runner named 'rey' at --executor" in err
    code, _, err = run_cli(
        "sweep", str(path), "--demo", "small", "--out", str(tmp_path / "o"), "--sort", "sharp"
    )
    assert (code, err.count("\n")) == (1, 1) and "did you mean 'sharpe'?" in err
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "mine.txt").write_text("x")
    code, _, err = run_cli("sweep", str(path), "--demo", "small", "--out", str(tmp_path / "full"))
    assert (code, err.count("\n")) == (1, 1) and "holds no sweep" in err


def test_other_data_is_compiled_once_where_workers_open_it(sequential: Path, tmp_path: Path) -> None:
    from indexsmith.demo.cache import cache_dir, cache_name

    folder = cache_dir() / cache_name("small", 32)  # the demo market's tables, in the documented format
    sweep(SPEC, str(folder), tmp_path / "out", start=START, plugins=Plugins(autoload=False))
    assert files(tmp_path / "out") == files(sequential)
    manifest = json.loads((tmp_path / "out" / "sweep.json").read_text())
    compiled = cache_dir() / "compiled" / manifest["market"].removeprefix("sha256:")[:16]
    assert (compiled / "meta.json").is_file() and (compiled / "daily.close.npy").is_file()
