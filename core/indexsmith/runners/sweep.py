"""Running a sweep: every variant of a :class:`~indexsmith.definition.sweep.Sweep` built on
one market by a :class:`~indexsmith.runners.Runner`, and the tidy summary of them all.

* **One data load.** The market is compiled once (its memory-mapped folder,
  :mod:`indexsmith.data.compiled`; the demo cache already holds one) and each worker opens
  it by path once per process (:class:`SweepMarket`); tasks carry only that path.
* **Stage sharing.** Variants are grouped by the stages they share in front (schedule,
  universe, ranking: a hash of those tables); a group runs as few tasks as the workers
  allow, and one worker keeps one :class:`~indexsmith.engine.StageMemo` for the group, so
  the market is screened and ranked once per group and worker, not once per variant.
* **Failures and resumption.** A variant that fails is recorded with its one-line error
  and the others go on. Each finished variant leaves a record (``variants/HASH.json``)
  written atomically as it arrives; a rerun on the same market skips the variants whose
  record has the same definition hash.
* **Outputs.** ``summary.parquet`` and ``summary.csv`` (one row per variant and index, in
  variant order: byte-identical whatever the runner), the sweep factsheet
  (:mod:`indexsmith.reporting.sweep`), and per-variant result folders only when asked
  (``results/HASH``, written by the worker).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pandas as pd

from indexsmith.analytics.rows import index_statistics
from indexsmith.data.compiled import load_compiled, save_compiled
from indexsmith.data.market import Market
from indexsmith.definition.resolve import relative_to
from indexsmith.definition.sweep import Sweep, Variant
from indexsmith.demo.cache import cache_dir
from indexsmith.engine import StageMemo
from indexsmith.errors import DataError, IndexsmithError, OutputError, Problem
from indexsmith.io import MARKER, atomic_file, output_lock, write_parquet
from indexsmith.pipeline import build
from indexsmith.plugin.manager import Plugins
from indexsmith.reporting import sweep as factsheet
from indexsmith.results.store import write_build
from indexsmith.runners.base import Runner

#: Called as variants finish: (done, failed, total).
SweepProgress = Callable[[int, int, int], None]
#: The columns every summary starts with; the axes follow, then the statistics.
FIRST = ("variant", "definition_hash", "index")
AFTER_AXES = ("status", "error")
MANIFEST = "sweep.json"

# -- the market, opened once per process ----------------------------------------------------

_OPEN: dict[str, Market] = {}


@attrs.frozen
class SweepMarket:
    """Where workers open the sweep's market: a compiled folder, memory-mapped, opened once
    per process. ``fingerprint`` is the market's, which records carry for resumption."""

    folder: str
    fingerprint: str

    def open(self) -> Market:
        market = _OPEN.get(self.folder)
        if market is None:
            market = load_compiled(Path(self.folder))
            if market is None:
                raise DataError(
                    [
                        Problem(
                            f"the compiled market {self.folder} cannot be opened by this worker",
                            hint="workers of a cluster need the folder on a shared file system",
                        )
                    ]
                )
            _OPEN[self.folder] = market
        return market


def share_market(market: Market, compiled: str | Path | None = None) -> SweepMarket:
    """The market as workers open it: ``compiled`` (a folder it was loaded from, such as the
    demo cache's) or a compiled copy in the cache, made once per market fingerprint. The
    market itself is kept for tasks run in this process."""
    fingerprint = market.fingerprint()
    if compiled is None or load_compiled(Path(compiled)) is None:
        compiled = cache_dir() / "compiled" / fingerprint.removeprefix("sha256:")[:16]
        if load_compiled(compiled) is None:
            save_compiled(market, compiled)
    folder = str(Path(compiled).resolve())
    _OPEN[folder] = market
    return SweepMarket(folder, fingerprint)


# -- tasks: what a worker runs ----------------------------------------------------------------


@attrs.frozen
class SweepTask:
    """Variants of one group to build in one worker, one after the other."""

    group: str
    variants: tuple[Variant, ...]
    market: SweepMarket
    start: dt.date | None
    end: dt.date | None
    results: str | None
    share: bool


_PLUGINS: list[Plugins] = []
_MEMO: dict[str, StageMemo] = {}


def run_task(task: SweepTask) -> list[dict[str, Any]]:
    """Build each variant of ``task`` (sharing one memo when ``task.share``): one record each."""
    market = task.market.open()
    if not _PLUGINS:
        _PLUGINS.append(Plugins())
    memo = None
    if task.share:  # one group's memo per process: consecutive tasks of a group reuse it
        memo = _MEMO.get(task.group)
        if memo is None:
            _MEMO.clear()
            memo = _MEMO[task.group] = StageMemo()
    return [_run_variant(task, variant, market, memo) for variant in task.variants]


