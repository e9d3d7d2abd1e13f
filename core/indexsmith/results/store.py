"""Result folders on disk: the one writer and the one reader.

A folder holds one index: ``constituents``, ``changes`` and ``exclusions`` (and, with levels,
``levels``, ``turnover``, ``trades``, ``adjustments``, ``membership`` and ``stale_prices``
when a close was carried) as Parquet, and ``run.json`` with the provenance and the SHA-256 of every output.
Outputs are deterministic: rows are sorted, dtypes fixed and no clock time is written, so
the same definition on the same data gives byte-identical files. A build's folder is
written under a temporary name and moved into place only when complete.

New output formats go here, beside :func:`write_index`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from indexsmith.calculation.levels import Calculation
from indexsmith.errors import OutputError
from indexsmith.io import atomic_directory, write_parquet
from indexsmith.results.model import BuildResult, IndexResult

#: Files every index folder with levels holds, and those it may hold.
REQUIRED_FILES = ("constituents.parquet", "levels.parquet", "run.json")
OPTIONAL_FILES = (
    "changes.parquet",
    "exclusions.parquet",
    "turnover.parquet",
    "trades.parquet",
    "adjustments.parquet",
    "membership.parquet",
    "pro_forma.parquet",
    "pro_forma_changes.parquet",
)


# -- writing -------------------------------------------------------------------------------


def write_index(result: IndexResult, directory: Path) -> None:
    """Write one index's files into an existing directory."""
    outputs = {}
    tables = [
        ("constituents", result.constituents),
        ("changes", result.changes),
        ("exclusions", result.exclusions),
    ]
    if result.calculation is not None:
        calc = result.calculation
        tables += [
            ("levels", calc.levels),
            ("turnover", calc.turnover),
            ("trades", calc.trades),
            ("adjustments", calc.events),
        ]
        if len(calc.stale):
            tables.append(("stale_prices", calc.stale))
    if result.membership is not None:
        tables.append(("membership", result.membership))
    if result.pro_forma is not None and result.pro_forma_changes is not None:
        tables += [("pro_forma", result.pro_forma), ("pro_forma_changes", result.pro_forma_changes)]
    for name, frame in tables:
        path = directory / f"{name}.parquet"
        write_parquet(frame, path)
        outputs[path.name] = "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    info = dict(result.run_info, outputs=outputs)
    (directory / "run.json").write_text(json.dumps(info, indent=2, sort_keys=False) + "\n", encoding="utf-8")


def write_build(build: BuildResult, out: Path, *, overwrite: bool = False, nested: bool = False) -> Path:
    """Write every index of a build, all at once: flat in ``out`` for a single index (unless
    ``nested``), one folder per index (named by its id) otherwise."""
    with atomic_directory(out, overwrite=overwrite) as tmp:
        if len(build.indices) == 1 and not nested:
            write_index(next(iter(build.indices.values())), tmp)
        else:
            for index_id, result in build.indices.items():
                (tmp / index_id).mkdir()
                write_index(result, tmp / index_id)
    return out


# -- reading -------------------------------------------------------------------------------


def result_folders(paths: list[str | Path]) -> list[Path]:
    """Index result folders named by ``paths``: a folder with ``run.json`` is one index; any
    other folder stands for every index folder below it (a family, or the demo's output)."""
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if not path.is_dir():
            raise OutputError(
                f"result folder {path} does not exist — build it with 'indexsmith build ... --out {path}'"
            )
        if (path / "run.json").exists():
            out.append(path)
            continue
        # Family folders, demo folders; not hidden ones (a killed build's temporary folder).
        inner = sorted(
            p.parent
            for p in path.rglob("run.json")
            if not any(part.startswith(".") for part in p.relative_to(path).parts)
        )
        if not inner:
            raise OutputError(f"{path} holds no index results (no run.json in it or its sub-folders)")
        out.extend(inner)
    return out


