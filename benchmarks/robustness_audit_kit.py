"""What the robustness audit's cases share: the tiny market and its built index, a case,
running the real ``indexsmith`` script, and what a refusal must look like
(``benchmarks/robustness_audit.py`` runs them)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from tests.robustness import test_definitions  # noqa: E402
from tests.robustness.conftest import DEFINITION  # noqa: E402
from tests.support import tiny_frames  # noqa: E402

TIMEOUT = 120.0
SCRIPT = Path(sys.executable).with_name("indexsmith")
ENV = dict(os.environ, INDEXSMITH_DISABLE_PLUGIN_AUTOLOAD="1")


@dataclass
class Run:
    code: int | None
    out: str
    err: str
    seconds: float


#: Prepares a case in its folder and returns the arguments of ``indexsmith``.
Prepare = Callable[[Path], list[str]]
#: Checks a legitimate input's exit-0 result: a problem, or None.
Check = Callable[[Path, Run], str | None]


@dataclass
class Case:
    category: int
    name: str
    prepare: Prepare = lambda folder: []
    expect: str | None = None  # words of the refusal ({dir} = the case's folder); None = legitimate input
    check: Check | None = None
    out: str = "out"  # the --out a legitimate build writes (relative to the folder)
    market_word: bool = False  # the suites write the market folder as "market" in messages
    signal_after_lock: tuple[int, float] | None = None  # a signal once the build holds its lock
    special: Callable[[Path], tuple[str, str]] | None = None  # runs itself: (outcome, detail)
    outcome: str = ""
    detail: str = ""
    seconds: float = 0.0
    written: list[str] = field(default_factory=list)


def command(args: list[str]) -> list[str]:
    return [str(SCRIPT), *args] if SCRIPT.exists() else [sys.executable, "-m", "indexsmith.cli", *args]


def files_below(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


# -- fixtures --------------------------------------------------------------------------------


def make_fixtures(base: Path) -> Path:
    """The tiny market of the robustness suites, its definition, and the index built once."""
    fixtures = base / "fixtures"
    market = fixtures / "market"
    market.mkdir(parents=True)
    closes = {s: [100.0 + i * (k + 1) * 0.1 for i in range(70)] for k, s in enumerate(["A", "B", "C"])}
    for name, frame in tiny_frames(closes).items():
        frame.to_csv(market / f"{name}.csv", index=False, date_format="%Y-%m-%d")
    (fixtures / "tiny.toml").write_text(DEFINITION, encoding="utf-8")
    done = subprocess.run(
        command(
            ["build", str(fixtures / "tiny.toml"), "--data", str(market), "--out", str(fixtures / "built")]
        ),
        capture_output=True,
        text=True,
        env=ENV,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"the fixture build failed: {done.stderr}")
    return fixtures


FIXTURES = Path()


def market_copy(folder: Path) -> Path:
    return Path(shutil.copytree(FIXTURES / "market", folder / "market"))


def definition_copy(folder: Path) -> Path:
    return Path(shutil.copy(FIXTURES / "tiny.toml", folder / "tiny.toml"))


def built_copy(folder: Path, name: str = "r") -> Path:
    return Path(shutil.copytree(FIXTURES / "built", folder / name))


def finite_levels(out: Path) -> str | None:
    path = out / "levels.parquet"
    if not path.is_file():
        return f"no {path.name} in {out.name}"
    levels = pd.read_parquet(path)
    numbers = levels.select_dtypes("number").to_numpy(dtype=float)
    if not len(levels) or not np.isfinite(numbers).all():
        return "levels empty or not finite"
    return None


def execute(args: list[str], cwd: Path | None = None) -> Run:
    start = time.monotonic()
    try:
        done = subprocess.run(
            command(args),
            capture_output=True,
            text=True,
            env=ENV,
            cwd=cwd,
            timeout=TIMEOUT,
            check=False,
            errors="replace",
        )
    except subprocess.TimeoutExpired as exc:
        return Run(None, str(exc.stdout or ""), str(exc.stderr or ""), time.monotonic() - start)
    return Run(done.returncode, done.stdout, done.stderr, time.monotonic() - start)


def ctrl_c() -> None:
    """In the child: SIGINT as a terminal delivers it (a background job inherits it ignored)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_locked(args: list[str], lock: Path) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        command(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV, preexec_fn=ctrl_c
    )
    deadline = time.monotonic() + TIMEOUT
    while not lock.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    return proc


def classify_refusal(
    run: Run, expected: str | None, folder: Path, market_word: bool = False
) -> tuple[str, str]:
    err = run.err.replace(str(folder / "market"), "market") if market_word else run.err
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith(("note:", "warning:"))]
    if not lines or not all(line.startswith("error: ") and len(line) < 1200 for line in lines):
        return "vague", err[-300:]
    if expected is not None and expected.replace("{dir}", str(folder)) not in err:
        return "vague", f"expected {expected[:80]!r}; got {err[-300:]}"
    return "clear", ""


# -- cases written here ----------------------------------------------------------------------


def build_args(folder: Path, out: str = "out", *extra: str) -> list[str]:
    return [
        "build",
        str(definition_copy(folder)),
        "--data",
        str(market_copy(folder)),
        "--out",
        str(folder / out),
        *extra,
    ]


def levels_ok(folder: Path, run: Run) -> str | None:
    return finite_levels(folder / "out")


def prepare_with(setup: Callable[[Path], object], args: Callable[[Path], list[str]]) -> Prepare:
    def prepare(folder: Path) -> list[str]:
        arguments = args(folder)
        setup(folder)
        return arguments

    return prepare


def replace(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text().replace(old, new, 1))


def bom(path: Path) -> None:
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())


def day_first(market: Path) -> None:
    from tests.robustness.test_date_format import rewrite_dates

    rewrite_dates(market, "%d/%m/%Y")


def family(folder: Path, index_id: str) -> list[str]:
    (folder / "f.toml").write_text(
        test_definitions.FAMILY + f'[[family.index]]\nid = {index_id}\nweighting = {{ use = "equal" }}\n'
    )
    return ["validate", str(folder / "f.toml")]


def definition(folder: Path, schedule: str) -> list[str]:
    (folder / "d.toml").write_text(DEFINITION.replace(DEFINITION.splitlines()[2], f"schedule = {schedule}"))
    return ["build", str(folder / "d.toml"), "--data", str(market_copy(folder)), "--out", str(folder / "o")]