def _run_variant(task: SweepTask, variant: Variant, market: Market, memo: StageMemo | None) -> dict[str, Any]:
    began = time.perf_counter()
    record: dict[str, Any] = {
        "variant": variant.id,
        "digest": variant.digest,
        "market": task.market.fingerprint,
        "window": [str(task.start) if task.start else None, str(task.end) if task.end else None],
    }
    try:
        with relative_to(variant.folder):
            result = build(
                variant.raw, market, plugins=_PLUGINS[0], start=task.start, end=task.end, memo=memo
            )
        rows = [
            {"index": index_id, "statistics": _plain(index_statistics(index))}
            for index_id, index in result.indices.items()
        ]
        if task.results is not None:
            write_build(result, Path(task.results) / variant.digest, overwrite=True, nested=True)
        record.update(status="ok", error="", rows=rows)
    except IndexsmithError as exc:
        record.update(status="failed", error=_one_line(str(exc)), rows=[])
    except Exception as exc:  # an internal error in one variant must not stop the others
        record.update(status="failed", error=_one_line(f"{type(exc).__name__}: {exc}"), rows=[])
    record["seconds"] = round(time.perf_counter() - began, 3)
    return record


def _one_line(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 400 else text[:397] + "..."


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """Statistics as JSON values: dates as ISO text, numbers as Python numbers."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, (pd.Timestamp, dt.date)):
            out[name] = value.strftime("%Y-%m-%d")
        elif isinstance(value, (bool, np.bool_)):
            out[name] = bool(value)
        elif isinstance(value, (int, np.integer)):
            out[name] = int(value)
        elif isinstance(value, (float, np.floating)):
            out[name] = float(value)  # NaN stays NaN: JSON records read it back as one
        elif value is None:
            out[name] = None
        else:
            out[name] = str(value)
    return out


def tasks_of(
    sweep: Sweep,
    market: SweepMarket,
    *,
    workers: int,
    skip: frozenset[str] = frozenset(),
    start: dt.date | None = None,
    end: dt.date | None = None,
    results: str | None = None,
    share: bool = True,
) -> list[SweepTask]:
    """The variants not in ``skip`` (definition hashes), grouped by the stages they share in
    front and cut into tasks small enough to keep ``workers`` busy and the progress moving."""
    todo = [v for v in sweep.variants if v.digest not in skip]
    groups: dict[str, list[Variant]] = {}
    for variant in todo:
        groups.setdefault(_prefix(variant.raw), []).append(variant)
    size = max(1, min(16, math.ceil(len(todo) / (max(1, workers) * 4))))
    return [
        SweepTask(key, tuple(members[i : i + size]), market, start, end, results, share)
        for key, members in groups.items()
        for i in range(0, len(members), size)
    ]


def _prefix(raw: dict[str, Any]) -> str:
    """A hash of the tables a variant's leading stages read (schedule, universe, ranking)."""
    root = raw.get("family") or raw.get("index") or {}
    keys = ("calendar", "start", "end", "schedule", "universe", "ranking", "missing_data", "vocabulary")
    shared = {key: root.get(key) for key in keys}
    text = json.dumps(shared, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# -- the driver -----------------------------------------------------------------------------------


def check_out(out: Path) -> None:
    """Refuse, before any work, an ``out`` that is neither new, empty nor a sweep's folder."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"output {out} exists and is not a directory — choose another --out")
    if out.is_dir() and any(out.iterdir()) and not (out / MANIFEST).is_file():
        raise OutputError(
            f"output folder {out} is not empty and holds no sweep ({MANIFEST}) — choose an empty or new "
            "folder, or the folder of the sweep to resume"
        )


def run_sweep(
    sweep: Sweep,
    market: SweepMarket,
    out: str | Path,
    runner: Runner,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    keep_results: bool = False,
    share: bool = True,
    statistic: str = "annualised_return",
    progress: SweepProgress | None = None,
    plugins: Plugins | None = None,
) -> pd.DataFrame:
    """Build every variant not already recorded in ``out`` and write the summary and the
    factsheet of ``statistic`` against each axis; returns the summary. Variants built in
    this process use ``plugins``; workers of other processes their installed plugins."""
    out = Path(out)
    if plugins is not None and not runner.remote:
        _PLUGINS[:] = [plugins]
    check_out(out)
    with output_lock(out):
        (out / "variants").mkdir(parents=True, exist_ok=True)
        (out / MARKER).touch()
        _write_json(out / MANIFEST, _manifest(sweep, market, start, end))
        window = [str(start) if start else None, str(end) if end else None]
        records = _records(out / "variants", sweep, market.fingerprint, window)
        skip = frozenset(d for d, r in records.items() if r["status"] == "ok")
        tasks = tasks_of(
            sweep,
            market,
            workers=runner.workers or 1,
            skip=skip,
            start=start,
            end=end,
            results=str((out / "results").resolve()) if keep_results else None,
            share=share,
        )
        done = len(skip)
        failed = 0
        if progress:
            progress(done, failed, len(sweep))
        for finished in runner.map(run_task, tasks) if tasks else ():
            for record in finished:
                _write_json(out / "variants" / f"{record['digest']}.json", record)
                records[record["digest"]] = record
                done += 1
                failed += record["status"] != "ok"
            if progress:
                progress(done, failed, len(sweep))
        frame = summary(sweep, records)
        with atomic_file(out / "summary.parquet") as tmp:
            write_parquet(frame, tmp)
        with atomic_file(out / "summary.csv") as tmp:
            frame.to_csv(tmp, index=False)
        factsheet.write(frame, sweep.axes, statistic, out, title=f"Sweep {sweep.source}")
    return frame


def _manifest(
    sweep: Sweep, market: SweepMarket, start: dt.date | None, end: dt.date | None
) -> dict[str, Any]:
    return {
        "source": sweep.source,
        "market": market.fingerprint,
        "window": [str(start) if start else None, str(end) if end else None],
        "axes": list(sweep.axes),
        "variants": [{"variant": v.id, "digest": v.digest, "values": v.values} for v in sweep.variants],
    }


def _write_json(path: Path, data: Any) -> None:
    with atomic_file(path) as tmp:
        tmp.write_text(json.dumps(data, indent=1, default=str) + "\n", encoding="utf-8")


def _records(
    folder: Path, sweep: Sweep, fingerprint: str, window: list[str | None]
) -> dict[str, dict[str, Any]]:
    """The records of this sweep's variants already in ``folder`` for the same market and dates."""
    found = {}
    for variant in sweep.variants:
        path = folder / f"{variant.digest}.json"
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if (
            isinstance(record, dict)
            and record.get("digest") == variant.digest
            and record.get("market") == fingerprint
            and record.get("window") == window
        ):
            found[variant.digest] = record
    return found


def summary(sweep: Sweep, records: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """One row per variant and index, in variant order: its id, definition hash, index, axis
    values, status, error and statistics (by name)."""
    rows: list[dict[str, Any]] = []
    for variant in sweep.variants:
        record = records.get(variant.digest)
        values = {"base": variant.base, **variant.values} if "base" in sweep.axes else dict(variant.values)
        head = {"variant": variant.id, "definition_hash": variant.digest}
        if record is None or record["status"] != "ok" or not record["rows"]:
            status, error = (record["status"], record["error"]) if record else ("not built", "")
            rows.append({**head, "index": variant.index or "", **values, "status": status, "error": error})
            continue
        for row in record["rows"]:
            rows.append(
                {**head, "index": row["index"], **values, "status": "ok", "error": "", **row["statistics"]}
            )
    frame = pd.DataFrame(rows)
    for column in sweep.axes:
        frame[column] = _axis_column(frame[column].tolist())
    for column in ("status", "error", "index"):
        frame[column] = frame[column].astype(object)
    return frame


def _axis_column(values: Sequence[Any]) -> list[Any]:
    """Axis values as one type: numbers stay numbers (floats when mixed), text stays text,
    anything else (tables, lists, a mix) is JSON text."""
    kinds = {type(v) for v in values}
    if kinds <= {int} or kinds <= {bool} or kinds <= {str}:
        return list(values)
    if kinds <= {int, float}:
        return [float(v) for v in values]
    return [v if isinstance(v, str) else json.dumps(v, sort_keys=True, default=str) for v in values]


def sorted_summary(frame: pd.DataFrame, statistic: str, *, ascending: bool = False) -> pd.DataFrame:
    """The summary sorted by ``statistic`` (failed variants last); an unknown statistic is an
    :class:`OutputError` listing the statistics the summary has."""
    stats = statistic_columns(frame)
    if statistic not in stats:
        import difflib

        close = difflib.get_close_matches(statistic, stats, n=1)
        raise OutputError(
            f"the summary has no statistic '{statistic}' — "
            + (f"did you mean '{close[0]}'? " if close else "")
            + f"statistics: {', '.join(stats[:20])}{', ...' if len(stats) > 20 else ''}"
        )
    return frame.sort_values(statistic, ascending=ascending, kind="stable", na_position="last")


def statistic_columns(frame: pd.DataFrame) -> list[str]:
    """The statistic columns of a summary (everything after ``status`` and ``error``)."""
    columns = list(frame.columns)
    return columns[columns.index("error") + 1 :] if "error" in columns else []
