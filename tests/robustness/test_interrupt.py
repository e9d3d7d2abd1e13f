"""Interrupted builds: SIGINT and SIGTERM at several points leave either the whole output
folder or nothing — no temporary folder, no lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from indexsmith.io import MARKER, atomic_directory

from tests.robustness.conftest import run

SIGNALS = [signal.SIGINT, signal.SIGTERM]
ENV = dict(os.environ, INDEXSMITH_DISABLE_PLUGIN_AUTOLOAD="1")


def build_command(definition: Path, market: Path, out: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "indexsmith.cli",
        "build",
        str(definition),
        "--data",
        str(market),
        "--out",
        str(out),
    ]


def _ctrl_c() -> None:
    """In the child: SIGINT as a terminal delivers it. A job started in the background (as
    CI may start the tests) inherits SIGINT ignored, and Python then installs no
    KeyboardInterrupt handler at all."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_build(definition: Path, market: Path, out: Path, output: int) -> subprocess.Popen[bytes]:
    """A build in its own process, returned once the command holds the lock on ``out``
    (Python's own start-up is not the command's)."""
    proc = subprocess.Popen(
        build_command(definition, market, out), stdout=output, stderr=output, env=ENV, preexec_fn=_ctrl_c
    )
    deadline = time.monotonic() + 60
    lock = out.with_name(f".{out.name}.lock")
    while not lock.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert proc.poll() is None, proc.communicate()  # the command started and holds the lock
    return proc


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("signum", SIGNALS, ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("delay", [0.0, 0.2, 0.5, 1.0])
def test_a_signal_leaves_all_or_nothing(
    signum: int, delay: float, definition: Path, market: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    proc = start_build(definition, market, out, subprocess.PIPE)
    time.sleep(delay)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert b"Traceback" not in err, err
    left = sorted(p.name for p in tmp_path.iterdir())
    # All (the signal came after the folder was moved into place) or nothing; never a part.
    if left == ["market", "out"]:
        assert (out / MARKER).exists() and (out / "run.json").exists() and (out / "levels.parquet").exists()
    else:
        assert left == ["market"] and proc.returncode != 0, (left, err)


def test_an_interrupt_while_writing_leaves_nothing(
    definition: Path, market: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from indexsmith.results import store

    def half(result, directory):  # type: ignore[no-untyped-def]
        (directory / "constituents.parquet").write_bytes(b"PAR1")
        raise KeyboardInterrupt

    monkeypatch.setattr(store, "write_index", half)
    code, _, _ = run("build", definition, "--data", market, "--out", tmp_path / "out")
    assert code == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["market"]


def test_the_lock_is_reentrant_and_released(tmp_path: Path) -> None:
    target = tmp_path / "out"
    with atomic_directory(target, overwrite=False) as first:
        (first / "a").write_text("1")
        assert (tmp_path / ".out.lock").read_text().strip() == str(os.getpid())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert sorted(p.name for p in target.iterdir()) == [MARKER, "a"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_after_sigkill_the_next_build_cleans_up(definition: Path, market: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = start_build(definition, market, out, subprocess.DEVNULL)
    proc.kill()
    proc.wait(timeout=30)
    # The killed run may leave its lock (and a temporary folder): readers skip them, the next build takes over.
    code, _, err = run("build", definition, "--data", market, "--out", out, "--overwrite")
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["market", "out"]


def test_two_builds_into_one_new_folder(definition: Path, market: Path, tmp_path: Path) -> None:
    """Exactly one wins; the other fails clearly (the lock, or the folder the first wrote)."""
    out = tmp_path / "out"
    command = build_command(definition, market, out)
    procs = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV) for _ in range(2)
    ]
    results = [(p.wait(timeout=120), p.communicate()[1].decode()) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 1], results
    loser = next(err for code, err in results if code == 1)
    assert loser.startswith(
        ("error: another indexsmith process", f"error: output folder {out} is not empty")
    ), loser
    assert "Traceback" not in loser
    assert sorted(p.name for p in tmp_path.iterdir()) == ["market", "out"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize(
    "signum, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"]
)
def test_an_interrupted_build_is_one_line_and_the_shells_status(
    signum: int, status: int, definition: Path, market: Path, tmp_path: Path
) -> None:
    proc = start_build(definition, market, tmp_path / "out", subprocess.PIPE)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    if proc.returncode == 0:  # finished before the signal was handled: nothing to say
        pytest.skip("the build finished first")
    assert (proc.returncode, [line for line in err.decode().splitlines() if line]) == (
        status,
        ["interrupted"],
    )


SCRIPT = Path(sys.executable).with_name("indexsmith")


@pytest.mark.skipif(
    sys.platform == "win32" or not SCRIPT.exists(), reason="POSIX signals; the installed script"
)
def test_ctrl_c_while_the_script_imports_is_one_line(tmp_path: Path) -> None:
    """Before indexsmith's own handlers exist. ``-X importtime`` logs every import to
    stderr, about 90 KB for the script's start-up: left unread, the log fills the pipe
    (64 KB on Linux) and the script blocks in the middle of importing indexsmith, where the
    signal then lands — deterministically, however fast the machine."""
    proc = subprocess.Popen(
        [sys.executable, "-X", "importtime", str(SCRIPT), "validate", str(tmp_path / "d.toml")],
        stderr=subprocess.PIPE,
        env=ENV,
        preexec_fn=_ctrl_c,
    )
    assert proc.stderr is not None
    time.sleep(3)
    if proc.poll() is not None:  # a pipe larger than the log: nothing blocked
        pytest.skip("the import log did not fill the pipe on this system")
    proc.send_signal(signal.SIGINT)
    rest = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert "Traceback" not in rest, rest
    assert "does not exist" not in rest  # interrupted before the command ran
    assert proc.returncode == 130 and rest.splitlines()[-1] == "interrupted", rest
