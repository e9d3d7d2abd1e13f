"""Market data: point-in-time accessors, validation of broken directories, round trips."""

from __future__ import annotations

from pathlib import Path

import indexsmith
import numpy as np
import pandas as pd
import pytest
from indexsmith import DataError, Market, Plugins, load_market
from indexsmith.demo import export, generate

from tests.support import monthly_index, tiny_frames


def with_tables(closes, **extra):  # type: ignore[no-untyped-def]
    frames = tiny_frames(closes)
    frames.update(extra)
    return Market.from_frames(frames, source="tiny")


def test_company_cap_sums_share_classes(tiny) -> None:
    market = tiny(
        {"A": [10.0] * 3, "B": [20.0] * 3, "C": [5.0] * 3},
        company={"A": "X", "B": "X"},
        shares={"A": 1e6, "B": 2e6, "C": 3e6},
        float_factor={"A": 0.5, "B": 1.0, "C": 0.8},
    )
    view = market.view("2024-01-04")
    ids = ["A", "B", "C"]
    assert view.market_cap(ids).tolist() == [1e7, 4e7, 1.5e7]
    assert view.float_market_cap(ids).tolist() == [5e6, 4e7, 1.2e7]
    assert view.company_market_cap(ids).tolist() == [5e7, 5e7, 1.5e7]


def test_shares_and_fundamentals_are_as_of() -> None:
    shares = pd.DataFrame(
        {
            "date": pd.to_datetime(["2024-01-02", "2024-01-04"]),
            "security_id": ["A", "A"],
            "shares_outstanding": [1e6, 2e6],
            "float_factor": [0.9, 0.6],
        }
    )
    fundamentals = pd.DataFrame(
        {
            "security_id": ["A"] * 5,
            "period_end": pd.to_datetime(
                ["2023-03-31", "2023-06-30", "2023-09-30", "2023-12-31", "2024-03-31"]
            ),
            "available_date": pd.to_datetime(
                ["2023-05-01", "2023-08-01", "2023-11-01", "2024-01-03", "2024-05-01"]
            ),
            "net_income": [-300.0, -200.0, 100.0, 450.0, 999.0],
            "book_equity": [1.0, 2.0, 3.0, 4.0, 5.0],
            "sales": [10.0] * 5,
        }
    )
    market = with_tables({"A": [10.0] * 5}, shares=shares, fundamentals=fundamentals)
    early, late = market.view("2024-01-02"), market.view("2024-01-05")
    assert early.shares_outstanding(["A"]).item() == 1e6 and early.float_factor(["A"]).item() == 0.9
    assert late.shares_outstanding(["A"]).item() == 2e6 and late.float_factor(["A"]).item() == 0.6
    # On 2 Jan only three quarters are public: no trailing four-quarter figure yet.
    assert np.isnan(early.ttm(["A"]).item())
    # From 3 Jan: -300 - 200 + 100 + 450 = 50 (methodologies.md §3.5 case B); the Q1-2024
    # report is not available until May.
    assert late.ttm(["A"]).item() == 50.0
    assert late.latest_fundamental(["A"], "net_income").item() == 450.0
    assert late.trailing_quarters(["A"], "net_income", 2).iloc[0].tolist() == [450.0, 100.0]


def test_volume_windows_and_listing_age(tiny) -> None:
    market = tiny({"A": [10.0, 11.0, 12.0, 13.0], "B": [None, None, 5.0, 5.0]})
    view = market.view("2024-01-05")
    assert view.average_volume(["A"], 2).item() == 1000.0
    assert view.average_dollar_volume(["A"], 2).item() == pytest.approx((12 + 13) * 1000 / 2)
    assert view.sessions_listed(["A", "B"]).tolist() == [4, 2]
    assert list(market.view("2024-01-03").securities.index) == ["A"]


def test_future_delisting_is_not_visible(tiny) -> None:
    frames = tiny_frames({"A": [10.0] * 5, "B": [10.0] * 3})
    frames["securities"].loc[1, "delisting_date"] = pd.Timestamp("2024-01-04")
    market = Market.from_frames(frames)
    assert market.view("2024-01-03").securities["delisting_date"].isna().all()
    assert list(market.view("2024-01-05").securities.index) == ["A"]


def broken(tmp_path: Path, change) -> Path:  # type: ignore[no-untyped-def]
    frames = tiny_frames({"A": [10.0] * 4, "B": [20.0] * 4})
    change(frames)
    for name, frame in frames.items():
        frame.to_csv(tmp_path / f"{name}.csv", index=False, date_format="%Y-%m-%d")
    return tmp_path


def drop_column(frames) -> None:  # type: ignore[no-untyped-def]
    frames["prices"] = frames["prices"].drop(columns=["volume"])


def bad_type(frames) -> None:  # type: ignore[no-untyped-def]
    frames["prices"]["close"] = frames["prices"]["close"].astype(object)
    frames["prices"].loc[2, "close"] = "ten"


def duplicate(frames) -> None:  # type: ignore[no-untyped-def]
    frames["prices"] = pd.concat([frames["prices"], frames["prices"].iloc[[1]]], ignore_index=True)


def negative_close(frames) -> None:  # type: ignore[no-untyped-def]
    frames["prices"].loc[3, "close"] = -1.0


def zero_shares(frames) -> None:  # type: ignore[no-untyped-def]
    frames["shares"].loc[0, "shares_outstanding"] = 0.0


