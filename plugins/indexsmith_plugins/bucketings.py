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


@attrs.frozen(kw_only=True)
class CountTiers(Bucketing):
    """Consecutive tiers of companies by rank: the first tier takes ranks 1..count, the
    next the following ``count`` companies, and so on. Companies past the last tier are
    in no bucket. Share classes go with their company."""

    tiers: tuple[Tier, ...] = attrs.field(
        converter=tuple,
        validator=_distinct_names,
        metadata={"help": "list of {name, count}, largest companies first"},
    )

    def bucket_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.tiers)

    def assign(self, view: MarketView, ranked: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
        rank = company_ranks(ranked).to_numpy()
        edges = np.cumsum([t.count for t in self.tiers])
        tier = np.searchsorted(edges, rank, side="left")
        inside = tier < len(self.tiers)
        names = np.array(self.bucket_names(), dtype=object)
        return assignment(ranked.index[inside], names[tier[inside]])


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
