"""Russell-style style splits are set at reconstitution (methodologies.md §1.9): members
keep theirs between reconstitutions and, at a reconstitution, while their composite value
score moves by less than the band."""

from __future__ import annotations

import pandas as pd
import pytest
from indexsmith import Market
from indexsmith.testing import members
from indexsmith_plugins.weightings import StyleWeight


@pytest.fixture
def view(demo: Market):  # type: ignore[no-untyped-def]
    return demo.view(pd.Timestamp("2020-06-12"))


def test_style_keeps_its_split_between_reconstitutions(view) -> None:  # type: ignore[no-untyped-def]
    frame = members(view)
    first = StyleWeight(style="value").index_shares(view, frame)
    assert {"value_share", "cvs"} <= set(first.columns)
    later = frame.assign(review="additions", previous_value_share=0.25, previous_cvs=first["cvs"])
    kept = StyleWeight(style="value").index_shares(view, later)
    assert kept["value_share"].eq(0.25).all()
    shares = frame["fraction"] * view.shares_outstanding(frame.index) * view.float_factor(frame.index)
    assert kept["index_shares"].to_numpy() == pytest.approx((shares * 0.25).to_numpy(), rel=1e-12)


def test_style_band_keeps_a_split_while_the_score_barely_moves(view) -> None:  # type: ignore[no-untyped-def]
    frame = members(view)
    first = StyleWeight(style="growth").index_shares(view, frame)
    moved = first["cvs"].copy()
    moved.iloc[:10] += 0.5  # ten stocks' scores moved by more than the band
    later = frame.assign(review="reconstitution", previous_value_share=0.5, previous_cvs=first["cvs"] + 0.05)
    later.loc[later.index[:10], "previous_cvs"] = moved.iloc[:10]
    again = StyleWeight(style="growth", cvs_band=0.10).index_shares(view, later)
    assert again["value_share"].iloc[10:].eq(0.5).all()
    assert again["value_share"].iloc[:10].to_numpy() == pytest.approx(
        first["value_share"].iloc[:10].to_numpy()
    )
    # With no band every split is recomputed.
    fresh = StyleWeight(style="growth", cvs_band=0.0).index_shares(view, later)
    assert fresh["value_share"].to_numpy() == pytest.approx(first["value_share"].to_numpy())