def read_result(
    path: str | Path, *, accept_modified: bool = False, warn: Callable[[str], None] | None = None
) -> IndexResult:
    """An index result folder written by ``indexsmith build`` (levels included).

    Every output is checked against the SHA-256 that ``run.json`` records for it: a file
    changed, missing or added after the build is an :class:`OutputError` — or, with
    ``accept_modified``, a warning passed to ``warn``.
    """
    path = Path(path)
    for name in REQUIRED_FILES:
        if not (path / name).is_file():
            raise OutputError(
                f"result folder {path} is missing {name} — build it again with 'indexsmith build' (an "
                "interrupted or older build leaves folders incomplete)"
            )
    info = _run_info(path)
    for problem in _verify(path, info):
        if not accept_modified:
            raise OutputError(
                f"{problem} — build it again, or pass --accept-modified to use the folder as it is"
            )
        if warn is not None:
            warn(f"{problem}; used as it is (--accept-modified)")
    tables = {
        name.rsplit(".", 1)[0]: _read_table(path / name)
        for name in (*REQUIRED_FILES[:2], *OPTIONAL_FILES)
        if (path / name).exists()
    }
    levels = tables["levels"]
    if "date" not in levels or "total_return" not in levels or not len(levels):
        raise OutputError(f"{path / 'levels.parquet'} holds no levels — build the index again")
    if not np.isfinite(pd.to_numeric(levels["total_return"], errors="coerce")).all():
        raise OutputError(
            f"{path / 'levels.parquet'} has levels that are not finite numbers — build the index again"
        )
    constituents = tables["constituents"]
    empty = pd.DataFrame()
    calculation = Calculation(
        levels=levels,
        holdings=constituents[["effective_date", "security_id", "index_shares"]]
        if "index_shares" in constituents
        else empty,
        turnover=tables.get("turnover", empty),
        trades=tables.get("trades", empty),
        events=tables.get("adjustments", empty),
        stale=empty,
    )
    index_id = info.get("index_id", path.name)
    return IndexResult(
        index_id if isinstance(index_id, str) else path.name,
        constituents,
        tables.get("changes", empty),
        tables.get("exclusions", empty),
        info,
        calculation,
        membership=tables.get("membership"),
    )


def _run_info(path: Path) -> dict[str, Any]:
    file = path / "run.json"
    try:
        info = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        reason = (
            "not UTF-8"
            if isinstance(exc, UnicodeDecodeError)
            else f"not JSON ({exc.msg} at line {exc.lineno})"
        )
        raise OutputError(f"{file} is damaged ({reason}) — build the index again") from None
    if not isinstance(info, dict) or not isinstance(info.get("outputs"), dict):
        raise OutputError(f"{file} is not the record of a build (no 'outputs' table) — build the index again")
    return info


def _verify(path: Path, info: dict[str, Any]) -> list[str]:
    """What differs from the SHA-256 of each output recorded in run.json."""
    recorded = info["outputs"]
    problems = []
    for name, digest in sorted(recorded.items()):
        file = path / str(name)
        if not file.is_file():
            problems.append(f"{name} is listed in {path / 'run.json'} but missing from {path}")
        elif digest != "sha256:" + hashlib.sha256(file.read_bytes()).hexdigest():
            problems.append(
                f"{file} does not match the SHA-256 recorded in run.json (it was changed after the build)"
            )
    for file in sorted(path.glob("*.parquet")):
        if file.name not in recorded:
            problems.append(
                f"{file} is not one of the outputs run.json records (it was added after the build)"
            )
    return problems


def _read_table(file: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(file)
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError... for a damaged file
        reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise OutputError(f"{file} cannot be read as Parquet ({reason}) — build the index again") from None


def read_results(
    paths: list[str | Path], *, accept_modified: bool = False, warn: Callable[[str], None] | None = None
) -> dict[str, IndexResult]:
    """Every index result below ``paths`` (see :func:`result_folders`), keyed by index id
    (by folder where two folders hold the same id), in the order given; each verified as
    :func:`read_result` does."""
    loaded: dict[str, IndexResult] = {}
    for folder in result_folders(paths):
        result = read_result(folder, accept_modified=accept_modified, warn=warn)
        loaded[result.index_id if result.index_id not in loaded else str(folder)] = result
    return loaded