def bad_float(frames) -> None:  # type: ignore[no-untyped-def]
    frames["shares"].loc[1, "float_factor"] = 1.2


def not_session(frames) -> None:  # type: ignore[no-untyped-def]
    frames["prices"].loc[0, "date"] = pd.Timestamp("2024-01-06")


def unknown_security(frames) -> None:  # type: ignore[no-untyped-def]
    frames["prices"].loc[5, "security_id"] = "ZZZ"


def after_delisting(frames) -> None:  # type: ignore[no-untyped-def]
    frames["securities"].loc[0, "delisting_date"] = pd.Timestamp("2024-01-03")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            drop_column,
            "missing column 'volume' at prices.csv in {d} — add it (float: shares traded (raw, not split-adjusted))",
        ),
        (bad_type, "column 'close' has 'ten' at prices.csv row 3 in {d} — write a number"),
        (
            duplicate,
            "duplicate price for A on 2024-01-03 at prices.csv row 2 in {d} — keep one row per (date, security_id)",
        ),
        (
            negative_close,
            "close -1.0 for A on 2024-01-05 is not a positive number at prices.csv row 4 in {d} — fix or remove the row",
        ),
        (
            zero_shares,
            "shares_outstanding 0.0 for A is not > 0 at shares.csv row 1 in {d} — shares must be positive",
        ),
        (
            bad_float,
            "float_factor 1.2 for B is outside (0, 1] at shares.csv row 2 in {d} — use a fraction such as 0.85",
        ),
        (
            not_session,
            "date 2024-01-06 is not a XNYS session at prices.csv row 1 in {d} — use trading days of the XNYS calendar",
        ),
        (
            unknown_security,
            "security ZZZ is not in securities at prices.csv row 6 in {d} — add it to the securities table or remove the row",
        ),
        (
            after_delisting,
            "price for A on 2024-01-04 is after its delisting_date 2024-01-03 at prices.csv row 3 in {d} — remove the row or correct delisting_date",
        ),
    ],
)
def test_broken_directory_names_file_row_and_fix(tmp_path: Path, change, expected: str) -> None:  # type: ignore[no-untyped-def]
    directory = broken(tmp_path, change)
    with pytest.raises(DataError) as info:
        load_market(directory)
    assert expected.format(d=directory) in info.value.lines()


def test_all_problems_reported_together(tmp_path: Path) -> None:
    def several(frames) -> None:  # type: ignore[no-untyped-def]
        negative_close(frames)
        zero_shares(frames)
        bad_float(frames)

    with pytest.raises(DataError) as info:
        load_market(broken(tmp_path, several))
    assert len(info.value.lines()) == 3


def test_missing_table_and_directory(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="missing table shares at"):
        directory = broken(tmp_path, lambda frames: None)
        (directory / "shares.csv").unlink()
        load_market(directory)
    with pytest.raises(DataError, match="does not exist"):
        load_market(tmp_path / "nowhere")


def test_export_and_load_round_trip(tmp_path: Path, demo, demo_tables) -> None:  # type: ignore[no-untyped-def]
    export(demo_tables, tmp_path / "parquet")
    assert load_market(tmp_path / "parquet").fingerprint() == demo.fingerprint()
    for name, frame in demo_tables.items():
        frame.to_csv(tmp_path / f"{name}.csv", index=False, date_format="%Y-%m-%d")
    assert load_market(tmp_path).fingerprint() == demo.fingerprint()


def test_generator_is_deterministic(demo_tables) -> None:  # type: ignore[no-untyped-def]
    again = generate("small")
    for name, frame in demo_tables.items():
        pd.testing.assert_frame_equal(frame, again[name])
    other = generate("small", seed=1)
    assert not other["prices"]["close"].equals(demo_tables["prices"]["close"])


def test_a_listed_security_without_a_close_is_recorded_as_an_exclusion() -> None:
    # B's prices stop after 2024-02-06 without a delisting_date; C is listed from
    # 2024-01-02 but its first close is on 2024-02-13. Neither can be valued on the rank
    # dates between: the exclusions say why (screen "data"), instead of dropping them silently.
    frames = tiny_frames({"A": [10.0] * 60, "B": [20.0] * 25 + [None] * 35, "C": [None] * 29 + [5.0] * 31})
    frames["securities"].loc[2, "listing_date"] = pd.Timestamp("2024-01-02")
    market = Market.from_frames(frames)
    assert market.view("2024-02-12").unpriced().to_dict() == {
        "B": "no close in the prices table after 2024-02-06 and no delisting_date on or before 2024-02-12",
        "C": "no close in the prices table on or before 2024-02-12 (listing_date 2024-01-02)",
    }
    assert market.view("2024-02-06").unpriced().index.tolist() == ["C"]
    result = indexsmith.build(monthly_index(), market, plugins=Plugins(autoload=False))["t"]
    rows = [
        (f"{d:%Y-%m-%d}", s, screen)
        for d, s, screen in result.exclusions[["rank_date", "security_id", "screen"]].itertuples(index=False)
    ]
    assert rows == [("2024-01-31", "C", "data"), ("2024-02-29", "B", "data")]
    members = result.constituents.groupby("rank_date")["security_id"].apply(lambda s: " ".join(sorted(s)))
    assert members.tolist() == ["A B", "A C"]
