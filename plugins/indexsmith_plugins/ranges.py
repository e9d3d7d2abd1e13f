"""Dated market-cap ranges, shared by the ``cap-range-table`` screen and the
``committee-selection`` bucketing: S&P revises its addition ranges from time to time
(methodologies.md §3.3), so a range holds from its start until the next one's.

A helper module: it registers nothing, and plugin modules may import it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import attrs
import numpy as np
import pandas as pd
from indexsmith.frames import BREAKPOINT_COLUMNS


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


def addition_range(
    ranges: Sequence[CapRange],
    percentiles: tuple[float, float] | None,
    as_of: pd.Timestamp,
    cap: pd.Series,
    position: pd.Series,
) -> tuple[float, float]:
    """The addition range in dollars on ``as_of``: the dollar range in force, else the
    caps at the cumulative ``percentiles`` of ``cap`` (ranked companies), else nothing."""
    current = in_force(ranges, as_of) if ranges else None
    if current is not None:
        return current.min_cap, current.max_cap if current.max_cap is not None else np.inf
    if percentiles is None:
        return np.inf, np.inf
    low, high = percentiles
    inside = cap[(position > low) & (position <= high)]
    if inside.empty:
        return np.inf, np.inf
    return float(inside.min()), (np.inf if low == 0 else float(inside.max()))


def range_breakpoints(rows: Sequence[tuple[str, float, float | None]], cap: pd.Series) -> pd.DataFrame:
    """Breakpoints at each index's addition-range minimum (``(name, minimum, floor)``,
    floor: the size below which an incumbent is released), placed at the rank where the
    minimum falls among the companies' ``cap`` (largest first)."""
    values = np.sort(cap.to_numpy(dtype=float))[::-1]
    out = [
        (
            f"{name} range minimum ${low / 1e9:,.2f}B",
            name,
            "",
            max(int((values >= low).sum()), 1),
            np.nan,
            np.nan,
            low,
            np.nan if floor is None else floor,
        )
        for name, low, floor in rows
        if np.isfinite(low)
    ]
    return pd.DataFrame(out, columns=list(BREAKPOINT_COLUMNS))
