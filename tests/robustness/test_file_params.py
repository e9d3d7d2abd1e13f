"""File params (membership and override files) are read relative to the definition's
folder, whatever the working directory, and a file that is not a membership CSV is one
line naming it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.robustness.conftest import refused, run

DEFINITION = """\
[index]
id = "t"
schedule = {{ use = "monthly", params = {{ rank_lag_sessions = 0, announce_lag_sessions = 0 }} }}
ranking = {{ use = "company-market-cap" }}
bucketing = {{ use = "committee-list", params = {{ file = "{file}" }} }}
weighting = {{ use = "equal" }}
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    defs = tmp_path / "defs"
    defs.mkdir()
    (defs / "members.csv").write_text("date,security_id,action\n2024-01-02,A,add\n2024-01-02,B,add\n")
    (defs / "cl.toml").write_text(DEFINITION.format(file="members.csv"))
    return defs


def test_relative_to_the_definition_not_the_working_directory(
    folder: Path, tiny_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    code, _, err = run("build", folder / "cl.toml", "--data", tiny_dir, "--out", tmp_path / "out")
    assert code == 0, err
    info = json.loads((tmp_path / "out" / "run.json").read_text())
    # Recorded as written, so run.json does not depend on where the definition lies.
    assert info["definition"]["family"]["bucketing"]["params"]["file"] == "members.csv"


def test_a_missing_file_names_the_path_it_looked_for(folder: Path) -> None:
    (folder / "cl.toml").write_text(DEFINITION.format(file="gone.csv"))
    assert refused("validate", folder / "cl.toml") == (
        f"membership file {folder / 'gone.csv'} does not exist at $.index.bucketing.params in cl.toml"
    )


@pytest.mark.parametrize(
    "content, expected",
    [
        (
            b"root:x:0:0:root:/root:/bin/bash\nbin:x:1:1::/bin:\na,b,c,d\n",
            "cannot be read as CSV (Error tokenizing data.",
        ),
        (b"", "cannot be read as CSV (No columns to parse from file)"),
        (
            "date,security_id,action\n2024-01-02,Ä,add\n".encode("latin-1"),
            "cannot be read as CSV (not UTF-8 text)",
        ),
        (b"date,security_id\n2024-01-02,A\n", "lacks column(s) action (needs date, security_id, action)"),
        (b"date,security_id,action\n01/02/2024,A,add\n", "date '01/02/2024' is not YYYY-MM-DD at line 2"),
        (b"date,security_id,action\n2024-01-02,A,buy\n", "action 'buy' must be add or remove at line 2"),
    ],
    ids=["passwd-like", "empty", "latin-1", "no action column", "month-first date", "unknown action"],
)
def test_a_bad_membership_file(folder: Path, content: bytes, expected: str) -> None:
    (folder / "members.csv").write_bytes(content)
    assert expected in refused("validate", folder / "cl.toml")


def test_a_file_outside_the_definitions_folder_needs_allow_path(folder: Path, tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "m.csv").write_text("date,security_id,action\n2024-01-02,A,add\n")
    for given in ("../shared/m.csv", str(tmp_path / "shared" / "m.csv"), "/etc/passwd"):
        (folder / "cl.toml").write_text(DEFINITION.format(file=given))
        message = refused("validate", folder / "cl.toml")
        assert message.startswith(
            f"file {given!r} is outside the definition's folder {folder} — put it beside"
        )
        assert message.endswith("at $.index.bucketing.params.file in cl.toml")
    (folder / "cl.toml").write_text(DEFINITION.format(file="../shared/m.csv"))
    code, _, err = run("validate", folder / "cl.toml", "--allow-path", tmp_path / "shared")
    assert code == 0, err


def test_a_symlink_out_of_the_folder_is_outside(folder: Path, tmp_path: Path) -> None:
    (tmp_path / "secret.csv").write_text("date,security_id,action\n2024-01-02,A,add\n")
    (folder / "link.csv").symlink_to(tmp_path / "secret.csv")
    (folder / "cl.toml").write_text(DEFINITION.format(file="link.csv"))
    assert "is outside the definition's folder" in refused("validate", folder / "cl.toml")
