"""Review kinds: reconstitutions, quarterly IPO additions and weight-only rebalances."""

from __future__ import annotations

import datetime as dt

import attrs
import indexsmith
import pandas as pd
from indexsmith import Schedule, get_calendar
from indexsmith_plugins.schedules import NthWeekday, RussellAnnual

from tests.support import monthly_index


def test_ipo_additions_calendar_1_8() -> None:
    # methodologies.md §1.8: Q3-2018 IPO cycle ranked Fri 17 Aug, announced Fri 31 Aug,
    # effective after the close of Fri 21 Sep 2018 (third Friday of September). Q2 IPOs
    # go to the June reconstitution; once December reconstitutes (2026) there is no
    # December IPO cycle.
    schedule = RussellAnnual(ipo_additions_from=dt.date(2004, 9, 17))
    reviews = schedule.reviews(get_calendar("XNYS"), dt.date(2004, 1, 1), dt.date(2026, 12, 31))
    ipo = reviews[reviews["kind"] == "additions"]
    ipo = ipo.set_index(ipo["effective_date"].dt.strftime("%Y-%m-%d"))
    assert ipo.loc["2018-09-21", ["rank_date", "announcement_date"]].dt.strftime("%Y-%m-%d").tolist() == [
        "2018-08-17",
        "2018-08-31",
    ]
    assert {"2018-12-21", "2019-03-15", "2004-09-17", "2026-03-20", "2026-09-18"} <= set(ipo.index)
    assert ipo.index.min() == "2004-09-17"  # the first cycle
    assert "2026-12-18" not in set(ipo.index)
    assert (reviews.loc[reviews["effective_date"].dt.month == 6, "kind"] == "reconstitution").all()
    # Per year: June + three IPO cycles, until December reconstitutes (2026: two cycles).
    per_year = reviews.groupby(reviews["effective_date"].dt.year).size()
    assert per_year.loc[2005] == 4 and per_year.loc[2026] == 4 and per_year.loc[2004] == 3
    assert reviews["effective_date"].is_monotonic_increasing


def test_reconstitution_months_make_other_reviews_rebalances() -> None:
    schedule = NthWeekday(months=(3, 6, 9, 12), reconstitution_months=(12,))
    reviews = schedule.reviews(get_calendar("XNYS"), dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    assert reviews["kind"].tolist() == ["rebalance", "rebalance", "rebalance", "reconstitution"]
    assert reviews["effective_date"].dt.strftime("%m-%d").tolist() == ["03-15", "06-21", "09-20", "12-20"]


@attrs.frozen(kw_only=True)
class _TwoReviews(Schedule):
    """End of January: reconstitution; end of February: ``second``."""

    second: str = "additions"

    def reviews(self, calendar, start, end):  # type: ignore[no-untyped-def]
        days = [pd.Timestamp("2024-01-31"), pd.Timestamp("2024-02-29")]
        return pd.DataFrame(
            {
                "rank_date": days,
                "announcement_date": days,
                "effective_date": days,
                "kind": ["reconstitution", self.second],
            }
        )


def _build(tiny, second: str):  # type: ignore[no-untyped-def]
    # Caps in $M (1M shares). January: A 50, B 40, C 30; E 5 fails the $10M floor.
    # February: B falls to 0.5 (below every screen), D lists on 5 Feb at 45, E rises to 35.
    jan, feb = 21, 20
    closes = {
        "A": [50.0] * (jan + feb),
        "B": [40.0] * jan + [0.5] * feb,
        "C": [30.0] * (jan + feb),
        "D": [None] * (jan + 2) + [45.0] * (feb - 2),
        "E": [5.0] * jan + [35.0] * feb,
    }
    market = tiny(closes)
    plugins = indexsmith.Plugins(autoload=False)
    plugins.add("schedule", "two-reviews", _TwoReviews)
    spec = monthly_index(
        schedule={"use": "two-reviews", "params": {"second": second}},
        universe=[{"use": "min-market-cap", "params": {"min_cap": 10e6}}],
        bucketing={
            "use": "count-tiers",
            "params": {"tiers": [{"name": "top", "count": 2}, {"name": "next", "count": 2}]},
        },
        buckets=["top", "next"],
        weighting={"use": "equal"},
    )
    return indexsmith.build(spec, market, plugins=plugins)["t"]


def test_additions_review_keeps_members_and_adds_only_new_listings(tiny) -> None:  # type: ignore[no-untyped-def]
    result = _build(tiny, "additions")
    feb = result.at("2024-02-29").set_index("security_id")
    # B is kept although it fails the cap floor (members are not screened between
    # reconstitutions); D, listed after the January rank day, is placed by its rank among
    # the members at today's prices (2nd -> top); E, an old listing, waits for the next
    # reconstitution; nobody is pushed out to make room.
    assert sorted(feb.index) == ["A", "B", "C", "D"]
    assert feb["bucket"].sort_index().to_dict() == {"A": "top", "B": "top", "C": "next", "D": "top"}
    assert feb.loc["D", "note"] == "added between reconstitutions"
    assert set(feb["review"]) == {"additions"}
    assert feb["weight"].tolist() == [0.25] * 4
    changes = result.changes[result.changes["effective_date"] == "2024-02-29"]
    assert changes[["security_id", "change"]].to_dict("records") == [
        {"security_id": "D", "change": "addition"}
    ]


def test_rebalance_review_changes_weights_only(tiny) -> None:  # type: ignore[no-untyped-def]
    result = _build(tiny, "rebalance")
    jan = result.at("2024-01-31").set_index("security_id")
    feb = result.at("2024-02-29").set_index("security_id")
    assert sorted(jan.index) == sorted(feb.index) == ["A", "B", "C"]
    assert (
        feb["bucket"].sort_index().tolist() == jan["bucket"].sort_index().tolist() == ["top", "top", "next"]
    )
    assert set(feb["review"]) == {"rebalance"}
    assert result.changes[result.changes["effective_date"] == "2024-02-29"].empty
