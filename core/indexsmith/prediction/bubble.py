"""The bubble list: the names near a breakpoint of the family's bucketing at a previewed
review, which side each lands on, by how much, and what move of its own price would
flip it.

A bucketing with breakpoints (:meth:`~indexsmith.components.Bucketing.breakpoints`:
Russell-style rank tiers with their cumulative-cap bands, the Nasdaq-100-style top 100
with its buffer, the S&P-style dollar addition ranges) is measured against them. Any other
(CRSP-style cumulative bands, ``all``) is measured against each bucket's last member by
rank, and the preview says so.

A size threshold (the S&P-style committee's dollar addition range minimum in force on the
rank date) is a size to reach for a name outside the index and, for a member, a floor to
fall under (``retain_fraction`` of the minimum; the committee's own choice among the names
in range — sector balance, vacancies — is not modelled by the threshold).

The flip threshold of a rank breakpoint follows the rule that keeps a name where it is:

- a name below a breakpoint must out-rank the company at the breakpoint's rank — or, an
  incumbent of the bucket below held by a band, rise past the band's upper edge of
  cumulative cap;
- a name above falls out when the next company out-ranks it — or, an incumbent held by a
  band or buffer, when it falls past the band's lower edge or the buffer rank.

The price move is ``threshold measure / measure - 1`` with every other price held (the
measure of a cap ranking moves with the price; the name's own move shifts the total cap a
little, which the threshold ignores).
"""

from __future__ import annotations

import attrs
import numpy as np
import pandas as pd

from indexsmith.frames import BREAKPOINT_COLUMNS, by_security, cumulative_share

#: ``bubble`` table of a preview.
BUBBLE_COLUMNS = (
    "breakpoint",
    "security_id",
    "ticker",
    "company_rank",
    "measure",
    "cumulative_share",
    "incumbent_of",
    "lands_in",
    "side",
    "ranks_from_breakpoint",
    "points_from_breakpoint",
    "threshold_measure",
    "move_to_flip",
)


@attrs.frozen(kw_only=True)
class BubbleOptions:
    """Which names the bubble list holds: within ``ranks`` company ranks of a breakpoint,
    or (for a banded breakpoint) within the band plus ``points`` of cumulative cap, or (for
    a size threshold such as a dollar range minimum) within ``size`` of it (0.25: 25%)."""

    ranks: int = attrs.field(default=25, validator=attrs.validators.gt(0))
    points: float = attrs.field(default=0.5, validator=attrs.validators.ge(0))
    #: For a size threshold (a dollar range minimum): names within this fraction of it.
    size: float = attrs.field(default=0.25, validator=attrs.validators.ge(0))


def fallback_breakpoints(
    assignment: pd.DataFrame, ranked: pd.DataFrame, buckets: tuple[str, ...]
) -> pd.DataFrame:
    """Each bucket's last member by company rank, as a breakpoint (no band, no buffer)."""
    ranks = company_ranks(ranked)
    placed = by_security(assignment)["bucket"]
    rows = []
    for bucket in buckets:
        members = placed.index[placed.str.split("+").map(lambda b, name=bucket: name in b)]
        held = ranks.reindex(members).dropna()
        if held.empty:
            continue
        last = int(held.max())
        rows.append(
            (f"last member of {bucket} (rank {last})", bucket, "", last, np.nan, np.nan, np.nan, np.nan)
        )
    return pd.DataFrame(rows, columns=list(BREAKPOINT_COLUMNS))


def company_ranks(ranked: pd.DataFrame) -> pd.Series:
    """1-based rank of each security's company in ``ranked`` (share classes share it)."""
    codes, _ = pd.factorize(ranked["company_id"], sort=False)
    return pd.Series(codes + 1, index=ranked.index, name="company_rank")


