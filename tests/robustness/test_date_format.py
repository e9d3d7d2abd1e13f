"""``--param date_format=...`` of the ``dir`` source: dates written another way than ISO are
read with that pattern, strictly; without it only YYYY-MM-DD is read."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.robustness.conftest import refused, run


def rewrite_dates(market: Path, pattern: str) -> None:
    """Every date column of every CSV in ``market`` written with ``pattern``."""
    for path in market.glob("*.csv"):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        for column in frame.columns:
            if column in (
                "date",
                "listing_date",
                "delisting_date",
                "ex_date",
                "period_end",
                "available_date",
            ):
                dates = pd.to_datetime(frame[column].where(frame[column] != ""), format="%Y-%m-%d")
                frame[column] = dates.dt.strftime(pattern).fillna("")
        frame.to_csv(path, index=False)


def test_day_first_dates_build_the_same_index(
    market: Path, definition: Path, built: Path, tmp_path: Path
) -> None:
    rewrite_dates(market, "%d/%m/%Y")
    assert "03/01/2024" in (market / "prices.csv").read_text()  # 3 January, day first
    code, _, err = run(
        "build", definition, "--data", market, "--param", "date_format=%d/%m/%Y", "--out", tmp_path / "o"
    )
    assert code == 0, err
    got = pd.read_parquet(tmp_path / "o" / "levels.parquet")
    expected = pd.read_parquet(built / "levels.parquet")
    pd.testing.assert_frame_equal(got, expected)
    assert (
        json.loads((tmp_path / "o" / "run.json").read_text())["data"]["fingerprint"]
        == (json.loads((built / "run.json").read_text())["data"]["fingerprint"])
    )


def test_without_date_format_day_first_is_refused(market: Path) -> None:
    rewrite_dates(market, "%d/%m/%Y")
    assert "column 'date' has '02/01/2024' at prices.csv row 1" in refused("market", "check", market)


def test_a_date_not_matching_the_pattern_names_file_row_and_column(market: Path) -> None:
    rewrite_dates(market, "%d/%m/%Y")
    text = (market / "prices.csv").read_text().replace("04/01/2024,B,", "2024-01-04,B,", 1)
    (market / "prices.csv").write_text(text)
    row = next(i for i, line in enumerate(text.splitlines()) if line.startswith("2024-01-04,B,"))
    assert refused("market", "check", market, "--param", "date_format=%d/%m/%Y") == (
        f"column 'date' has '2024-01-04', not a date written %d/%m/%Y at prices.csv row {row} in {market} — "
        "write it as %d/%m/%Y (31 January 2024 is 31/01/2024), or change --param date_format"
    )


def test_month_first_is_not_read_day_first(market: Path) -> None:
    """13/01/2024 cannot be month-first: a month-first pattern refuses it instead of guessing."""
    rewrite_dates(market, "%d/%m/%Y")
    message = refused("market", "check", market, "--param", "date_format=%m/%d/%Y")
    assert "column 'date' has '16/01/2024', not a date written %m/%d/%Y at prices.csv row" in message


@pytest.mark.parametrize("pattern", ["%Y", "dd/mm/yyyy", "%d/%m", ""])
def test_a_pattern_without_day_month_and_year_is_refused(pattern: str, market: Path) -> None:
    assert refused("market", "check", market, "--param", f"date_format={pattern}") == (
        f"date_format {pattern!r} is not a strftime pattern with the day, month and year (such as '%d/%m/%Y' "
        f"or '%m/%d/%Y') at market source 'dir' params.date_format in {market} — strftime pattern of every date "
        "in the CSV files, e.g. %d/%m/%Y (default: ISO YYYY-MM-DD only); a date not written so is refused with "
        "its file, row and column"
    )
