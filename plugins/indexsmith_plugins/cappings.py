"""Cappings: concentration limits applied after weighting."""

from __future__ import annotations

import math

import attrs
import numpy as np
import pandas as pd
from indexsmith import Capping, MarketView, hookimpl

TOLERANCE = 1e-12


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

    max_weight: float = attrs.field(
        validator=[attrs.validators.gt(0), attrs.validators.le(1)],
        metadata={"help": "maximum weight of one security, e.g. 0.2 for 20%"},
    )

    def cap(self, view: MarketView, members: pd.DataFrame, weights: pd.Series) -> pd.Series:
        needed = math.ceil(1 / self.max_weight - TOLERANCE)
        if len(weights) < needed:
            raise ValueError(
                f"{len(weights)} members cannot meet max_weight {self.max_weight:g}; at least {needed} are needed"
            )
        return pd.Series(cap_weights(weights.to_numpy(), self.max_weight), index=weights.index)


@hookimpl
def indexsmith_register_cappings(register):  # type: ignore[no-untyped-def]
    register("single-name", SingleNameCap)
