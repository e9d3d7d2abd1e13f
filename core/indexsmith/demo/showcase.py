"""``indexsmith demo``: the headline presets on the demo market, compared, with a factsheet.

The full demo builds the Russell-style 1000 and 2000, the S&P-style 500 and 500 Equal
Weight, the CRSP-style large- and small-cap bands, the Nasdaq-100-style and the Dow-style
indices from 2016 (the 2018 sell-off, the 2020 crash and recovery, 2022), two families
at a time in worker processes. Results are cached beside the demo market, keyed by the
source of every module that shapes them, so a second run only compares and reports. The
small demo builds the two-tier ``demo-tiers`` family over its three years.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import importlib.resources
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path

from indexsmith.analytics.statistics import StatisticsTable
from indexsmith.demo.cache import cache_dir, cache_name, demo_market, export
from indexsmith.demo.generator import DEFAULT_SEED, generate
from indexsmith.io import atomic_directory, atomic_file
from indexsmith.pipeline import BuildJob, run_job
from indexsmith.results.model import IndexResult
from indexsmith.results.store import read_results
from indexsmith.runners import ProcessPool

#: (preset family, indices kept) — None keeps every index of the preset.
HEADLINE: dict[str, tuple[tuple[str, tuple[str, ...] | None], ...]] = {
    "full": (
        ("sp-us-style", ("sp-500-style", "sp-500-equal-weight-style")),
        ("russell-us-style", ("russell-1000-style", "russell-2000-style")),
        ("crsp-us-style", ("crsp-us-large-cap-style", "crsp-us-small-cap-style")),
        ("nasdaq-100-style", None),
        ("dow-30-style", None),
    ),
    "small": (("demo-tiers", None),),
}
START = {"full": dt.date(2016, 1, 1), "small": None}
#: The index the relative statistics of the comparison use.
BENCHMARK = {"full": "sp-500-style", "small": None}
Progress = Callable[[str], None]


def code_hash() -> str:
    """Hash of the source of indexsmith and its built-in plugins (presets included)."""
    digest = hashlib.sha256()
    for package in ("indexsmith", "indexsmith_plugins"):
        root = importlib.resources.files(package)
        for path in sorted(Path(str(root)).rglob("*"), key=lambda p: p.as_posix()):
            if path.suffix in (".py", ".toml", ".html") and "__pycache__" not in path.parts:
                digest.update(path.relative_to(Path(str(root))).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def headline_results(size: str, progress: Progress, step: Callable[[], None] | None = None) -> Path:
    """The folder of built headline indices for ``size``, building it if it is not cached."""
    cache = cache_dir() / f"demo-results-{size}-{DEFAULT_SEED}-{code_hash()}"
    if (cache / "complete").exists():
        progress(f"using the cached demo results in {cache}")
        return cache
    market_dir = cache_dir() / cache_name(size, DEFAULT_SEED)
    if not (market_dir / "prices.parquet").exists():
        progress(f"generating the {size} demo market into {market_dir}")
        export(generate(size), market_dir, owned=True)
    with atomic_directory(cache, overwrite=True, owned=True) as tmp:
        jobs = [
            BuildJob(
                name=family,
                definition=family,
                market=functools.partial(demo_market, size),
                out=str(tmp / family),
                start=START[size],
                keep=keep,
            )
            for family, keep in HEADLINE[size]
        ]
        for family in ProcessPool(workers=2).map(run_job, jobs):
            progress(f"built {family}")
            if step:
                step()
        (tmp / "complete").write_text("ok\n", encoding="utf-8")
    return cache


def run(
    size: str, out: str | Path, progress: Progress, step: Callable[[], None] | None = None
) -> tuple[dict[str, IndexResult], StatisticsTable, str | None]:
    """Build (or reuse) the headline indices, copy them to ``out`` with the factsheet, and
    return them with their comparison (:func:`~indexsmith.reporting.compare.summary`)."""
    source = headline_results(size, progress, step)
    out = Path(out)
    with atomic_directory(out, overwrite=True) as tmp:
        for family in sorted(p for p in source.iterdir() if p.is_dir()):
            shutil.copytree(family, tmp / family.name)
    results = read_results([out / family for family, _ in HEADLINE[size]])
    table, note = report(size, source, results)
    with atomic_file(out / "factsheet.html") as tmp_file:
        shutil.copyfile(source / "factsheet.html", tmp_file)
    return results, table, note


def report(size: str, source: Path, results: dict[str, IndexResult]) -> tuple[StatisticsTable, str | None]:
    """The comparison and the factsheet of the cached results in ``source``, made once
    and kept beside them: the same results and code give the same figures and a
    byte-identical factsheet, whichever folder they are copied to."""
    from indexsmith.reporting import factsheet
    from indexsmith.reporting.compare import summary

    kept = source / "summary.pickle"
    if kept.is_file() and (source / "factsheet.html").is_file():
        with kept.open("rb") as file:
            table, note = pickle.load(file)
        return table, note
    table, note = summary(results, benchmark=BENCHMARK[size])
    factsheet.write(
        results,
        source / "factsheet.html",
        title=f"indexsmith demo — {size} demo market",
        benchmark=BENCHMARK[size],
        statistics=(table, note),
    )
    with atomic_file(kept) as tmp:
        tmp.write_bytes(pickle.dumps((table, note)))
    return table, note
