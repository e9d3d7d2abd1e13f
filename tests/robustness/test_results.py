"""Result folders are trusted only when they are what the build wrote: compare and report
verify the SHA-256 in run.json and refuse a tampered, incomplete or damaged folder."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from tests.robustness.conftest import refused, run


def _double_levels(f: Path) -> None:
    levels = pd.read_parquet(f / "levels.parquet")
    levels["total_return"] *= 2
    levels.to_parquet(f / "levels.parquet")


def _write(name: str, data: bytes) -> Callable[[Path], None]:
    return lambda f: (f / name).write_bytes(data)


def _run_json(value: object) -> Callable[[Path], None]:
    return lambda f: (f / "run.json").write_text(json.dumps(value))


def _cut(name: str) -> Callable[[Path], None]:
    return lambda f: (f / name).write_bytes((f / name).read_bytes()[:50])


def _relisted_empty_levels(f: Path) -> None:
    levels = pd.read_parquet(f / "levels.parquet").iloc[:0]
    levels.to_parquet(f / "levels.parquet")
    _rehash(f)


def _relisted_nan_levels(f: Path) -> None:
    levels = pd.read_parquet(f / "levels.parquet")
    levels["total_return"] = float("nan")
    levels.to_parquet(f / "levels.parquet")
    _rehash(f)


def _rehash(f: Path) -> None:
    import hashlib

    info = json.loads((f / "run.json").read_text())
    for name in info["outputs"]:
        info["outputs"][name] = "sha256:" + hashlib.sha256((f / name).read_bytes()).hexdigest()
    (f / "run.json").write_text(json.dumps(info))


CASES: dict[str, tuple[Callable[[Path], None], str]] = {
    "doubled levels": (_double_levels, "{f}/levels.parquet does not match the SHA-256 recorded in run.json"),
    "levels replaced by junk": (
        _write("levels.parquet", b"junk"),
        "{f}/levels.parquet does not match the SHA-256",
    ),
    "levels cut": (_cut("levels.parquet"), "{f}/levels.parquet does not match the SHA-256"),
    "optional table deleted": (
        lambda f: (f / "turnover.parquet").unlink(),
        "turnover.parquet is listed in {f}/run.json but missing from {f}",
    ),
    "table added": (
        lambda f: shutil.copy(f / "changes.parquet", f / "extra.parquet"),
        "{f}/extra.parquet is not one of the outputs run.json records",
    ),
    "required file deleted": (
        lambda f: (f / "levels.parquet").unlink(),
        "result folder {f} is missing levels.parquet",
    ),
    "run.json deleted": (
        lambda f: (f / "run.json").unlink(),
        "{f} holds no index results (no run.json in it",
    ),
    "run.json cut": (_cut("run.json"), "{f}/run.json is damaged (not JSON ("),
    "run.json empty": (
        _write("run.json", b""),
        "{f}/run.json is damaged (not JSON (Expecting value at line 1)",
    ),
    "run.json not UTF-8": (_write("run.json", b"\xff\xfe{}"), "{f}/run.json is damaged (not UTF-8)"),
    "run.json a list": (_run_json([1, 2]), "{f}/run.json is not the record of a build (no 'outputs' table)"),
    "run.json a number": (_run_json(3), "{f}/run.json is not the record of a build"),
    "run.json outputs a list": (_run_json({"outputs": []}), "{f}/run.json is not the record of a build"),
    "levels empty (rehashed)": (_relisted_empty_levels, "{f}/levels.parquet holds no levels"),
    "levels all NaN (rehashed)": (_relisted_nan_levels, "{f}/levels.parquet has levels that are not finite"),
    "levels a directory": (
        lambda f: ((f / "levels.parquet").unlink(), (f / "levels.parquet").mkdir()),
        "result folder {f} is missing levels.parquet",
    ),
}


@pytest.mark.parametrize("command", ["compare", "report"])
@pytest.mark.parametrize("case", list(CASES))
def test_a_damaged_result_is_refused(case: str, command: str, built: Path, tmp_path: Path) -> None:
    damage, expected = CASES[case]
    folder = Path(shutil.copytree(built, tmp_path / "r"))
    damage(folder)
    args = [command, folder] + (["--out", tmp_path / "f.html"] if command == "report" else [])
    message = refused(*args)
    assert expected.format(f=folder) in message
    assert not (tmp_path / "f.html").exists()


def test_a_damaged_parquet_with_accept_modified(built: Path, tmp_path: Path) -> None:
    folder = Path(shutil.copytree(built, tmp_path / "r"))
    (folder / "changes.parquet").write_bytes(b"PAR1 not really")
    message = refused("compare", folder, "--accept-modified")
    assert message.startswith(f"{folder}/changes.parquet cannot be read as Parquet (")


def test_accept_modified_uses_the_folder_with_a_warning(built: Path, tmp_path: Path) -> None:
    folder = Path(shutil.copytree(built, tmp_path / "r"))
    _double_levels(folder)
    code, _out, err = run("compare", folder, "--accept-modified", "--format", "csv")
    assert code == 0, err
    assert err.startswith(
        f"warning: {folder}/levels.parquet does not match the SHA-256 recorded in run.json (it was changed after "
        "the build); used as it is (--accept-modified)"
    )


def test_an_untouched_copy_is_accepted(built: Path, tmp_path: Path) -> None:
    folder = Path(shutil.copytree(built, tmp_path / "r"))
    code, _out, err = run("compare", folder, "--format", "csv")
    assert code == 0 and "warning" not in err, err