def bubble_list(
    ranked: pd.DataFrame,
    assignment: pd.DataFrame,
    previous: pd.DataFrame,
    breakpoints: pd.DataFrame,
    options: BubbleOptions,
) -> pd.DataFrame:
    """The names near each breakpoint (see the module docstring), nearest first."""
    if ranked.empty or breakpoints.empty:
        return pd.DataFrame(columns=list(BUBBLE_COLUMNS))
    ranks = company_ranks(ranked)
    position = cumulative_share(ranked)
    companies = ranked.drop_duplicates("company_id")
    company_measure = companies["measure"].to_numpy(dtype=float)
    company_position = position.loc[companies.index].to_numpy(dtype=float)
    landed = by_security(assignment)["bucket"] if len(assignment) else pd.Series(dtype=object)
    before = by_security(previous)["bucket"] if len(previous) else pd.Series(dtype=object)
    measure = ranked["measure"].to_numpy(dtype=float)
    frames = []
    for bp in breakpoints.itertuples(index=False):
        r = int(bp.rank)
        if r >= len(companies):
            continue
        edge = float(company_position[r - 1])
        near = np.abs(ranks.to_numpy() - r) <= options.ranks
        if bp.band == bp.band:
            near |= np.abs(position.to_numpy() - edge) <= bp.band + options.points
        sized = bp.measure == bp.measure
        if sized:
            near |= np.abs(measure / bp.measure - 1.0) <= options.size
        rows = ranked.index[near]
        if not len(rows):
            continue
        in_above = _holds(landed.reindex(rows), bp.above)
        was_above = _holds(before.reindex(rows), bp.above)
        was_below = _holds(before.reindex(rows), bp.below) if bp.below else np.zeros(len(rows), bool)
        # What each name must cross to change sides (module docstring).
        down = np.full(len(rows), company_measure[r] if r < len(company_measure) else 0.0)
        up = np.full(len(rows), company_measure[r - 1])
        if bp.band == bp.band:
            down = np.where(was_above, _beyond(company_position, company_measure, edge + bp.band), down)
            up = np.where(was_below, _within(company_position, company_measure, edge - bp.band), up)
        if bp.buffer_rank == bp.buffer_rank and int(bp.buffer_rank) < len(company_measure):
            down = np.where(was_above, company_measure[int(bp.buffer_rank)], down)
        if sized:  # a size to reach, and (for incumbents) a floor to fall under
            up = np.full(len(rows), float(bp.measure))
            floor = bp.floor if bp.floor == bp.floor else bp.measure
            down = np.where(was_above, float(floor), float(bp.measure))
        threshold = np.where(in_above, down, up)
        own = measure[near]
        move = threshold / own - 1.0
        frames.append(
            pd.DataFrame(
                {
                    "breakpoint": bp.breakpoint,
                    "security_id": rows.astype(object),
                    "ticker": ranked.loc[rows, "ticker"].to_numpy(dtype=object),
                    "company_rank": ranks.loc[rows].to_numpy(dtype=np.int64),
                    "measure": own,
                    "cumulative_share": position.loc[rows].to_numpy(dtype=float),
                    "incumbent_of": before.reindex(rows).to_numpy(dtype=object),
                    "lands_in": landed.reindex(rows).to_numpy(dtype=object),
                    "side": np.where(in_above, "above", "below"),
                    "ranks_from_breakpoint": ranks.loc[rows].to_numpy(dtype=np.int64) - r,
                    "points_from_breakpoint": position.loc[rows].to_numpy(dtype=float) - edge,
                    "threshold_measure": threshold,
                    "move_to_flip": move,
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=list(BUBBLE_COLUMNS))
    out = pd.concat(frames, ignore_index=True)
    order = np.lexsort((out["security_id"].to_numpy(dtype=str), np.abs(out["move_to_flip"].to_numpy())))
    out = out.iloc[order]
    return out.sort_values("breakpoint", kind="stable").reset_index(drop=True)[list(BUBBLE_COLUMNS)]


def _holds(buckets: pd.Series, name: str) -> np.ndarray:
    """Whether each security's (joined) buckets include ``name``."""
    if not name:
        return np.zeros(len(buckets), dtype=bool)
    return np.array([isinstance(b, str) and name in b.split("+") for b in buckets], dtype=bool)


def _within(position: np.ndarray, measure: np.ndarray, share: float) -> float:
    """The size a name must reach to sit at or inside ``share`` of the cumulative-cap
    curve: the measure of the last company whose cumulative share is at most ``share``."""
    i = int(np.searchsorted(position, share, side="right")) - 1
    return float(measure[max(i, 0)])


def _beyond(position: np.ndarray, measure: np.ndarray, share: float) -> float:
    """The size below which a name falls past ``share``: the measure of the first company
    whose cumulative share is beyond it."""
    i = int(np.searchsorted(position, share, side="right"))
    return float(measure[min(i, len(measure) - 1)])
