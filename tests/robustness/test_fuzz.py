"""Fuzzing (bounded in time): a definition or a market-data table with one value replaced
by anything gives either one clear error (an IndexsmithError) or a valid result with finite
levels — never a traceback, never a silently wrong number."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from indexsmith import Market, Plugins, build
from indexsmith.definition.resolve import load
from indexsmith.errors import IndexsmithError

from tests.support import monthly_index, tiny_frames

ANYTHING = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1)),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    st.sampled_from(["", "all", "equal", "monthly", "../x", "top", "XNYS", "cap", "float-cap"]),
)

BASE = monthly_index(
    "t",
    universe=[{"use": "min-price", "params": {"min_price": 1.0}}],
    capping={"use": "max-weight", "params": {"max_weight": 0.5}},
    calculation={"cost_bps": 5.0, "fee": 0.001},
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += paths(v, (*prefix, i))
    return out


PATHS = paths(BASE)


def replaced(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    target: Any = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return data


def one_line(exc: IndexsmithError) -> None:
    for line in exc.lines():
        assert "\n" not in line and len(line) < 1200, line


@pytest.fixture(scope="module")
def manager() -> Plugins:
    return Plugins(autoload=False)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(PATHS), ANYTHING)
def test_a_definition_with_one_value_replaced(manager: Plugins, path: tuple[Any, ...], value: Any) -> None:
    try:
        load(replaced(path, value), manager)
    except IndexsmithError as exc:
        one_line(exc)


CLOSES = {s: [20.0 + i * (k + 1) * 0.05 for i in range(45)] for k, s in enumerate(["A", "B", "C"])}
FRAMES = tiny_frames(CLOSES)
DEFINITION = monthly_index("t")
CELL_VALUES = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-5, 10**9),
    st.text(max_size=12),
    st.sampled_from(
        ["2024-01-03", "01/02/2024", "20240102", "2024-02-30", "A", "Z", "", "inf", "-1", "0", "1e999"]
    ),
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.sampled_from(["securities", "prices", "shares"]),
    st.integers(0, 10**6),
    st.integers(0, 10**6),
    CELL_VALUES,
)
def test_market_data_with_one_cell_replaced(
    manager: Plugins, table: str, row: int, column: int, value: Any
) -> None:
    frames = {k: v.copy() for k, v in FRAMES.items()}
    frame = frames[table].astype(object)
    r, c = row % len(frame), column % len(frame.columns)
    frame.iat[r, c] = value
    frames[table] = frame
    try:
        market = Market.from_frames(frames, source="fuzz")
        result = build(DEFINITION, market, plugins=manager)
    except IndexsmithError as exc:
        one_line(exc)
        return
    for index in result:
        levels = index.levels[["price_return", "total_return", "net_total_return"]].to_numpy(dtype=float)
        assert len(levels) and np.isfinite(levels).all(), (table, r, frame.columns[c], value)
        assert (levels > 0).all()
        assert isinstance(index.constituents, pd.DataFrame)
