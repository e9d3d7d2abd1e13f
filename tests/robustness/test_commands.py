"""The command line given wrong arguments: one line, a non-zero exit, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.robustness.conftest import files_below, refused, run


def test_report_keeps_an_existing_file(built: Path, tmp_path: Path) -> None:
    page = tmp_path / "f.html"
    page.write_text("mine")
    assert refused("report", built, "--out", page) == (
        f"{page} exists — pass --overwrite to replace it, or choose another --out"
    )
    assert page.read_text() == "mine"
    code, _, err = run("report", built, "--out", page, "--overwrite")
    assert code == 0, err
    assert page.read_text().startswith("<!DOCTYPE html>")


#: case -> (arguments with {definition}, {market}, {tmp}, {built}; distinctive part of the line)
CASES: dict[str, tuple[list[str], str]] = {
    "--start after --end": (
        [
            "build",
            "{definition}",
            "--data",
            "{market}",
            "--out",
            "{tmp}/o",
            "--start",
            "2024-03-01",
            "--end",
            "2024-02-01",
        ],
        "start 2024-03-01 is after end 2024-02-01 in tiny.toml — choose a start on or before the end (the data covers 2024-01-02..2024-04-11)",
    ),
    "--start after the data": (
        ["build", "{definition}", "--data", "{market}", "--out", "{tmp}/o", "--start", "2030-01-01"],
        "start 2030-01-01 is after the data's last session 2024-04-11",
    ),
    "--data a file": (
        ["build", "{definition}", "--data", "{market}/prices.csv", "--out", "{tmp}/o"],
        "market-data directory {market}/prices.csv does not exist",
    ),
    "--data missing": (
        ["build", "{definition}", "--data", "{tmp}/nope", "--out", "{tmp}/o"],
        "market-data directory {tmp}/nope does not exist",
    ),
    "--data and --demo": (
        ["build", "{definition}", "--data", "{market}", "--demo", "small", "--out", "{tmp}/o"],
        "--data and --demo are alternatives — pass one of them",
    ),
    "no data": (["build", "{definition}", "--out", "{tmp}/o"], "no market data given — pass --data DIR"),
    "--param not KEY=VALUE": (
        ["build", "{definition}", "--data", "{market}", "--param", "x", "--out", "{tmp}/o"],
        "--param 'x' is not KEY=VALUE",
    ),
    "--param for dir": (
        ["build", "{definition}", "--data", "{market}", "--param", "x=1", "--out", "{tmp}/o"],
        "unknown param 'x'",
    ),
    "unknown source": (
        ["build", "{definition}", "--data", "foo:bar", "--out", "{tmp}/o"],
        "no market-source named 'foo' at --data foo:bar",
    ),
    "preset misspelt": (
        ["build", "dow-30-styel", "--data", "{market}", "--out", "{tmp}/o"],
        "'dow-30-styel' is neither a definition file nor a preset id — did you mean 'dow-30-style'?",
    ),
    "market check missing": (
        ["market", "check", "{tmp}/nope"],
        "market-data directory {tmp}/nope does not exist",
    ),
    "market check unknown calendar": (["market", "check", "{market}", "--calendar", "XXXX"], "XXXX"),
    "market import into the source": (
        ["market", "import", "dir:{market}", "--out", "{market}", "--overwrite"],
        "output folder {market} is or contains the market data",
    ),
    "market export over a foreign folder": (
        ["market", "export", "{market}", "--overwrite"],
        "holds files indexsmith did not write",
    ),
    "compare a missing folder": (["compare", "{tmp}/nope"], "result folder {tmp}/nope does not exist"),
    "compare a folder without results": (
        ["compare", "{tmp}"],
        "holds no index results (no run.json in it or its sub-folders)",
    ),
    "compare the market data": (["compare", "{market}"], "holds no index results"),
    "report a missing folder": (
        ["report", "{tmp}/nope", "--out", "{tmp}/f.html"],
        "result folder {tmp}/nope does not exist",
    ),
    "report below a file": (
        ["report", "{built}", "--out", "{market}/prices.csv/f.html"],
        "cannot write {market}/prices.csv/f.html: {market}/prices.csv is a file, not a folder",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_arguments(case: str, tmp_path: Path, definition: Path, market: Path, built: Path) -> None:
    args, expected = CASES[case]
    values = {"definition": definition, "market": market, "tmp": tmp_path, "built": built}
    before = files_below(tmp_path)
    message = refused(*(a.format(**values) for a in args))
    assert expected.format(**values) in message
    assert files_below(tmp_path) == before


@pytest.mark.parametrize(
    "args, line",
    [
        (
            ["build", "--colour"],
            "No such option '--colour'. Did you mean '--out'? — see 'indexsmith build --help'",
        ),
        (["biuld"], "No such command 'biuld'. Did you mean 'build'? — see 'indexsmith --help'"),
        (["compare"], "Missing argument 'RESULTS...' — see 'indexsmith compare --help'"),
        (["compare", "x", "--format", "xml"], "Invalid value for '--format'"),
    ],
)
def test_a_usage_mistake_is_one_line(args: list[str], line: str, capsys: pytest.CaptureFixture[str]) -> None:
    from indexsmith.cli import main

    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {line}") and err.count("\n") == 1, err
