"""Turnover of one change of holdings, and what caused it (methodologies.md §6.8).

One-way turnover is ``½ Σ |w_new − w_drifted|`` over the union of names, where the old
weights are the holdings drifted to the close of the change and the new weights the
holdings after it (each normalised by its own market value: a fund of fixed size sells
what the index sells and buys what it buys). Each name's ``|w_new − w_drifted|`` is
attributed to one cause:

* ``additions_deletions`` — the name enters or leaves at a review;
* ``replacements`` — the name enters or leaves between reviews (a member leaving the
  market and its weight reinvested, a replacement, a spun-off company dropped);
* ``share_float`` — a member's float-adjusted shares changed (share and float updates);
* ``fractions`` — a member's fraction changed (packeting, style splits);
* ``reweighting`` — a member's index shares changed for none of these reasons (an equal
  weight or a capping reset); zero for an index that holds shares;

a member whose index shares did not change only moves because the others did (its trade
funds theirs), so its part is shared among the causes in proportion to their own parts.
The causes sum to the one-way turnover.
"""

from __future__ import annotations

import numpy as np

from indexsmith.frames import TURNOVER_CAUSES as CAUSES

#: Relative change below which index shares or float shares count as unchanged.
SAME = 1e-12


def decompose(
    old_q: np.ndarray,
    new_q: np.ndarray,
    old_fs: np.ndarray,
    new_fs: np.ndarray,
    prices: np.ndarray,
    *,
    between_reviews: bool,
    holds_shares: bool,
) -> tuple[float, dict[str, float], np.ndarray]:
    """One-way turnover, its causes, and each name's traded weight (new − drifted).

    The arrays are aligned on the union of names: index shares before and after (0 for a
    name not held), the float-adjusted shares each was set from, and the closes. An index
    that does not hold shares sets index shares from weights, so any change of a retained
    member's index shares is reweighting."""
    old_value = old_q * prices
    new_value = new_q * prices
    old_total, new_total = old_value.sum(), new_value.sum()
    drifted = old_value / old_total if old_total > 0 else np.zeros_like(old_value)
    target = new_value / new_total if new_total > 0 else np.zeros_like(new_value)
    traded = target - drifted
    size = np.abs(traded)
    entering_or_leaving = (old_q == 0) | (new_q == 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        same_q = np.abs(new_q / old_q - 1) <= SAME
        old_fraction = np.where(old_fs > 0, old_q / old_fs, np.nan)
        new_fraction = np.where(new_fs > 0, new_q / new_fs, np.nan)
        same_fraction = np.abs(new_fraction / old_fraction - 1) <= 1e-9
        same_fs = np.abs(new_fs / old_fs - 1) <= SAME
    # Each name's cause as a code: -1 funding, else its place in CAUSES.
    code = {name: k for k, name in enumerate(CAUSES)}
    cause = np.full(len(traded), -1, dtype=np.int8)
    changed = ~entering_or_leaving & ~same_q
    if holds_shares:
        cause[changed & same_fs & same_fraction] = code["reweighting"]
        cause[changed & ~same_fs & same_fraction] = code["share_float"]
        cause[changed & ~same_fraction] = code["fractions"]
    else:
        cause[changed] = code["reweighting"]
    cause[entering_or_leaving] = code["replacements" if between_reviews else "additions_deletions"]
    parts = {name: float(size[cause == k].sum()) for name, k in code.items()}
    funding = float(size[cause == -1].sum())
    caused = sum(parts.values())
    if caused > 0:
        parts = {name: value + funding * value / caused for name, value in parts.items()}
    elif funding > 0:
        parts["reweighting"] += funding
    one_way = 0.5 * float(size.sum())
    return one_way, {name: 0.5 * value for name, value in parts.items()}, traded
