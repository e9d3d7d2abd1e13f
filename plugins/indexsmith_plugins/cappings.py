"""Cappings: concentration limits applied after weighting."""

from __future__ import annotations

import math
import typing
from typing import Any

import attrs
import numpy as np
import pandas as pd
from indexsmith import Capping, MarketView, Register, hookimpl

TOLERANCE = 1e-12


def fraction(default: float | None = None, *, help: str, below_one: bool = False) -> float:
    """A weight parameter: a fraction in (0, 1] (or (0, 1) with ``below_one``)."""
    upper = attrs.validators.lt(1) if below_one else attrs.validators.le(1)
    validators: list[Any] = [attrs.validators.gt(0), upper]
    if default is None:
        return typing.cast(float, attrs.field(validator=validators, metadata={"help": help}))
    return typing.cast(float, attrs.field(default=default, validator=validators, metadata={"help": help}))


def cap_weights(weights: np.ndarray, max_weight: float) -> np.ndarray:
    """Iterative single-name cap: set names above the cap to the cap and hand their
    excess to the uncapped names pro rata, until none is above it."""
    w = np.asarray(weights, dtype=float).copy()
    capped = np.zeros(len(w), dtype=bool)
    while True:
        over = (w > max_weight + TOLERANCE) & ~capped
        if not over.any():
            return w
        excess = float((w[over] - max_weight).sum())
        w[over] = max_weight
        capped |= over
        free = ~capped
        w[free] += excess * w[free] / w[free].sum()


@attrs.frozen(kw_only=True)
class SingleNameCap(Capping):
    """No security above ``max_weight``; the excess goes to the others pro rata
    (iterated until every weight is within the cap)."""

    max_weight: float = fraction(help="maximum weight of one security, e.g. 0.2 for 20%")

    def cap(self, view: MarketView, members: pd.DataFrame, weights: pd.Series) -> pd.Series:
        needed = math.ceil(1 / self.max_weight - TOLERANCE)
        if len(weights) < needed:
            raise ValueError(
                f"{len(weights)} members cannot meet max_weight {self.max_weight:g}; at least {needed} are needed"
            )
        return pd.Series(cap_weights(weights.to_numpy(), self.max_weight), index=weights.index)


def two_level_cap(
    weights: np.ndarray,
    single_trigger: float,
    single_target: float,
    group_threshold: float,
    group_trigger: float,
    group_target: float,
) -> np.ndarray:
    """The Nasdaq-100-style quarterly adjustment (methodologies.md §5.3-5.4).

    Triggered when a weight exceeds ``single_trigger`` or the names above
    ``group_threshold`` together exceed ``group_trigger``. Then (1) names above
    ``single_trigger`` are set to ``single_target`` and their excess spread pro rata over the
    others (repeated while the spreading lifts another name above the trigger); (2) if the names above ``group_threshold`` still sum to more than
    ``group_trigger``, that group is scaled to ``group_target`` and the freed weight spread
    pro rata over the smaller names, none of which may end above ``group_threshold``
    (iterated). Weights not triggered are returned unchanged.
    """
    w = np.asarray(weights, dtype=float).copy()
    group = w > group_threshold
    if not ((w > single_trigger).any() or w[group].sum() > group_trigger):
        return w
    # Step 1, iterated: a name pushed above the trigger by the redistribution is capped too.
    capped = np.zeros(len(w), dtype=bool)
    over = w > single_trigger + TOLERANCE
    while over.any():
        excess = float((w[over] - single_target).sum())
        w[over] = single_target
        capped |= over
        w[~capped] += excess * w[~capped] / w[~capped].sum()
        over = ~capped & (w > single_trigger + TOLERANCE)
    group = w > group_threshold
    if w[group].sum() > group_trigger:
        freed = float(w[group].sum() - group_target)
        w[group] *= group_target / w[group].sum()
        small = ~group
        while freed > TOLERANCE and small.any():
            w[small] += freed * w[small] / w[small].sum()
            above = small & (w > group_threshold + TOLERANCE)
            freed = float((w[above] - group_threshold).sum())
            w[above] = group_threshold
            small &= ~above
    return w


@attrs.frozen(kw_only=True)
class TwoLevelCap(Capping):
    """A single-name and aggregate limit, Nasdaq-100 style (defaults: trigger at 24% single
    or 48% for the names above 4.5%, reset to 20% and 40%). With triggers equal to targets
    it is a RIC-style 25/50 rule (``single_trigger = single_target = 0.25``,
    ``group_threshold = 0.05``, ``group_trigger = group_target = 0.5``)."""

    single_trigger: float = fraction(0.24, help="a weight above this triggers the adjustment")
    single_target: float = fraction(0.20, help="weight the triggering names are set to")
    group_threshold: float = fraction(0.045, help="names above this weight form the group", below_one=True)
    group_trigger: float = fraction(0.48, help="a group sum above this triggers the adjustment")
    group_target: float = fraction(0.40, help="sum the group is scaled to")

    def __attrs_post_init__(self) -> None:
        if self.single_target > self.single_trigger or self.group_target > self.group_trigger:
            raise ValueError(
                "targets must not exceed their triggers (single_target <= single_trigger, group_target <= group_trigger)"
            )

    def cap(self, view: MarketView, members: pd.DataFrame, weights: pd.Series) -> pd.Series:
        if len(weights) * self.group_threshold < 1 - self.group_target:
            raise ValueError(
                f"{len(weights)} members cannot hold {1 - self.group_target:.0%} of the index below "
                f"group_threshold {self.group_threshold:g} each"
            )
        capped = two_level_cap(
            weights.to_numpy(),
            self.single_trigger,
            self.single_target,
            self.group_threshold,
            self.group_trigger,
            self.group_target,
        )
        return pd.Series(capped, index=weights.index)


def cap_groups(weights: np.ndarray, groups: np.ndarray, max_weight: float) -> np.ndarray:
    """Iterative group cap: every group above ``max_weight`` is scaled down to it and the
    excess spread over the uncapped groups' names pro rata, until no group is above it."""
    w = np.asarray(weights, dtype=float).copy()
    codes, group = np.unique(groups, return_inverse=True)
    capped = np.zeros(len(codes), dtype=bool)
    while True:
        totals = np.bincount(group, weights=w, minlength=len(codes))
        over = (totals > max_weight + TOLERANCE) & ~capped
        if not over.any():
            return w
        excess = float((totals[over] - max_weight).sum())
        scale = np.where(over, max_weight / np.where(totals > 0, totals, 1), 1.0)
        w *= scale[group]
        capped |= over
        free = ~capped[group]
        w[free] += excess * w[free] / w[free].sum()


@attrs.frozen(kw_only=True)
class SectorCap(Capping):
    """No sector above ``max_weight``; the excess goes pro rata to the names of the other
    sectors (iterated until every sector is within the cap)."""

    max_weight: float = fraction(help="maximum weight of one sector")

    def cap(self, view: MarketView, members: pd.DataFrame, weights: pd.Series) -> pd.Series:
        sectors = members["sector"].to_numpy()
        needed = math.ceil(1 / self.max_weight - TOLERANCE)
        if len(set(sectors)) < needed:
            raise ValueError(
                f"{len(set(sectors))} sectors cannot meet max_weight {self.max_weight:g}; at least {needed} are needed"
            )
        return pd.Series(cap_groups(weights.to_numpy(), sectors, self.max_weight), index=weights.index)


@hookimpl
def indexsmith_register_cappings(register: Register) -> None:
    register("single-name", SingleNameCap)
    register("two-level", TwoLevelCap)
    register("sector", SectorCap)
