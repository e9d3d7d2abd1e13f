"""Weightings: cap, float-adjusted cap, equal, price and style weights.

Members arrive with ``fraction`` (the share of the security an index holds, below 1 when
a bucketing splits it between indices); weights scale with it. Cap, float-cap and style
weightings hold shares (``holding = "shares"``): the index holds the members' shares
(float-adjusted, times the fraction and the style share), so weights move with prices
between reviews and a review trades only what changed. Equal and price weightings set
weights that the calculation turns into index shares at the reference price.
"""

from __future__ import annotations

from typing import ClassVar

import attrs
import numpy as np
import pandas as pd
from indexsmith import Component, MarketView, Register, Weighting, hookimpl


def normalise(raw: pd.Series) -> pd.Series:
    return raw / raw.sum()


@attrs.frozen(kw_only=True)
class CapWeight(Weighting):
    """Weight by security market cap (close x shares outstanding): the index holds every
    share outstanding (times the fraction)."""

    holding: ClassVar[str] = "shares"
    share_basis: ClassVar[str] = "outstanding"

    def index_shares(self, view: MarketView, members: pd.DataFrame) -> pd.Series:
        return view.shares_outstanding(members.index) * members["fraction"]


@attrs.frozen(kw_only=True)
class FloatCapWeight(Weighting):
    """Weight by float-adjusted market cap (close x shares x float factor): the index holds
    the float-adjusted shares (times the fraction)."""

    holding: ClassVar[str] = "shares"

    def index_shares(self, view: MarketView, members: pd.DataFrame) -> pd.Series:
        return float_shares(view, members.index) * members["fraction"]


def float_shares(view: MarketView, ids: pd.Index) -> pd.Series:
    """Float-adjusted shares: shares outstanding x float factor."""
    return view.shares_outstanding(ids) * view.float_factor(ids)


@attrs.frozen(kw_only=True)
class EqualWeight(Weighting):
    """Every company the same weight; a company's weight is split across its share classes
    in proportion to their float-adjusted market cap."""

    def weigh(self, view: MarketView, members: pd.DataFrame) -> pd.Series:
        fmc = view.float_market_cap(members.index) * members["fraction"]
        share_of_company = fmc / fmc.groupby(members["company_id"]).transform("sum")
        companies = members["company_id"].nunique()
        return share_of_company / companies

    def check_compatible(self, stages: dict[str, Component]) -> str | None:
        if getattr(stages.get("bucketing"), "packet", 1) != 1:
            return "equal weighting gives every company 1/N and cannot hold the half positions packeting creates — set packet = 1 or weight by cap"
        return None


@attrs.frozen(kw_only=True)
class PriceWeight(Weighting):
    """Dow-style price weighting: weight proportional to the share price (one unit of
    each member; the calculation holds units and adjusts its divisor, §4.2)."""

    unit_holdings: ClassVar[bool] = True

    def weigh(self, view: MarketView, members: pd.DataFrame) -> pd.Series:
        return normalise(view.close(members.index))

    def check_compatible(self, stages: dict[str, Component]) -> str | None:
        if "capping" in stages:
            return "price weighting holds one unit of each member; a capping would make it a different weighting — remove the capping or weight by cap"
        if getattr(stages.get("bucketing"), "packet", 1) != 1:
            return "price weighting cannot hold the partial positions that packeting creates — set packet = 1 or weight by cap"
        return None


def standardised(values: pd.Series) -> pd.Series:
    """Rank-based standard units: percentile ranks mapped to mean 0, variance 1 (uniform
    scale); missing values stay missing."""
    pct = values.rank(pct=True, method="average")
    return (pct - 0.5) * np.sqrt(12.0)


def growth_rate(now: pd.Series, then: pd.Series, years: float) -> pd.Series:
    """Annualised growth from ``then`` to ``now``; missing unless both are positive."""
    ok = (now > 0) & (then > 0)
    return ((now / then) ** (1.0 / years) - 1.0).where(ok)


