"""The bubble list on a hand-made ranked universe whose cumulative-cap curve is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from indexsmith.frames import BREAKPOINT_COLUMNS
from indexsmith.prediction.bubble import BubbleOptions, bubble_list

# Six companies of measure 50, 40, 30, 20, 10, 5 (total 155): cumulative shares 32.26,
# 58.06, 77.42, 90.32, 96.77 and 100 percent.
RANKED = pd.DataFrame(
    {
        "company_id": list("ABCDEF"),
        "ticker": list("abcdef"),
        "measure": [50.0, 40.0, 30.0, 20.0, 10.0, 5.0],
        "rank": np.arange(1, 7),
    },
    index=pd.Index([f"S{c}" for c in "ABCDEF"], name="security_id"),
)


def _assign(rows: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({"security_id": list(rows), "bucket": list(rows.values()), "fraction": 1.0})


def _breakpoint(band: float = np.nan, buffer_rank: float = np.nan) -> pd.DataFrame:
    return pd.DataFrame(
        [("rank 3", "large", "small", 3, band, buffer_rank, np.nan, np.nan)], columns=list(BREAKPOINT_COLUMNS)
    )


def test_a_plain_rank_cut() -> None:
    landed = _assign(
        {"SA": "large", "SB": "large", "SC": "large", "SD": "small", "SE": "small", "SF": "small"}
    )
    b = bubble_list(RANKED, landed, _assign({}), _breakpoint(), BubbleOptions(ranks=1)).set_index(
        "security_id"
    )
    assert list(b.index) == ["SC", "SB", "SD"]  # ranks 2..4, the nearest flip first (ties by id)
    # C (rank 3) falls out when D's 20 out-ranks it; D gets in when it out-ranks C's 30.
    assert b.loc["SC", "move_to_flip"] == pytest.approx(20 / 30 - 1)
    assert b.loc["SD", "move_to_flip"] == pytest.approx(30 / 20 - 1)
    assert b.loc["SB", "move_to_flip"] == pytest.approx(20 / 40 - 1)
    assert b.loc["SD", "points_from_breakpoint"] == pytest.approx(100 * 20 / 155)
    assert list(b["side"]) == ["above", "above", "below"]


def test_band_thresholds_follow_the_cumulative_cap_curve() -> None:
    # A band of 15 points around 77.42%: an incumbent of large stays while at or inside
    # 92.42%, one of small moves up only inside 62.42%.
    previous = _assign({"SA": "large", "SB": "large", "SC": "small", "SD": "large", "SE": "small"})
    landed = _assign(
        {"SA": "large", "SB": "large", "SD": "large", "SC": "small", "SE": "small", "SF": "small"}
    )
    b = bubble_list(
        RANKED, landed, previous, _breakpoint(band=15.0), BubbleOptions(ranks=1, points=0)
    ).set_index("security_id")
    # D (90.32%) is kept above by the band: it falls out below E's size (96.77% > 92.42%).
    assert b.loc["SD", "side"] == "above" and b.loc["SD", "move_to_flip"] == pytest.approx(10 / 20 - 1)
    # C (77.42%, held in small by the band) must reach B's size to sit inside 62.42%.
    assert b.loc["SC", "side"] == "below" and b.loc["SC", "move_to_flip"] == pytest.approx(40 / 30 - 1)
    # Within the band plus 0 points: every company from 62.42% to 92.42%, and ranks 2..4.
    assert set(b.index) == {"SB", "SC", "SD"}


def test_a_buffer_keeps_incumbents_to_its_rank() -> None:
    previous = _assign({"SA": "large", "SB": "large", "SD": "large"})
    landed = _assign({"SA": "large", "SB": "large", "SD": "large"})
    b = bubble_list(RANKED, landed, previous, _breakpoint(buffer_rank=4), BubbleOptions(ranks=2)).set_index(
        "security_id"
    )
    # D, ranked 4, is in by the buffer: it leaves when E (rank 5) out-ranks it.
    assert b.loc["SD", "move_to_flip"] == pytest.approx(10 / 20 - 1)
    # C, a newcomer ranked 3, is below: the buffer kept D in its place; it needs C's own
    # breakpoint size — it is the company at rank 3, so no move flips it (0).
    assert b.loc["SC", "side"] == "below"


def test_a_dollar_range_minimum_is_a_size_to_reach_and_a_floor_to_fall_under() -> None:
    import datetime as dt

    from indexsmith_plugins.committee import CommitteeSelection, CommitteeTier
    from indexsmith_plugins.ranges import CapRange

    committee = CommitteeSelection(
        indices=[
            CommitteeTier(
                name="large",
                target=3,
                ranges=[CapRange(start=dt.date(2000, 1, 1), min_cap=25.0)],
                retain_fraction=0.5,
            )
        ]
    )

    class View:
        as_of = pd.Timestamp("2024-06-14")

    (bp,) = committee.breakpoints(View(), RANKED).itertuples(index=False)  # type: ignore[arg-type]
    assert (bp.breakpoint, bp.rank, bp.measure, bp.floor) == ("large range minimum $0.00B", 3, 25.0, 12.5)
    previous = _assign({"SA": "large", "SB": "large", "SD": "large"})
    landed = _assign({"SA": "large", "SB": "large", "SD": "large"})  # D (20) stays: above the floor
    b = bubble_list(
        RANKED, landed, previous, committee.breakpoints(View(), RANKED), BubbleOptions(ranks=2)
    ).set_index("security_id")
    assert b.loc["SD", "side"] == "above" and b.loc["SD", "move_to_flip"] == pytest.approx(12.5 / 20 - 1)
    # C (30) is in range but not chosen: already past the size (a negative move), the
    # committee's choice keeps it out. E (10) needs 150% to reach the minimum.
    assert b.loc["SC", "side"] == "below" and b.loc["SC", "move_to_flip"] == pytest.approx(25 / 30 - 1)
    assert b.loc["SE", "move_to_flip"] == pytest.approx(25 / 10 - 1)
    assert "SF" not in b.index  # rank 6: three from the minimum's rank, 80% under it
