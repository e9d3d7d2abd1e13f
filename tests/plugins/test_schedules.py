"""Review schedules on real exchange calendars (methodologies.md §1.3)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from indexsmith import get_calendar
from indexsmith_plugins.schedules import Monthly, NthWeekday


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


def test_russell_annual_calendar_1_3() -> None:
    # methodologies.md §1.3 (published dates): effective after the close of the fourth Friday
    # of June; rank day the last trading day of May, then of April from 2023; a December
    # reconstitution from 2026 (rank 30 Oct, effective 11 Dec). 2016 and 2018 ranked on
    # published exception days.
    from indexsmith_plugins.schedules import RankDayOverride, RussellAnnual

    schedule = RussellAnnual(
        rank_day_overrides=(
            RankDayOverride(year=2016, rank_date=dt.date(2016, 5, 27)),
            RankDayOverride(year=2018, rank_date=dt.date(2018, 5, 11)),
        )
    )
    reviews = schedule.reviews(get_calendar("XNYS"), dt.date(2007, 1, 1), dt.date(2026, 12, 31))
    by_effective = {f"{r.effective_date:%Y-%m-%d}": f"{r.rank_date:%Y-%m-%d}" for r in reviews.itertuples()}
    assert {
        k: by_effective[k] for k in ("2016-06-24", "2018-06-22", "2023-06-23", "2024-06-28", "2025-06-27")
    } == {
        "2016-06-24": "2016-05-27",
        "2018-06-22": "2018-05-11",
        "2023-06-23": "2023-04-28",
        "2024-06-28": "2024-04-30",
        "2025-06-27": "2025-04-30",
    }
    assert {"2007-06-22", "2008-06-27", "2026-06-26", "2026-12-11"} <= set(by_effective)
    assert by_effective["2026-12-11"] == "2026-10-30"
    assert by_effective["2014-06-27"] == "2014-05-30"  # last trading day of May 2014
    # Preliminary lists five weeks before: Fri 24 May 2024, Fri 23 May 2025 (published).
    announced = {
        f"{r.effective_date:%Y-%m-%d}": f"{r.announcement_date:%Y-%m-%d}" for r in reviews.itertuples()
    }
    assert (announced["2024-06-28"], announced["2025-06-27"]) == ("2024-05-24", "2025-05-23")
    # With May rank days the lists came two weeks before: Fri 10 Jun 2016, Fri 8 Jun 2018.
    assert (announced["2016-06-24"], announced["2018-06-22"]) == ("2016-06-10", "2018-06-08")
    early = schedule.reviews(get_calendar("XNYS"), dt.date(1995, 1, 1), dt.date(2026, 12, 31))
    assert (early["rank_date"] <= early["announcement_date"]).all()
    assert (early["announcement_date"] <= early["effective_date"]).all()
    assert len(reviews) == 21  # 2007-2026 June reviews plus December 2026
