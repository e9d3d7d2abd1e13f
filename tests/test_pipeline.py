"""The build path and its runners: every way of building gives the same files."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import indexsmith
from indexsmith.demo import demo_market
from indexsmith.pipeline import BuildJob, build, run_job
from indexsmith.runners import ProcessPool, Sequential


def digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_the_facade_is_the_pipeline() -> None:
    assert indexsmith.build is build


def test_sequential_and_process_pool_write_the_same_files(tmp_path: Path) -> None:
    jobs = [
        BuildJob(
            name=name,
            definition=name,
            market=functools.partial(demo_market, "small"),
            out=str(tmp_path / runner / name),
            keep=keep,
        )
        for runner in ("sequential", "pool")
        for name, keep in (("demo-tiers", ("demo-large", "demo-broad-equal")), ("nasdaq-100-style", None))
    ]
    assert list(Sequential().map(run_job, jobs[:2])) == ["demo-tiers", "nasdaq-100-style"]
    assert sorted(ProcessPool(workers=2).map(run_job, jobs[2:])) == ["demo-tiers", "nasdaq-100-style"]
    sequential, pool = digests(tmp_path / "sequential"), digests(tmp_path / "pool")
    assert sequential == pool
    assert {name.split("/")[1] for name in sequential if name.startswith("demo-tiers/")} == {
        ".indexsmith-output",
        "demo-large",
        "demo-broad-equal",
    }
    assert "nasdaq-100-style/nasdaq-100-style/levels.parquet" in sequential
