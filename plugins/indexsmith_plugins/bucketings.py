"""Bucketings: size tiers and selections over the ranked universe."""

from __future__ import annotations

import attrs
import numpy as np
import pandas as pd
from indexsmith import Bucketing, MarketView, hookimpl


def company_ranks(ranked: pd.DataFrame) -> pd.Series:
    """1-based rank of each security's company (share classes share their company's rank)."""
    codes, _ = pd.factorize(ranked["company_id"], sort=False)
    return pd.Series(codes + 1, index=ranked.index, name="company_rank")


def assignment(
    ids: pd.Index, buckets: np.ndarray | list[str] | str, fraction: float | np.ndarray = 1.0
) -> pd.DataFrame:
    return pd.DataFrame(
        {"security_id": np.asarray(ids, dtype=object), "bucket": buckets, "fraction": fraction}
    )


@attrs.frozen(kw_only=True)
class Tier:
    """A tier of a count-based bucketing: the next ``count`` companies by rank."""

    name: str = attrs.field(metadata={"help": "bucket name"})
    count: int = attrs.field(
        validator=attrs.validators.gt(0), metadata={"help": "number of companies in the tier"}
    )


def _distinct_names(instance: object, attribute: attrs.Attribute, value: tuple[Tier, ...]) -> None:  # type: ignore[type-arg]
    names = [t.name for t in value]
    if not names:
        raise ValueError("'tiers' must list at least one tier")
    if len(set(names)) != len(names):
        raise ValueError(f"tier names must be distinct, got {names}")


def cumulative_share(ranked: pd.DataFrame) -> pd.Series:
    """Cumulative share (0-100) of the ranked universe's total measure held by each
    security's company and every larger company (rank k inclusive). Share classes of one
    company count once and share their company's position."""
    companies = ranked.drop_duplicates("company_id")
    share = companies["measure"].cumsum() / companies["measure"].sum() * 100
    return ranked["company_id"].map(pd.Series(share.to_numpy(), index=companies["company_id"]))


def band_tiers(
    rank_tier: np.ndarray,
    position: np.ndarray,
    prior_tier: np.ndarray,
    edge_share: np.ndarray,
    band: np.ndarray,
) -> np.ndarray:
    """Russell-style banding (methodologies.md §1.5).

    ``rank_tier`` is each company's tier by rank alone (0 = first tier; ``len(edges)`` =
    none), ``position`` its cumulative share of total cap in percent, ``prior_tier`` its
    tier at the previous review (NaN if it had none), ``edge_share[j]`` the cumulative share
    at breakpoint ``j`` (the end of tier ``j``) and ``band[j]`` that breakpoint's half-width
    in percentage points (NaN: no band). An incumbent walks from its old tier towards its
    rank tier and stops at the first breakpoint whose band still holds it: it stays above
    breakpoint ``j`` while ``position <= edge_share[j] + band[j]`` and below it while
    ``position >= edge_share[j] - band[j]`` (edges inclusive). Companies new to the tiers
    keep their rank tier.
    """
    last = len(edge_share) - 1
    tier = np.where(np.isnan(prior_tier), rank_tier, np.nan_to_num(prior_tier)).astype(np.int64)
    # One step per tier at most; vectorised across companies. NaN comparisons are False,
    # so a breakpoint without a band is crossed freely.
    for _ in range(len(edge_share)):
        below = np.minimum(tier, last)
        above = np.maximum(tier - 1, 0)
        leave_down = (tier < rank_tier) & ~(position <= edge_share[below] + band[below])
        leave_up = (tier > rank_tier) & ~(position >= edge_share[above] - band[above])
        if not (leave_down.any() or leave_up.any()):
            break
        tier = tier + leave_down - leave_up
    return tier


def _band_widths(instance: object, attribute: attrs.Attribute, value: dict[int, float]) -> None:  # type: ignore[type-arg]
    for rank, width in value.items():
        if not 0 <= width < 50:
            raise ValueError(f"band width at rank {rank} must be in [0, 50) percentage points, got {width}")


@attrs.frozen(kw_only=True)
class CountTiers(Bucketing):
    """Consecutive tiers of companies by rank (Russell-style): the first tier takes ranks
    1..count, the next the following ``count`` companies, and so on; companies past the last
    tier are in no bucket. Share classes go with their company.

    ``bands`` puts a band of +/- width percentage points of cumulative market cap around a
    breakpoint (the rank where one tier ends). An incumbent keeps its previous tier while its
    cumulative-cap position stays inside the band of every breakpoint it would cross;
    companies new to the tiers are placed purely by rank. With no bands this is a plain
    rank cut.
    """

    tiers: tuple[Tier, ...] = attrs.field(
        converter=tuple,
        validator=_distinct_names,
        metadata={"help": "list of {name, count}, largest companies first"},
    )
    bands: dict[int, float] = attrs.field(
        factory=dict,
        validator=_band_widths,
        metadata={
            "help": "breakpoint rank -> band half-width in cumulative-cap percentage points, e.g. {1000 = 2.5}"
        },
    )

    def __attrs_post_init__(self) -> None:
        breakpoints = np.cumsum([t.count for t in self.tiers])[:-1].tolist()
        for rank in self.bands:
            if rank not in breakpoints:
                raise ValueError(
                    f"'bands' has rank {rank}, which is not a breakpoint between tiers ({breakpoints})"
                )

    def bucket_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.tiers)

    def assign(self, view: MarketView, ranked: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
        rank = company_ranks(ranked).to_numpy()
        edges = np.cumsum([t.count for t in self.tiers])
        names = self.bucket_names()
        tier = np.searchsorted(edges, rank, side="left")  # == len(tiers): in no tier
        notes = np.full(len(ranked), "", dtype=object)
        if self.bands and len(previous):
            prior = previous.drop_duplicates("security_id").set_index("security_id")["bucket"]
            index_of = {name: i for i, name in enumerate(names)}
            prior_tier = prior.reindex(ranked.index).map(index_of).to_numpy(dtype=float)
            position = cumulative_share(ranked).to_numpy()
            # Cumulative share at each breakpoint: that of the company ranked exactly there.
            at_edge = pd.Series(position, index=rank).groupby(level=0).first().reindex(edges).to_numpy()
            band = np.array([self.bands.get(int(e), np.nan) for e in edges])
            banded = band_tiers(tier, position, prior_tier, at_edge, band)
            for i in np.flatnonzero(banded != tier):
                notes[i] = (
                    f"kept in {names[banded[i]]} by the band: cumulative cap {position[i]:.2f}% (rank {rank[i]})"
                )
            tier = banded
        inside = tier < len(self.tiers)
        out = assignment(ranked.index[inside], np.array(names, dtype=object)[tier[inside]])
        out["note"] = notes[inside]
        return out


@attrs.frozen(kw_only=True)
class Everything(Bucketing):
    """One bucket, ``all``, holding every security that passed the screens."""

    def bucket_names(self) -> tuple[str, ...]:
        return ("all",)

    def assign(self, view: MarketView, ranked: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
        return assignment(ranked.index, "all")


@hookimpl
def indexsmith_register_bucketings(register):  # type: ignore[no-untyped-def]
    register("count-tiers", CountTiers)
    register("all", Everything)
