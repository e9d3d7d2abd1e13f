"""The Python API given bad input: an IndexsmithError subclass with one clear line (or a
ValueError from an object's own constructor), nothing written."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import indexsmith
import pandas as pd
import pytest
from indexsmith import Market
from indexsmith.definition.model import IndexSpec, Use
from indexsmith.errors import DataError, DefinitionError, OutputError
from indexsmith.results import read_results

from tests.support import monthly_index, tiny_frames

CLOSES = {s: [50.0 + i * 0.1 * (k + 1) for i in range(45)] for k, s in enumerate(["A", "B", "C"])}


@pytest.fixture(scope="module")
def market() -> Market:
    return Market.from_frames(tiny_frames(CLOSES), source="tiny")


@pytest.fixture(scope="module")
def result(market: Market) -> indexsmith.BuildResult:
    return indexsmith.build(monthly_index("t"), market)


def test_a_market_that_is_not_one() -> None:
    with pytest.raises(DataError, match=r"^market-data directory 42 does not exist"):
        indexsmith.build(monthly_index("t"), 42)  # type: ignore[arg-type]


def test_no_tables() -> None:
    with pytest.raises(DataError, match=r"^3 problems in the market data: missing table securities"):
        Market.from_frames({})


@pytest.mark.parametrize(
    "table, column, value, expected",
    [
        ("prices", "close", float("inf"), r"column 'close' has inf at prices.parquet row 1"),
        ("prices", "close", "abc", r"column 'close' has 'abc' at prices.parquet row 1"),
        ("prices", "date", 20240102, r"column 'date' has 20240102 at prices.parquet row 1"),
        ("prices", "date", "01/02/2024", r"column 'date' has '01/02/2024' at prices.parquet row 1"),
        ("shares", "float_factor", float("nan"), r"float_factor nan for A is outside \(0, 1\]"),
        (
            "securities",
            "listing_date",
            pd.Timestamp("2024-02-01"),
            r"price for A on 2024-01-02 is before its listing_date",
        ),
    ],
)
def test_a_bad_cell_from_python(table: str, column: str, value: object, expected: str) -> None:
    frames = tiny_frames(CLOSES)
    frame = frames[table].astype(object)
    frame.loc[0, column] = value
    frames[table] = frame
    with pytest.raises(DataError, match=expected):
        Market.from_frames(frames)


def test_a_bad_definition_mapping(market: Market) -> None:
    with pytest.raises(DefinitionError, match=r"no weighting named 'eqaul' at \$.index.weighting.use"):
        indexsmith.build(monthly_index("t", weighting={"use": "eqaul"}), market)


def test_start_after_end(market: Market) -> None:
    with pytest.raises(DefinitionError, match=r"^start 2024-03-01 is after end 2024-02-01 — choose a start"):
        indexsmith.build(monthly_index("t"), market, start=dt.date(2024, 3, 1), end=dt.date(2024, 2, 1))


@pytest.mark.parametrize("index_id", ["../x", "", "a/b", "x" * 101])
def test_an_unsafe_id_from_python(index_id: str) -> None:
    with pytest.raises(ValueError, match=r"is not a safe name"):
        IndexSpec(id=index_id, weighting=Use(use="equal"))


def test_write_twice_and_over_a_foreign_folder(result: indexsmith.BuildResult, tmp_path: Path) -> None:
    result.write(tmp_path / "a")
    with pytest.raises(
        OutputError, match=r"is not empty — choose an empty or new folder, or pass --overwrite"
    ):
        result.write(tmp_path / "a")
    result.write(tmp_path / "a", overwrite=True)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match=r"holds files indexsmith did not write"):
        result.write(tmp_path / "mine", overwrite=True)
    assert (tmp_path / "mine" / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "mine"]


def test_read_results_verifies_and_warns(result: indexsmith.BuildResult, tmp_path: Path) -> None:
    folder = result.write(tmp_path / "a")
    levels = pd.read_parquet(folder / "levels.parquet")
    levels["total_return"] *= 2
    levels.to_parquet(folder / "levels.parquet")
    with pytest.raises(OutputError, match=r"levels.parquet does not match the SHA-256 recorded in run.json"):
        read_results([folder])
    warnings: list[str] = []
    loaded = read_results([folder], accept_modified=True, warn=warnings.append)
    assert list(loaded) == ["t"] and len(warnings) == 1 and "--accept-modified" in warnings[0]


def test_a_copied_result_reads_back(result: indexsmith.BuildResult, tmp_path: Path) -> None:
    folder = result.write(tmp_path / "a")
    shutil.copytree(folder, tmp_path / "b")
    assert list(read_results([tmp_path / "b"])) == ["t"]
