"""Units and their display: how many sessions make a year, and how money is written in
reasons, explanations and reports. One formatter per unit, so that an exclusion reason,
an ``explain`` line and a factsheet cell write the same amount the same way."""

from __future__ import annotations

from typing import Any

import pandas as pd

#: Trading sessions in a year, for annualising daily figures and accruing fees.
SESSIONS_PER_YEAR = 252

_SCALES = ((1e12, "T"), (1e9, "B"), (1e6, "M"))


def money(amount: float, *, compact: bool = False) -> str:
    """A dollar amount as index people write it.

    ``compact`` is the short form of screen reasons (``$1.23B``, ``$45.6M``: billions with
    two decimals, anything smaller in millions with one). Otherwise the detailed form of
    explanations: ``$1.20T``, ``$4.94B``, ``$812.30M``, and plain ``123,456.00`` below a
    million (a measure that is not a dollar cap, such as a price).
    """
    if compact:
        return f"${amount / 1e9:,.2f}B" if abs(amount) >= 1e9 else f"${amount / 1e6:,.1f}M"
    for scale, suffix in _SCALES:
        if abs(amount) >= scale:
            return f"${amount / scale:,.2f}{suffix}"
    return f"{amount:,.2f}"


def display(value: Any, unit: str) -> str:
    """A statistic's value as a report cell, formatted by its unit: ``—`` when missing,
    dates as YYYY-MM-DD, ``percent`` (a fraction) as 12.3%, ``bps`` (basis points) as
    2.9 bp, ``months`` with one decimal, ``money`` as :func:`money` writes it, ``count``
    with thousands separators, other numbers with two decimals below 1,000 and none
    above, anything else as text."""
    if value is None or (isinstance(value, float) and value != value):
        return "—"
    if isinstance(value, pd.Timestamp):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, str):
        return value
    if unit == "percent":
        return f"{value:.1%}"
    if unit == "bps":
        return f"{value:,.1f} bp"
    if unit == "months":
        return f"{value:.1f}"
    if unit == "money":
        return money(float(value))
    if unit == "count":
        return f"{round(value):,}"
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)
