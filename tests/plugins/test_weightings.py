"""Russell-style value/growth split (methodologies.md §1.9)."""

from __future__ import annotations

import datetime as dt

import indexsmith
import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st
from indexsmith_plugins.weightings import standardised, value_share


def test_value_share_ramp_by_hand() -> None:
    # Caps 10, 20, 30, 40 in CVS order a < b < c < d: midpoints of their cumulative slices
    # are 0.05, 0.20, 0.45, 0.80. A 30% split zone runs from 0.35 to 0.65: a and b are pure
    # growth, d pure value, c one third value.
    cvs = pd.Series([-1.0, -0.5, 0.1, 0.9], index=list("abcd"))
    cap = pd.Series([10.0, 20.0, 30.0, 40.0], index=list("abcd"))
    v = value_share(cvs, cap, 0.30)
    assert np.allclose(v.to_numpy(), [0.0, 0.0, 1 / 3, 1.0])
    # No split zone: a hard cut at the median of cap.
    assert value_share(cvs, cap, 0.0).tolist() == [0.0, 0.0, 0.0, 1.0]


@given(
    st.lists(
        st.tuples(st.floats(-3, 3, allow_nan=False), st.floats(1, 1e6, allow_nan=False)),
        min_size=1,
        max_size=40,
    ),
    st.floats(0, 1),
)
def test_value_share_is_a_monotone_fraction(rows: list[tuple[float, float]], zone: float) -> None:
    cvs = pd.Series([r[0] for r in rows], index=[f"s{i:02d}" for i in range(len(rows))])
    cap = pd.Series([r[1] for r in rows], index=cvs.index)
    v = value_share(cvs, cap, zone)
    assert ((v >= 0) & (v <= 1)).all()
    order = np.lexsort((cvs.index.to_numpy(dtype=str), cvs.to_numpy()))
    assert np.all(np.diff(v.to_numpy()[order]) >= -1e-12)  # higher CVS -> more value


def test_standardised_units() -> None:
    z = standardised(pd.Series([3.0, 1.0, 2.0, np.nan]))
    # Percentile ranks 1, 1/3, 2/3 -> (p - 0.5) * sqrt(12).
    assert np.allclose(z.iloc[:3], [0.5 * np.sqrt(12), -np.sqrt(12) / 6, np.sqrt(12) / 6])
    assert np.isnan(z.iloc[3])


def test_value_plus_growth_is_the_parent(demo, plugins) -> None:  # type: ignore[no-untyped-def]
    spec = {
        "family": {
            "id": "style",
            "schedule": {"use": "quarterly-third-friday"},
            "ranking": {"use": "company-market-cap"},
            "bucketing": {"use": "count-tiers", "params": {"tiers": [{"name": "top", "count": 200}]}},
            "index": [
                {"id": "parent", "buckets": ["top"], "weighting": {"use": "float-cap"}},
                {
                    "id": "value",
                    "buckets": ["top"],
                    "weighting": {"use": "style", "params": {"style": "value"}},
                },
                {
                    "id": "growth",
                    "buckets": ["top"],
                    "weighting": {"use": "style", "params": {"style": "growth"}},
                },
            ],
        }
    }
    result = indexsmith.build(spec, demo, plugins=plugins, end=dt.date(2020, 12, 31))
    view = demo.view(pd.Timestamp("2020-12-11"))  # rank date of the December 2020 review
    when = result["parent"].constituents["rank_date"].max()
    assert when == view.as_of
    frames = {k: result[k].at(when).set_index("security_id") for k in ("parent", "value", "growth")}
    fmc = view.float_market_cap(frames["parent"].index)
    total = fmc.sum()
    value_cap = frames["value"]["weight"].reindex(fmc.index, fill_value=0.0)
    growth_cap = frames["growth"]["weight"].reindex(fmc.index, fill_value=0.0)
    # Solve each style's total cap from any stock held wholly in it, then check additivity.
    v_total = (fmc / value_cap)[value_cap > 0].min()
    g_total = (fmc / growth_cap)[growth_cap > 0].min()
    combined = value_cap * v_total + growth_cap * g_total
    assert np.allclose(combined.to_numpy(), fmc.to_numpy(), rtol=1e-9)
    assert np.isclose(v_total + g_total, total, rtol=1e-9)
    # Membership: every parent stock is in value, growth or both; about 30% of cap split.
    assert set(frames["value"].index) | set(frames["growth"].index) == set(frames["parent"].index)
    both = set(frames["value"].index) & set(frames["growth"].index)
    assert 0.2 < fmc[list(both)].sum() / total < 0.4
