"""Review schedules: when indices are ranked, announced and made effective.

Dates are sessions of the definition's exchange calendar; a rule that lands on a holiday
rolls back to the previous session. Effective dates are "after the close".
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import pandas as pd
from indexsmith import Register, Schedule, TradingCalendar, hookimpl

from indexsmith_plugins.helpers import review_frame


@attrs.frozen(kw_only=True)
class _Lagged(Schedule):
    """Shared by schedules that rank and announce a fixed number of sessions before the
    effective date."""

    rank_lag_sessions: int = attrs.field(
        default=5,
        validator=[attrs.validators.ge(0), attrs.validators.le(500)],
        metadata={"help": "sessions between the rank date and the effective date (at most 500)"},
    )
    announce_lag_sessions: int = attrs.field(
        default=3,
        validator=[attrs.validators.ge(0), attrs.validators.le(500)],
        metadata={"help": "sessions between the announcement and the effective date (<= rank_lag_sessions)"},
    )

    def __attrs_post_init__(self) -> None:
        if self.announce_lag_sessions > self.rank_lag_sessions:
            raise ValueError(
                f"'announce_lag_sessions' ({self.announce_lag_sessions}) must be <= "
                f"'rank_lag_sessions' ({self.rank_lag_sessions}): announcements follow the rank date"
            )

    def _review(
        self, calendar: TradingCalendar, effective: pd.Timestamp
    ) -> tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp]:
        return (
            calendar.offset(effective, -self.rank_lag_sessions),
            calendar.offset(effective, -self.announce_lag_sessions),
            effective,
        )

    def effective_dates(self, calendar: TradingCalendar, start: dt.date, end: dt.date) -> list[pd.Timestamp]:
        raise NotImplementedError

    def reviews(self, calendar: TradingCalendar, start: dt.date, end: dt.date) -> pd.DataFrame:
        rows = [self._review(calendar, e) for e in self.effective_dates(calendar, start, end)]
        return review_frame(rows, start, end)


@attrs.frozen(kw_only=True)
class Monthly(_Lagged):
    """A review effective after the close of the last session of every month."""

    def effective_dates(self, calendar: TradingCalendar, start: dt.date, end: dt.date) -> list[pd.Timestamp]:
        months = pd.period_range(
            pd.Timestamp(start).to_period("M"), pd.Timestamp(end).to_period("M"), freq="M"
        )
        return [calendar.last_session_of_month(m.year, m.month) for m in months]


def _months(instance: object, attribute: attrs.Attribute[Any], value: tuple[int, ...]) -> None:
    if not value or any(not 1 <= m <= 12 for m in value) or len(set(value)) != len(value):
        raise ValueError(f"'months' must be distinct month numbers 1-12, got {list(value)}")


@attrs.frozen(kw_only=True)
class NthWeekday(_Lagged):
    """A review effective after the close of the n-th weekday of chosen months.

    The default is the S&P/CRSP-style quarterly review: the third Friday of March, June,
    September and December.
    """

    months: tuple[int, ...] = attrs.field(
        default=(3, 6, 9, 12),
        converter=tuple,
        validator=_months,
        metadata={"help": "months with a review (1-12)"},
    )
    weekday: int = attrs.field(
        default=4,
        validator=[attrs.validators.ge(0), attrs.validators.le(4)],
        metadata={"help": "0 = Monday ... 4 = Friday"},
    )
    n: int = attrs.field(
        default=3,
        validator=attrs.validators.in_([1, 2, 3, 4, -1]),
        metadata={"help": "which occurrence in the month: 1-4, or -1 for the last"},
    )
    reconstitution_months: tuple[int, ...] | None = attrs.field(
        default=None,
        converter=attrs.converters.optional(tuple),
        metadata={
            "help": "months whose review reconstitutes; the other months only rebalance weights "
            "(e.g. Nasdaq-100 style: months [3, 6, 9, 12], reconstitution_months [12]); all if omitted"
        },
    )

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        if self.reconstitution_months is not None and not set(self.reconstitution_months) <= set(self.months):
            raise ValueError(
                f"'reconstitution_months' {list(self.reconstitution_months)} must be among 'months' {list(self.months)}"
            )

    def effective_dates(self, calendar: TradingCalendar, start: dt.date, end: dt.date) -> list[pd.Timestamp]:
        return [
            calendar.nth_weekday(year, month, self.weekday, self.n)
            for year in range(start.year, end.year + 1)
            for month in sorted(self.months)
        ]

    def reviews(self, calendar: TradingCalendar, start: dt.date, end: dt.date) -> pd.DataFrame:
        effective = self.effective_dates(calendar, start, end)
        rows = [self._review(calendar, e) for e in effective]
        full = self.reconstitution_months
        kinds = ["reconstitution" if full is None or e.month in full else "rebalance" for e in effective]
        return review_frame(rows, start, end, kinds)


@attrs.frozen(kw_only=True)
class RankDayOverride:
    """A published rank day that differs from the rule (e.g. 2016-05-27, 2018-05-11)."""

    year: int = attrs.field(metadata={"help": "reconstitution year"})
    rank_date: dt.date = attrs.field(metadata={"help": "the published rank day"})


@attrs.frozen(kw_only=True)
class RussellAnnual(Schedule):
    """Russell-style reconstitution (methodologies.md §1.3).

    June: rank day is the last trading day of May up to ``april_rank_day_from - 1`` and the
    last trading day of April from then on; effective after the close of the fourth Friday
    of June. From ``december_from`` a second reconstitution ranks on the last trading day of
    October and takes effect after the close of the second Friday of December. Preliminary
    lists are announced ``announce_weeks_before`` weeks before the effective date.
    """

    april_rank_day_from: int = attrs.field(
        default=2023, metadata={"help": "first year ranked on the last trading day of April"}
    )
    december_from: int | None = attrs.field(
        default=2026, metadata={"help": "first year with a December reconstitution (none if omitted)"}
    )
    announce_weeks_before: int = attrs.field(
        default=5,
        validator=attrs.validators.ge(0),
        metadata={"help": "weeks from preliminary lists to the effective date (April rank days)"},
    )
    announce_weeks_before_may: int = attrs.field(
        default=2,
        validator=attrs.validators.ge(0),
        metadata={"help": "the same while the rank day was in May (2016: 10 June for 24 June)"},
    )
    rank_day_overrides: tuple[RankDayOverride, ...] = attrs.field(
        factory=tuple,
        converter=tuple,
        metadata={"help": "list of {year, rank_date} published exceptions to the rule"},
    )
    ipo_additions_from: dt.date | None = attrs.field(
        default=None,
        metadata={
            "help": "first effective date of quarterly IPO additions (§1.8; Russell: 2004-09-17); none if omitted"
        },
    )
    ipo_rank_weeks_before: int = attrs.field(
        default=5,
        validator=attrs.validators.ge(1),
        metadata={"help": "IPO cycle: weeks from the IPO rank day to the effective date"},
    )
    ipo_announce_weeks_before: int = attrs.field(
        default=3,
        validator=attrs.validators.ge(0),
        metadata={"help": "IPO cycle: weeks from the announcement to the effective date"},
    )

    def __attrs_post_init__(self) -> None:
        if self.ipo_announce_weeks_before >= self.ipo_rank_weeks_before:
            raise ValueError(
                f"'ipo_announce_weeks_before' ({self.ipo_announce_weeks_before}) must be less than "
                f"'ipo_rank_weeks_before' ({self.ipo_rank_weeks_before})"
            )

    def reviews(self, calendar: TradingCalendar, start: dt.date, end: dt.date) -> pd.DataFrame:
        overrides = {o.year: pd.Timestamp(o.rank_date) for o in self.rank_day_overrides}
        rows, kinds = [], []
        for year in range(start.year, end.year + 1):
            effective = calendar.nth_weekday(year, 6, 4, 4)
            month = 4 if year >= self.april_rank_day_from else 5
            rank = overrides.get(year, calendar.last_session_of_month(year, month))
            weeks = self.announce_weeks_before if month == 4 else self.announce_weeks_before_may
            rank = calendar.on_or_before(rank)
            announced = max(rank, self._weeks_before(calendar, effective, weeks))
            rows.append((rank, announced, effective))
            kinds.append("reconstitution")
            december = self.december_from is not None and year >= self.december_from
            if december:
                effective = calendar.nth_weekday(year, 12, 4, 2)
                rank = calendar.last_session_of_month(year, 10)
                rows.append((rank, self._weeks_before(calendar, effective), effective))
                kinds.append("reconstitution")
            # Quarterly IPO additions after the close of the third Friday of the quarter-end
            # months other than June (and December once December reconstitutes).
            for ipo_month in (3, 9) if december else (3, 9, 12):
                if self.ipo_additions_from is None:
                    break
                effective = calendar.nth_weekday(year, ipo_month, 4, 3)
                if effective < pd.Timestamp(self.ipo_additions_from):
                    continue
                rows.append(
                    (
                        self._weeks_before(calendar, effective, self.ipo_rank_weeks_before),
                        self._weeks_before(calendar, effective, self.ipo_announce_weeks_before),
                        effective,
                    )
                )
                kinds.append("additions")
        return review_frame(rows, start, end, kinds)

    def _weeks_before(
        self, calendar: TradingCalendar, effective: pd.Timestamp, weeks: int | None = None
    ) -> pd.Timestamp:
        weeks = self.announce_weeks_before if weeks is None else weeks
        return calendar.on_or_before(effective - pd.Timedelta(weeks=weeks))


@hookimpl
def indexsmith_register_schedules(register: Register) -> None:
    register("monthly", Monthly)
    register("nth-weekday", NthWeekday, aliases=("quarterly-third-friday",))
    register("russell-annual", RussellAnnual)
