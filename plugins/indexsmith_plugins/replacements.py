"""Replacement policies: how the places members leave between reviews are filled.

Russell- and CRSP-style indices leave them empty until the next review (``none``); a
Nasdaq-100-style index gives each to the highest-ranked eligible company (``next-ranked``,
methodologies.md §5.2); an S&P-style committee applies its own rules — the largest eligible
company passing the addition criteria, sector balance, a migration from the 400 or 600
that opens a place filled in turn (``bucketing-rules``, §3.4).
"""

from __future__ import annotations

from typing import ClassVar

import attrs
import pandas as pd
from indexsmith import Bucketing, Component, MarketView, Register, Replacement, hookimpl
from indexsmith.frames import isin


@attrs.frozen(kw_only=True)
class NoReplacement(Replacement):
    """Leave the places empty until the next review (Russell-style, CRSP-style: counts
    drift below target between reviews, §1.7)."""

    fills: ClassVar[bool] = False

    def replace(
        self,
        view: MarketView,
        ranked: pd.DataFrame,
        current: pd.DataFrame,
        vacated: pd.DataFrame,
        bucketing: Bucketing,
    ) -> pd.DataFrame:
        return current


@attrs.frozen(kw_only=True)
class NextRanked(Replacement):
    """Each company that left a bucket is replaced by the highest-ranked eligible company
    that is in no bucket of the family, with every eligible line of it (Nasdaq-100-style:
    "a member that becomes ineligible is replaced at once by the largest eligible
    non-member", §5.2). Bucketing rules such as a sector limit are not applied; use
    ``bucketing-rules`` for them."""

    def replace(
        self,
        view: MarketView,
        ranked: pd.DataFrame,
        current: pd.DataFrame,
        vacated: pd.DataFrame,
        bucketing: Bucketing,
    ) -> pd.DataFrame:
        company = ranked["company_id"]
        held = set(company[isin(ranked.index, current["security_id"])])
        gone = vacated.assign(company_id=vacated["security_id"].map(view.company_of))
        remaining = current.assign(company_id=current["security_id"].map(view.company_of))
        companies = pd.unique(company.to_numpy(dtype=object))  # in rank order
        candidates = list(companies[~isin(companies, held | set(gone["company_id"]))])
        rows = [current]
        for bucket, left in gone.groupby("bucket", sort=True):
            still = set(remaining.loc[remaining["bucket"] == bucket, "company_id"])
            places = len(set(left["company_id"]) - still)
            chosen, candidates = candidates[:places], candidates[places:]
            lines = ranked.index[isin(company, chosen)]
            rows.append(pd.DataFrame({"security_id": lines, "bucket": bucket, "fraction": 1.0}))
        return pd.concat(rows, ignore_index=True)


@attrs.frozen(kw_only=True)
class BucketingRules(Replacement):
    """The family's own bucketing fills the places by its rules (its ``fill``): an
    S&P-style committee chooses the largest eligible company in the index's addition range
    with sector balance, and a migration from a lower index opens a place filled in turn;
    a buffered top-N takes the next-ranked company within its sector limits."""

    def replace(
        self,
        view: MarketView,
        ranked: pd.DataFrame,
        current: pd.DataFrame,
        vacated: pd.DataFrame,
        bucketing: Bucketing,
    ) -> pd.DataFrame:
        return bucketing.fill(view, ranked, current)

    def check_compatible(self, stages: dict[str, Component]) -> str | None:
        bucketing = stages.get("bucketing")
        if isinstance(bucketing, Bucketing) and type(bucketing).fill is Bucketing.fill:
            return (
                f"replacement 'bucketing-rules' needs a bucketing that fills vacancies between reviews; "
                f"{type(bucketing).__name__} does not — use 'next-ranked' or 'none'"
            )
        return None


@hookimpl
def indexsmith_register_replacements(register: Register) -> None:
    register("none", NoReplacement)
    register("next-ranked", NextRanked)
    register("bucketing-rules", BucketingRules, aliases=("committee-rules",))
