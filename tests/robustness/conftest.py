"""A tiny market on disk (CSV), a definition file for it, and a CLI runner that checks
what every bad input must give: a non-zero exit, no traceback, only ``error:`` lines."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from indexsmith.cli import cli

from tests.support import tiny_frames

DEFINITION = """\
[index]
id = "tiny"
schedule = { use = "monthly", params = { rank_lag_sessions = 0, announce_lag_sessions = 0 } }
ranking = { use = "company-market-cap" }
bucketing = { use = "all" }
weighting = { use = "equal" }
"""


def run(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def refused(*args: str | Path) -> str:
    """Run a command that must fail cleanly; its one ``error:`` line (without the prefix)."""
    code, _, err = run(*args)
    assert code != 0, err
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line and not line.startswith(("note:", "warning:"))]
    assert lines and all(line.startswith("error: ") for line in lines), err
    assert all(len(line) < 1200 for line in lines), err  # a short prefix of any value, not all of it
    return "\n".join(line.removeprefix("error: ") for line in lines)


def files_below(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


@pytest.fixture(autouse=True)
def _no_third_party(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INDEXSMITH_DISABLE_PLUGIN_AUTOLOAD", "1")


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A market of three securities over 70 sessions, in the documented CSV format."""
    folder = tmp_path_factory.mktemp("tiny") / "market"
    folder.mkdir()
    closes = {s: [100.0 + i * (k + 1) * 0.1 for i in range(70)] for k, s in enumerate(["A", "B", "C"])}
    for name, frame in tiny_frames(closes).items():
        frame.to_csv(folder / f"{name}.csv", index=False, date_format="%Y-%m-%d")
    (folder.parent / "tiny.toml").write_text(DEFINITION, encoding="utf-8")
    return folder


@pytest.fixture
def market(tiny_dir: Path, tmp_path: Path) -> Path:
    """A copy of the tiny market a test may change."""
    return Path(shutil.copytree(tiny_dir, tmp_path / "market"))


@pytest.fixture
def definition(tiny_dir: Path) -> Path:
    return tiny_dir.parent / "tiny.toml"


@pytest.fixture(scope="session")
def built(tiny_dir: Path) -> Path:
    """The tiny index built once."""
    out = tiny_dir.parent / "built"
    code, _, err = run("build", tiny_dir.parent / "tiny.toml", "--data", tiny_dir, "--out", out)
    assert code == 0, err
    return out
