"""The reviews of a build: those of the definition's schedule inside the date range that
the market data can support, and those ranked inside it but effective past it (pending)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from indexsmith import contracts
from indexsmith.data.calendars import get_calendar
from indexsmith.data.market import Market
from indexsmith.definition.model import Methodology
from indexsmith.engine.review import call, date_range
from indexsmith.errors import DefinitionError, Problem


def schedule(
    methodology: Methodology, market: Market, start: dt.date | None = None, end: dt.date | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reviews within the definition's (or the given) date range that the data can support,
    and those ranked by the build's last session whose effective date lies past it (pending:
    the data, or the build, ends between their rank and effective dates)."""
    d = methodology.definition
    first, last = market.first_session.date(), market.last_session.date()
    start, end = date_range(methodology, start, end, first, last)
    calendar = get_calendar(d.calendar)
    horizon = max(end, (pd.Timestamp(last) + pd.DateOffset(years=1)).date())
    reviews = call(methodology.schedule, "reviews", f"for {start}..{end}", calendar, start, horizon)
    reviews = contracts.check_reviews(methodology.schedule, reviews)
    ranked_inside = reviews["rank_date"] >= market.first_session
    stop = min(market.last_session, pd.Timestamp(end))
    effective_inside = reviews["effective_date"] <= stop
    pending = reviews[ranked_inside & ~effective_inside & (reviews["rank_date"] <= stop)].reset_index(
        drop=True
    )
    reviews = reviews[ranked_inside & effective_inside].reset_index(drop=True)
    if reviews.empty:
        raise DefinitionError(
            [
                Problem(
                    f"schedule '{methodology.schedule.entry.name}' gives no review between {start} and {end} "
                    f"inside the market data ({first}..{last})",
                    hint="widen start/end or use data covering the review dates",
                )
            ],
            methodology.source,
        )
    return reviews, pending
