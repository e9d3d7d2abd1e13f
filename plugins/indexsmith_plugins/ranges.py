"""Dated market-cap ranges, shared by the ``cap-range-table`` screen and the
``committee-selection`` bucketing: S&P revises its addition ranges from time to time
(methodologies.md §3.3), so a range holds from its start until the next one's.

A helper module: it registers nothing, and plugin modules may import it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import attrs
import pandas as pd


@attrs.frozen(kw_only=True)
class CapRange:
    """A market-cap range in force from ``start`` until the next row's start."""

    start: dt.date = attrs.field(metadata={"help": "first date the range applies"})
    min_cap: float = attrs.field(
        validator=attrs.validators.ge(0), metadata={"help": "minimum company market cap, USD"}
    )
    max_cap: float | None = attrs.field(
        default=None, metadata={"help": "maximum company market cap, USD (none if omitted)"}
    )


def check_ranges(ranges: Sequence[CapRange]) -> None:
    """Refuse an empty table or start dates that are not distinct and increasing."""
    starts = [r.start for r in ranges]
    if not starts or starts != sorted(starts) or len(set(starts)) != len(starts):
        raise ValueError(
            "'ranges' must list at least one range, with distinct start dates in increasing order"
        )


def in_force(ranges: Sequence[CapRange], date: pd.Timestamp) -> CapRange | None:
    """The range in force on ``date``: the last one starting on or before it."""
    current = None
    for row in ranges:
        if pd.Timestamp(row.start) <= date:
            current = row
    return current
