"""Outputs: --out is absent, empty, or a folder indexsmith wrote; --overwrite never deletes
the user's files or the market data; ids are safe folder names; one writer at a time."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from indexsmith.io import MARKER

from tests.robustness.conftest import files_below, refused, run


def test_a_build_marks_its_folder(built: Path) -> None:
    assert (built / MARKER).is_file()
    assert not [p for p in built.parent.iterdir() if p.name.startswith(f".{built.name}.")]


def test_overwrite_keeps_a_foreign_file(definition: Path, market: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "thesis.docx").write_text("years of work")
    message = refused("build", definition, "--data", market, "--out", out, "--overwrite")
    assert message == (
        f"output folder {out} holds files indexsmith did not write (no .indexsmith-output marker) — "
        "--overwrite replaces only an indexsmith output folder; choose another --out or empty it yourself"
    )
    assert files_below(out) == ["thesis.docx"]


@pytest.mark.parametrize("where", ["same", "parent"])
def test_overwrite_never_replaces_the_market_data(
    where: str, definition: Path, market: Path, tmp_path: Path
) -> None:
    (market / MARKER).write_text("as if exported by indexsmith")  # even a marked folder
    before = files_below(tmp_path)
    out = market if where == "same" else market.parent
    message = refused("build", definition, "--data", market, "--out", out, "--overwrite")
    assert (
        message == f"output folder {out} is or contains the market data {market} — choose an --out outside it"
    )
    assert files_below(tmp_path) == before


def test_out_dot_overwrite_replaces_cwd_folder(
    definition: Path, market: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    code, _, err = run("build", definition, "--data", market, "--out", out)
    assert code == 0, err
    monkeypatch.chdir(out)
    code, _, err = run("build", definition, "--data", market, "--out", ".", "--overwrite")
    assert code == 0, err
    assert (out / "levels.parquet").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["market", "out"]


def test_out_below_a_file_is_refused_before_the_build(definition: Path, market: Path, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    message = refused("build", definition, "--data", market, "--out", tmp_path / "file" / "out")
    assert (
        message
        == f"cannot write {tmp_path / 'file' / 'out'}: {tmp_path / 'file'} is a file, not a folder — choose another place"
    )


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else True, reason="root may write anywhere")
def test_out_in_a_read_only_folder(definition: Path, market: Path, tmp_path: Path) -> None:
    locked = tmp_path / "ro"
    locked.mkdir(mode=0o555)
    message = refused("build", definition, "--data", market, "--out", locked / "out")
    assert "no permission to write in" in message


@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="Linux sysfs")
@pytest.mark.parametrize(
    "place, reason",
    [
        ("/sys", "no permission to write in /sys"),
        ("/proc", "nothing can be created in /proc (No such file or directory)"),
    ],
)
def test_out_where_even_root_cannot_write(
    place: str, reason: str, definition: Path, market: Path, tmp_path: Path
) -> None:
    """Runs as root too (CI): access() says yes to root, so the place is tried."""
    out = Path(place) / "indexsmith-out"
    message = refused("build", definition, "--data", market, "--out", out, "--overwrite")
    if os.geteuid() != 0:  # refused by access() already
        reason = f"no permission to write in {place}"
    assert message == f"cannot write {out}: {reason} — choose another place"
    assert not out.exists() and not list(Path(place).glob(".indexsmith*"))


def test_out_is_a_file(definition: Path, market: Path, tmp_path: Path) -> None:
    (tmp_path / "out").write_text("x")
    message = refused("build", definition, "--data", market, "--out", tmp_path / "out", "--overwrite")
    assert message == f"output {tmp_path / 'out'} exists and is not a directory — choose another --out"


def test_a_held_lock_is_refused(definition: Path, market: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    (tmp_path / ".out.lock").write_text(f"{os.getppid()}\n")  # a live process
    message = refused("build", definition, "--data", market, "--out", out)
    assert message.startswith(f"another indexsmith process (pid {os.getppid()}) is writing {out} — wait")
    assert not out.exists()


def test_a_stale_lock_and_temporary_folder_are_cleaned(
    definition: Path, market: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    (tmp_path / ".out.lock").write_text("999999999\n")  # no such process
    stale = tmp_path / ".out.indexsmith-abc123.tmp"
    (stale / "half").mkdir(parents=True)
    (stale / "half" / "run.json").write_text("{}")
    code, _, err = run("build", definition, "--data", market, "--out", out)
    assert code == 0, err
    assert f"note: removed {stale}, left by an interrupted build" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["market", "out"]


def test_readers_skip_a_killed_builds_temporary_folder(built: Path, tmp_path: Path) -> None:
    parent = tmp_path / "results"
    shutil.copytree(built, parent / "tiny")
    shutil.copytree(built, parent / ".tiny.indexsmith-x.tmp" / "half")
    code, out, err = run("compare", parent, "--format", "csv")
    assert code == 0, err
    assert out.splitlines()[0] == "statistic,name,unit,tiny"


ID_CASES = {
    "../escaped": "'../escaped'",
    "/abs/path": "'/abs/path'",
    "": "''",
    "a/b": "'a/b'",
    "a\x00b": "'a\\x00b'",
    "x" * 300: "'" + "x" * 40 + "...'",
    ".hidden": "'.hidden'",
    "a..b": "'a..b'",
    "solo[/x]": "'solo[/x]'",
    "C:\\win": "'C:\\\\win'",
}


@pytest.mark.parametrize("index_id", list(ID_CASES), ids=[repr(k[:12]) for k in ID_CASES])
def test_unsafe_index_ids_are_refused_at_load(index_id: str, tmp_path: Path) -> None:
    import json

    path = tmp_path / "d.yaml"
    path.write_text(
        "index:\n  id: " + json.dumps(index_id) + "\n  schedule: {use: monthly}\n"
        "  ranking: {use: company-market-cap}\n  bucketing: {use: all}\n  weighting: {use: equal}\n",
        encoding="utf-8",
    )
    message = refused("validate", path)
    assert message == (
        f"id {ID_CASES[index_id]} is not a safe name: use 1-100 letters, digits, '.', '_' or '-', starting with "
        "a letter or digit (it names the results folder) at $.index.id in d.yaml"
    )
    assert files_below(tmp_path) == ["d.yaml"]


def test_unsafe_family_index_id(tmp_path: Path) -> None:
    path = tmp_path / "f.toml"
    path.write_text(
        '[family]\nid = "f"\nschedule = { use = "monthly" }\nranking = { use = "company-market-cap" }\n'
        'bucketing = { use = "all" }\n[[family.index]]\nid = "../up"\nweighting = { use = "equal" }\n',
        encoding="utf-8",
    )
    assert refused("validate", path).endswith("at $.family.index[0].id in f.toml")


def test_markup_in_an_id_is_printed_as_text(built: Path, tmp_path: Path) -> None:
    import json

    folder = shutil.copytree(built, tmp_path / "r")
    info = json.loads((folder / "run.json").read_text())
    info["index_id"] = "solo[/x]"
    (folder / "run.json").write_text(json.dumps(info))
    code, out, err = run("compare", folder)
    assert code == 0, err
    assert "solo[/x]" in out
