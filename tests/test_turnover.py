"""Turnover (methodologies.md §6.8) with hand-checked numbers."""

from __future__ import annotations

import pandas as pd
import pytest
from indexsmith.turnover import annual_turnover, review_turnover


def _constituents(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["effective_date", "security_id", "weight"])
    frame["effective_date"] = pd.to_datetime(frame["effective_date"])
    frame["review"] = "reconstitution"
    return frame


def test_turnover_example_6_8_without_drift(tiny) -> None:  # type: ignore[no-untyped-def]
    # Flat prices: old [0.50, 0.30, 0.20] -> new [0.40, 0.40, 0.20]: TO = 10%.
    market = tiny({"A": [10.0] * 30, "B": [10.0] * 30, "C": [10.0] * 30})
    table = _constituents(
        [
            ("2024-01-10", "A", 0.5), ("2024-01-10", "B", 0.3), ("2024-01-10", "C", 0.2),
            ("2024-02-09", "A", 0.4), ("2024-02-09", "B", 0.4), ("2024-02-09", "C", 0.2),
        ]
    )  # fmt: skip
    result = review_turnover(table, market)
    assert result["turnover"].tolist() == pytest.approx([0.10])


def test_turnover_uses_drifted_weights_and_splits() -> None:
    # A doubles, B flat: 50/50 drifts to 2/3, 1/3; resetting to 50/50 trades 1/6 one way.
    # C splits 2-for-1 on the 6th session (its close halves): flat in value, no trade.
    from conftest import tiny_frames
    from indexsmith import Market

    closes = {"A": [10.0] * 5 + [20.0] * 25, "B": [10.0] * 30, "C": [10.0] * 5 + [5.0] * 25}
    frames = tiny_frames(closes)
    split_day = frames["prices"]["date"].drop_duplicates().sort_values().iloc[5]
    frames["corporate_actions"] = pd.DataFrame(
        {"date": [split_day], "security_id": ["C"], "action": ["split"], "ratio": [2.0]}
    )
    market = Market.from_frames(frames, source="tiny")
    rows = [("2024-01-03", s, 0.5) for s in "AB"] + [("2024-02-09", s, 0.5) for s in "AB"]
    assert review_turnover(_constituents(rows), market)["turnover"].tolist() == pytest.approx([1 / 6])
    rows = [("2024-01-03", s, 0.5) for s in "BC"] + [("2024-02-09", s, 0.5) for s in "BC"]
    assert review_turnover(_constituents(rows), market)["turnover"].tolist() == pytest.approx([0.0])


def test_annual_turnover_drops_partial_years() -> None:
    per_review = pd.DataFrame(
        {
            "effective_date": pd.to_datetime(
                ["2020-06-19", "2021-03-19", "2021-09-17", "2022-06-17", "2023-03-17"]
            ),
            "turnover": [0.5, 0.1, 0.1, 0.3, 0.9],
        }
    )
    assert annual_turnover(per_review) == pytest.approx((0.2 + 0.3) / 2)
