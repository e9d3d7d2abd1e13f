"""One-way turnover of an index's reviews (methodologies.md §6.8).

``TO = ½ Σ |w_new − w_old,drifted|``: the weights set at the previous review drift with
split-adjusted price returns from its effective date to this one; names entering count
with old weight 0 and names leaving with new weight 0. Members delisted between the two
reviews (acquisitions, bankruptcies) are dropped from the drifted weights before the
comparison, so only trades made at reviews count, not corporate-event trades.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from indexsmith.market import Market, isin


def split_factor(market: Market, ids: pd.Index, after: pd.Timestamp, through: pd.Timestamp) -> pd.Series:
    """Product of split ratios (new shares per old) with dates in ``(after, through]``."""
    actions = market.corporate_actions
    splits = actions[
        (actions["action"] == "split") & (actions["date"] > after) & (actions["date"] <= through)
    ]
    factor = splits.groupby("security_id")["ratio"].prod()
    return factor.reindex(ids, fill_value=1.0).astype(float)


def review_turnover(constituents: pd.DataFrame, market: Market) -> pd.DataFrame:
    """One row per review after the first: ``effective_date``, ``review`` and one-way
    ``turnover`` (a fraction of index value)."""
    dates = constituents["effective_date"].drop_duplicates().sort_values().tolist()
    weights = {
        date: frame.groupby("security_id")["weight"].sum()
        for date, frame in constituents.groupby("effective_date", sort=True)
    }
    kinds = constituents.drop_duplicates("effective_date").set_index("effective_date")["review"]
    rows = []
    for before, after in itertools.pairwise(dates):
        old, new = weights[before], weights[after]
        view = market.view(after)
        alive = old.index[isin(old.index, view.securities.index)]
        ratio = view.close(alive) * split_factor(market, alive, before, after) / view.close(alive, on=before)
        drifted = old[alive] * ratio.to_numpy()
        drifted = drifted / drifted.sum() if drifted.sum() > 0 else drifted
        change = new.sub(drifted, fill_value=0.0).abs().sum()
        rows.append((after, kinds.get(after, "reconstitution"), 0.5 * float(change)))
    return pd.DataFrame(rows, columns=["effective_date", "review", "turnover"])


def annual_turnover(per_review: pd.DataFrame) -> float:
    """Mean over complete calendar years of the summed one-way turnover (the first and
    last years of the history are partial and left out when there are others)."""
    if per_review.empty:
        return float("nan")
    by_year = per_review.groupby(per_review["effective_date"].dt.year)["turnover"].sum()
    inner = by_year.iloc[1:-1] if len(by_year) > 2 else by_year
    return float(np.mean(inner))
