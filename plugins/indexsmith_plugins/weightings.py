"""Weightings: cap, float-adjusted cap, equal and price weights.

Members arrive with ``fraction`` (the share of the security an index holds, below 1 when
a bucketing splits it between indices); weights scale with it.
"""

from __future__ import annotations

import attrs
import pandas as pd
from indexsmith import Component, MarketView, Weighting, hookimpl


def normalise(raw: pd.Series) -> pd.Series:
    return raw / raw.sum()


@attrs.frozen(kw_only=True)
class CapWeight(Weighting):
    """Weight by security market cap (close x shares outstanding)."""

    def weigh(self, view: MarketView, members: pd.DataFrame) -> pd.Series:
        return normalise(view.market_cap(members.index) * members["fraction"])


@attrs.frozen(kw_only=True)
class FloatCapWeight(Weighting):
    """Weight by float-adjusted market cap (close x shares x float factor)."""

    def weigh(self, view: MarketView, members: pd.DataFrame) -> pd.Series:
        return normalise(view.float_market_cap(members.index) * members["fraction"])


@attrs.frozen(kw_only=True)
class EqualWeight(Weighting):
    """Every company the same weight; a company's weight is split across its share classes
    in proportion to their float-adjusted market cap."""

    def weigh(self, view: MarketView, members: pd.DataFrame) -> pd.Series:
        fmc = view.float_market_cap(members.index) * members["fraction"]
        share_of_company = fmc / fmc.groupby(members["company_id"]).transform("sum")
        companies = members["company_id"].nunique()
        return share_of_company / companies


@attrs.frozen(kw_only=True)
class PriceWeight(Weighting):
    """Dow-style price weighting: weight proportional to the share price (one unit of
    each member)."""

    def weigh(self, view: MarketView, members: pd.DataFrame) -> pd.Series:
        return normalise(view.close(members.index))

    def check_compatible(self, stages: dict[str, Component]) -> str | None:
        if "capping" in stages:
            return "price weighting holds one unit of each member; a capping would make it a different weighting — remove the capping or weight by cap"
        if getattr(stages.get("bucketing"), "packet", 1) != 1:
            return "price weighting cannot hold the partial positions that packeting creates — set packet = 1 or weight by cap"
        return None


@hookimpl
def indexsmith_register_weightings(register):  # type: ignore[no-untyped-def]
    register("cap", CapWeight)
    register("float-cap", FloatCapWeight)
    register("equal", EqualWeight)
    register("price", PriceWeight)
