"""Built-in components against worked examples (methodologies.md) and invariants."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from indexsmith import get_calendar
from indexsmith_plugins.bucketings import CountTiers, Tier
from indexsmith_plugins.cappings import cap_weights
from indexsmith_plugins.schedules import Monthly, NthWeekday


def test_single_name_cap_worked_example_6_6() -> None:
    # methodologies.md §6.6: [40, 25, 15, 10, 5, 5] capped at 20% -> [20, 20, 20, 20, 10, 10].
    # Step 1 caps 40 and 25 and spreads 25 pro rata over [15, 10, 5, 5] -> 25.7143 for the
    # third name, which step 2 caps in turn.
    capped = cap_weights(np.array([40, 25, 15, 10, 5, 5]) / 100, 0.20)
    np.testing.assert_allclose(capped * 100, [20, 20, 20, 20, 10, 10], rtol=0, atol=1e-12)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.floats(min_value=1e-6, max_value=1e6), min_size=1, max_size=60),
    st.floats(min_value=0.01, max_value=1.0),
)
def test_capping_invariants(raw: list[float], max_weight: float) -> None:
    weights = np.array(raw) / np.sum(raw)
    if len(weights) * max_weight < 1 - 1e-9:
        return  # infeasible: refused by SingleNameCap before the algorithm runs
    capped = cap_weights(weights, max_weight)
    assert capped.sum() == pytest.approx(1.0, abs=1e-9)
    assert (capped <= max_weight + 1e-9).all()
    assert (capped >= 0).all()
    # Names below the cap keep their relative sizes (pro-rata redistribution).
    free = capped < max_weight - 1e-9
    if free.sum() >= 2:
        ratio = capped[free] / weights[free]
        np.testing.assert_allclose(ratio, ratio[0], rtol=1e-9)


def test_count_tiers_follow_company_ranks() -> None:
    ranked = pd.DataFrame(
        {"company_id": ["C1", "C1", "C2", "C3", "C4", "C5"]},
        index=pd.Index(["A1", "A2", "B", "C", "D", "E"], name="security_id"),
    )
    tiers = CountTiers(tiers=(Tier(name="large", count=2), Tier(name="small", count=2)))
    out = tiers.assign(None, ranked, pd.DataFrame())  # type: ignore[arg-type]
    # Both share classes of C1 go with their company; C5 is past the last tier.
    assert out.set_index("security_id")["bucket"].to_dict() == {
        "A1": "large",
        "A2": "large",
        "B": "large",
        "C": "small",
        "D": "small",
    }


@given(st.lists(st.integers(min_value=1, max_value=50), min_size=1, max_size=5), st.integers(0, 300))
def test_count_tiers_partition(counts: list[int], n: int) -> None:
    ranked = pd.DataFrame(
        {"company_id": [f"C{i:04d}" for i in range(n)]}, index=[f"S{i:04d}" for i in range(n)]
    )
    tiers = CountTiers(tiers=tuple(Tier(name=f"t{i}", count=c) for i, c in enumerate(counts)))
    out = tiers.assign(None, ranked, pd.DataFrame())  # type: ignore[arg-type]
    assert len(out) == min(n, sum(counts))
    assert out["security_id"].is_unique
    sizes = out.groupby("bucket").size().reindex([f"t{i}" for i in range(len(counts))], fill_value=0)
    expected = np.diff(np.minimum(np.cumsum([0, *counts]), n))
    assert sizes.tolist() == expected.tolist()


def test_quarterly_third_friday_on_xnys() -> None:
    reviews = NthWeekday().reviews(get_calendar("XNYS"), dt.date(2024, 1, 1), dt.date(2025, 12, 31))
    assert [f"{d:%Y-%m-%d}" for d in reviews["effective_date"]] == [
        "2024-03-15",
        "2024-06-21",
        "2024-09-20",
        "2024-12-20",
        "2025-03-21",
        "2025-06-20",
        "2025-09-19",
        "2025-12-19",
    ]
    # Ranked five sessions before: Friday 2024-03-08; announced three sessions before.
    first = reviews.iloc[0]
    assert (first["rank_date"], first["announcement_date"]) == (
        pd.Timestamp("2024-03-08"),
        pd.Timestamp("2024-03-12"),
    )


def test_holiday_rolls_back_to_previous_session() -> None:
    # Good Friday 2024-03-29 is the last Friday of March; XNYS is closed that day.
    schedule = NthWeekday(months=(3,), weekday=4, n=-1, rank_lag_sessions=0, announce_lag_sessions=0)
    reviews = schedule.reviews(get_calendar("XNYS"), dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    assert list(reviews["effective_date"]) == [pd.Timestamp("2024-03-28")]


def test_monthly_uses_last_session() -> None:
    reviews = Monthly(rank_lag_sessions=0, announce_lag_sessions=0).reviews(
        get_calendar("XNYS"), dt.date(2024, 3, 1), dt.date(2024, 6, 30)
    )
    # 2024-03-29 is Good Friday; 2024-06-29/30 a weekend.
    assert [f"{d:%Y-%m-%d}" for d in reviews["effective_date"]] == [
        "2024-03-28",
        "2024-04-30",
        "2024-05-31",
        "2024-06-28",
    ]