def style_scores(view: MarketView, members: pd.DataFrame) -> pd.DataFrame:
    """Russell-style composite value score (methodologies.md §1.9) per member.

    Value: book-to-price (latest book equity / total company market cap). Growth: 2-year
    growth of trailing-twelve-month net income and 5-year growth of trailing-twelve-month
    sales (the demo market has no analyst forecasts, so the historical EPS growth stands
    in for the forecast). Each variable is converted to rank-based standard units; a missing
    or negative book-to-price and missing growth take their sector's mean score among the
    members (0 if the sector has none). CVS = 0.5 value - 0.25 each growth variable.
    """
    ids = members.index
    cap = view.company_market_cap(ids)
    book = view.latest_fundamental(ids, "book_equity")
    btp = (book / cap).where(book > 0)
    income = view.trailing_quarters(ids, "net_income", 12)
    sales = view.trailing_quarters(ids, "sales", 24)
    ttm = lambda q, lag: q.iloc[:, lag : lag + 4].sum(axis=1, min_count=4)  # noqa: E731
    eps_growth = growth_rate(ttm(income, 0), ttm(income, 8), 2.0)
    sales_growth = growth_rate(ttm(sales, 0), ttm(sales, 20), 5.0)
    scores = pd.DataFrame(
        {
            "value": standardised(btp),
            "eps_growth": standardised(eps_growth),
            "sales_growth": standardised(sales_growth),
        }
    )
    sector = members["sector"]
    for column in scores.columns:
        peers = scores[column].groupby(sector).transform("mean")
        scores[column] = scores[column].fillna(peers).fillna(0.0)
    scores["cvs"] = 0.5 * scores["value"] - 0.25 * scores["eps_growth"] - 0.25 * scores["sales_growth"]
    return scores


def value_share(cvs: pd.Series, cap: pd.Series, split_zone: float) -> pd.Series:
    """Each stock's value share ``v`` (growth share ``1 - v``): stocks sorted by CVS, ``x``
    the midpoint of each stock's slice of the cumulative cap, and ``v`` ramps linearly from
    0 to 1 across ``split_zone`` of the cap centred on the median (§1.9 [U] suggestion).
    Ties in CVS are broken by security id, so the split never depends on row order."""
    order = np.lexsort((cvs.index.to_numpy(dtype=str), cvs.to_numpy()))
    sorted_cap = cap.to_numpy(dtype=float)[order]
    total = sorted_cap.sum()
    x = (np.cumsum(sorted_cap) - sorted_cap / 2) / total
    lo, hi = 0.5 - split_zone / 2, 0.5 + split_zone / 2
    v = np.clip((x - lo) / (hi - lo), 0.0, 1.0) if split_zone > 1e-9 else (x > 0.5).astype(float)
    out = np.empty(len(cvs))
    out[order] = v
    return pd.Series(out, index=cvs.index, name="value_share")


@attrs.frozen(kw_only=True)
class StyleWeight(Weighting):
    """Russell-style value or growth index over the members of a parent index (§1.9): the
    index holds float-adjusted shares times each stock's value share ``v`` (value) or
    ``1 - v`` (growth), so value + growth = parent. Scores are computed among the index's own
    members (the parent universe). Stocks wholly in the other style get weight 0 and are
    left out.

    Style is set at reconstitution (§1.9): between reconstitutions (IPO additions,
    rebalances) members keep their split and only newcomers get one; at a reconstitution a
    member whose composite value score moved by less than ``cvs_band`` keeps its split.
    """

    style: str = attrs.field(
        validator=attrs.validators.in_(["value", "growth"]), metadata={"help": "value or growth"}
    )
    split_zone: float = attrs.field(
        default=0.30,
        validator=[attrs.validators.ge(0), attrs.validators.le(1)],
        metadata={"help": "share of parent cap split between both styles, centred on the median CVS [U]"},
    )
    cvs_band: float = attrs.field(
        default=0.10,
        validator=attrs.validators.ge(0),
        metadata={
            "help": "at a reconstitution a member keeps its split while its CVS moved by less than this (§1.9 "
            "±0.10 [S]; 0 recomputes every split)"
        },
    )

    holding: ClassVar[str] = "shares"

    def index_shares(self, view: MarketView, members: pd.DataFrame) -> pd.DataFrame:
        shares = float_shares(view, members.index) * members["fraction"]
        # The value and the growth index of one parent score the same members: once.
        key = ("style_scores", tuple(members.index), tuple(members["sector"]))
        cvs = view.memo(key, lambda: style_scores(view, members))["cvs"]
        v = value_share(cvs, shares * view.close(members.index), self.split_zone)
        previous_v = members.get("previous_value_share", pd.Series(np.nan, index=members.index))
        previous_cvs = members.get("previous_cvs", pd.Series(np.nan, index=members.index))
        known = previous_v.notna().to_numpy()
        review = (
            members["review"] if "review" in members else pd.Series("reconstitution", index=members.index)
        )
        if (review == "reconstitution").all():
            keep = known & (np.abs(cvs - previous_cvs) < self.cvs_band).to_numpy()
        else:
            keep = known
            cvs = cvs.where(~known, previous_cvs)
        v = v.where(~keep, previous_v)
        return pd.DataFrame(
            {
                "index_shares": shares * (v if self.style == "value" else 1.0 - v),
                "value_share": v,
                "cvs": cvs,
            },
            index=members.index,
        )


@hookimpl
def indexsmith_register_weightings(register: Register) -> None:
    register("cap", CapWeight)
    register("float-cap", FloatCapWeight)
    register("equal", EqualWeight)
    register("price", PriceWeight)
    register("style", StyleWeight)
