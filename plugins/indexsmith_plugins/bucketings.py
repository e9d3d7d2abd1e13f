"""Bucketings: size tiers and selections over the ranked universe."""

from __future__ import annotations

import itertools
from typing import Any

import attrs
import numpy as np
import pandas as pd
from indexsmith import Bucketing, MarketView, Register, hookimpl
from indexsmith.frames import cumulative_share, isin

from indexsmith_plugins.helpers import assignment


def company_ranks(ranked: pd.DataFrame) -> pd.Series:
    """1-based rank of each security's company (share classes share their company's rank)."""
    codes, _ = pd.factorize(ranked["company_id"], sort=False)
    return pd.Series(codes + 1, index=ranked.index, name="company_rank")


@attrs.frozen(kw_only=True)
class Tier:
    """A tier of a count-based bucketing: the next ``count`` companies by rank."""

    name: str = attrs.field(metadata={"help": "bucket name"})
    count: int = attrs.field(
        validator=attrs.validators.gt(0), metadata={"help": "number of companies in the tier"}
    )


def _distinct_names(instance: object, attribute: attrs.Attribute[Any], value: tuple[Tier, ...]) -> None:
    names = [t.name for t in value]
    if not names:
        raise ValueError("'tiers' must list at least one tier")
    if len(set(names)) != len(names):
        raise ValueError(f"tier names must be distinct, got {names}")


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


@attrs.frozen(kw_only=True)
class Band:
    """A band around the breakpoint at ``rank``: +/- ``width`` points of cumulative cap."""

    rank: int = attrs.field(
        validator=attrs.validators.gt(0), metadata={"help": "breakpoint rank (where a tier ends)"}
    )
    width: float = attrs.field(
        validator=[attrs.validators.ge(0), attrs.validators.lt(50)],
        metadata={"help": "half-width in percentage points of cumulative market cap"},
    )


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
    bands: tuple[Band, ...] = attrs.field(
        factory=tuple,
        converter=tuple,
        metadata={
            "help": "list of {rank, width}: bands around breakpoints, e.g. [{rank = 1000, width = 2.5}]"
        },
    )
    packet: float = attrs.field(
        default=1.0,
        metadata={"help": "always 1: count tiers move whole companies (packeting needs cumulative-bands)"},
    )

    def __attrs_post_init__(self) -> None:
        if self.packet != 1:
            raise ValueError(
                "count tiers place whole companies by rank, so they cannot packet; use the "
                "'cumulative-bands' bucketing for CRSP-style packeting or leave 'packet' out"
            )
        breakpoints = np.cumsum([t.count for t in self.tiers])[:-1].tolist()
        for band in self.bands:
            if band.rank not in breakpoints:
                raise ValueError(
                    f"'bands' has rank {band.rank}, which is not a breakpoint between tiers ({breakpoints})"
                )

    def bucket_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.tiers)

    def breakpoints(self, view: MarketView, ranked: pd.DataFrame) -> pd.DataFrame:
        """The end of every tier, with its band."""
        names = self.bucket_names()
        edges = np.cumsum([t.count for t in self.tiers])
        widths = {b.rank: b.width for b in self.bands}
        below = [*names[1:], ""]
        return pd.DataFrame(
            {
                "breakpoint": [
                    f"rank {e}: {a} | {b or 'outside'}" for e, a, b in zip(edges, names, below, strict=True)
                ],
                "above": list(names),
                "below": below,
                "rank": edges.astype(np.int64),
                "band": [float(widths.get(int(e), np.nan)) for e in edges],
                "buffer_rank": np.nan,
                "measure": np.nan,
                "floor": np.nan,
            }
        )

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
            widths = {b.rank: b.width for b in self.bands}
            band = np.array([widths.get(int(e), np.nan) for e in edges])
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
class Segment:
    """A cumulative-cap segment: the companies whose cumulative share ends at or below
    ``upper`` percent (and above the previous segment's)."""

    name: str = attrs.field(metadata={"help": "bucket name"})
    upper: float = attrs.field(
        validator=[attrs.validators.gt(0), attrs.validators.le(100)],
        metadata={"help": "upper edge in cumulative percent of total market cap (the last segment: 100)"},
    )


@attrs.frozen(kw_only=True)
class SegmentBand:
    """The band around a segment boundary: a company migrates only beyond it."""

    at: float = attrs.field(metadata={"help": "the boundary, in cumulative percent (a segment's upper edge)"})
    low: float = attrs.field(metadata={"help": "lower edge of the band, cumulative percent"})
    high: float = attrs.field(metadata={"help": "upper edge of the band, cumulative percent"})


def packet_step(
    segment: np.ndarray,
    lower_share: np.ndarray,
    position: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    packet: float,
) -> tuple[np.ndarray, np.ndarray]:
    """CRSP-style packeting (methodologies.md §2.5), one review, vectorised.

    A company is in ``segment`` with ``lower_share`` of it in the next segment down
    (0 = wholly in ``segment``; between 0 and 1: split across boundary ``segment``).
    ``low``/``high`` are the band edges of each boundary (index = the segment above it).
    Beyond the band below, one packet moves down; beyond the band above, one packet moves
    up; inside the band nothing changes. Returns the new (segment, lower_share), with
    ``lower_share`` 0 whenever the company is wholly in one segment.
    """
    last = len(low)  # boundaries; segments are 0..last
    seg = segment.copy()
    share = lower_share.copy()
    below = np.minimum(seg, last - 1)
    above = np.maximum(seg - 1, 0)
    split = share > 0
    # Split across boundary `seg`: packets move across that boundary only.
    down = split & (position > high[below])
    up = split & (position < low[below])
    share = np.where(
        down, np.minimum(1.0, share + packet), np.where(up, np.maximum(0.0, share - packet), share)
    )
    # Wholly in `seg`: start a packet down (beyond the band below) or up (beyond the band above).
    whole = ~split
    start_down = whole & (seg < last) & (position > high[below])
    start_up = whole & (seg > 0) & (position < low[above])
    share = np.where(start_down, packet, share)
    seg = np.where(start_up, seg - 1, seg)
    share = np.where(start_up, 1.0 - packet, share)
    # A completed move leaves the company wholly in the segment below.
    done = share >= 1.0 - 1e-12
    seg = np.where(done, seg + 1, seg)
    share = np.where(done, 0.0, share)
    return seg, np.where(share <= 1e-12, 0.0, share)


@attrs.frozen(kw_only=True)
class CumulativeBands(Bucketing):
    """CRSP-style segments by cumulative share of total market cap, with bands and
    packeting (methodologies.md §2.3-2.5).

    New companies are placed by their cumulative position. An incumbent migrates only when
    its position moves beyond the band around a boundary, and then by ``packet`` of its
    weight per review (half now, half at the next review by default); a company split
    between two segments appears in both buckets with its fractions.
    """

    segments: tuple[Segment, ...] = attrs.field(
        converter=tuple,
        metadata={"help": "list of {name, upper}, e.g. mega 70, mid 85, small 98, micro 100"},
    )
    bands: tuple[SegmentBand, ...] = attrs.field(
        factory=tuple,
        converter=tuple,
        metadata={"help": "list of {at, low, high} per boundary; a boundary without one has no band"},
    )
    packet: float = attrs.field(
        default=0.5,
        validator=[attrs.validators.gt(0), attrs.validators.le(1)],
        metadata={"help": "share of a company that migrates per review (CRSP: 0.5); 1 moves it at once"},
    )

    def __attrs_post_init__(self) -> None:
        uppers = [seg.upper for seg in self.segments]
        if not uppers or uppers[-1] != 100 or any(b <= a for a, b in itertools.pairwise(uppers)):
            raise ValueError(f"segment 'upper' edges must increase and end at 100, got {uppers}")
        if len({seg.name for seg in self.segments}) != len(self.segments):
            raise ValueError("segment names must be distinct")
        for band in self.bands:
            if band.at not in uppers[:-1]:
                raise ValueError(f"band at {band.at} is not a boundary between segments ({uppers[:-1]})")
            if not band.low <= band.at <= band.high:
                raise ValueError(
                    f"band at {band.at} must satisfy low <= at <= high, got [{band.low}, {band.high}]"
                )

    def bucket_names(self) -> tuple[str, ...]:
        return tuple(seg.name for seg in self.segments)

    def assign(self, view: MarketView, ranked: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
        names = self.bucket_names()
        uppers = np.array([seg.upper for seg in self.segments])
        boundaries = uppers[:-1]
        by_at = {b.at: b for b in self.bands}
        low = np.array([by_at[b].low if b in by_at else b for b in boundaries])
        high = np.array([by_at[b].high if b in by_at else b for b in boundaries])
        position = cumulative_share(ranked).to_numpy()
        fresh = np.minimum(np.searchsorted(uppers, position - 1e-12, side="left"), len(uppers) - 1)
        segment, lower = fresh.copy(), np.zeros(len(ranked))
        if len(previous):
            index_of = {name: i for i, name in enumerate(names)}
            prior = previous[previous["bucket"].isin(index_of)].assign(
                seg=lambda f: f["bucket"].map(index_of)
            )
            top = prior.groupby("security_id")["seg"].min()
            lower_part = (
                prior[prior["seg"] == prior["security_id"].map(top) + 1]
                .groupby("security_id")["fraction"]
                .sum()
            )
            total = prior.groupby("security_id")["fraction"].sum()
            known = isin(ranked.index, top.index)
            seg_prior = top.reindex(ranked.index).to_numpy()
            share_prior = (lower_part / total).reindex(ranked.index).fillna(0.0).to_numpy()
            moved_seg, moved_share = packet_step(
                np.nan_to_num(seg_prior).astype(np.int64), share_prior, position, low, high, self.packet
            )
            segment = np.where(known, moved_seg, fresh)
            lower = np.where(known, moved_share, 0.0)
        whole = lower == 0
        ids = ranked.index
        upper_rows = assignment(ids, np.array(names, dtype=object)[segment], 1.0 - lower)
        split = ~whole
        lower_rows = assignment(
            ids[split],
            np.array(names, dtype=object)[np.minimum(segment[split] + 1, len(names) - 1)],
            lower[split],
        )
        out = pd.concat([upper_rows, lower_rows], ignore_index=True)
        out["note"] = ""
        out.loc[out["fraction"] < 1, "note"] = "split between segments by packeting"
        return out


BUFFER_NOTE = "kept by the incumbent buffer"


@attrs.frozen(kw_only=True)
class TopWithBuffer(Bucketing):
    """The largest ``count`` companies, with an incumbent buffer (Nasdaq-100 style, §5.2).

    Incumbents ranked 1..count stay. Incumbents ranked count+1..``buffer_rank`` stay only
    if the buffer did not already keep them at the previous review (they were in the top
    ``count`` then) — or, with ``buffer_once = false``, as long as they stay inside it;
    incumbents ranked lower leave. Vacancies go to the largest other
    companies. One bucket, named by ``name``.
    """

    count: int = attrs.field(
        default=100, validator=attrs.validators.gt(0), metadata={"help": "number of companies"}
    )
    buffer_rank: int = attrs.field(
        default=125, metadata={"help": "incumbents ranked up to here may stay (once)"}
    )
    name: str = attrs.field(default="selected", metadata={"help": "bucket name"})
    buffer_once: bool = attrs.field(
        default=True,
        metadata={
            "help": "the buffer keeps an incumbent for one review only (Nasdaq-100); false: while inside it"
        },
    )
    max_per_sector: int | None = attrs.field(
        default=None,
        metadata={
            "help": "at most this many companies of one sector are added (Dow-style breadth); none if omitted"
        },
    )

    def __attrs_post_init__(self) -> None:
        if self.buffer_rank < self.count:
            raise ValueError(f"'buffer_rank' ({self.buffer_rank}) must be >= 'count' ({self.count})")

    def bucket_names(self) -> tuple[str, ...]:
        return (self.name,)

    def breakpoints(self, view: MarketView, ranked: pd.DataFrame) -> pd.DataFrame:
        """Rank ``count``, with the incumbents' buffer to ``buffer_rank``."""
        return pd.DataFrame(
            {
                "breakpoint": [f"rank {self.count}: {self.name} | outside"],
                "above": [self.name],
                "below": [""],
                "rank": np.array([self.count], dtype=np.int64),
                "band": [np.nan],
                "buffer_rank": [float(self.buffer_rank)],
                "measure": [np.nan],
                "floor": [np.nan],
            }
        )

    def assign(self, view: MarketView, ranked: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
        companies = ranked.drop_duplicates("company_id")[["company_id"]].reset_index(drop=True)
        companies["rank"] = np.arange(1, len(companies) + 1)
        prior = previous[previous["bucket"] == self.name]
        prior_companies = ranked.loc[isin(ranked.index, prior["security_id"]), "company_id"]
        buffered_ids = prior.loc[
            prior.get("note", pd.Series("", index=prior.index)).fillna("").str.startswith(BUFFER_NOTE),
            "security_id",
        ]
        buffered = ranked.loc[isin(ranked.index, buffered_ids), "company_id"]
        incumbent = pd.Series(isin(companies["company_id"], prior_companies), index=companies.index)
        was_buffered = pd.Series(isin(companies["company_id"], buffered), index=companies.index)
        rank = companies["rank"]
        if not self.buffer_once:
            was_buffered = pd.Series(False, index=companies.index)
        keep = incumbent & ((rank <= self.count) | ((rank <= self.buffer_rank) & ~was_buffered))
        vacancies = max(self.count - int(keep.sum()), 0)
        # Companies are in rank order: the first `vacancies` others are the largest.
        others = ~keep
        if self.max_per_sector is None:
            chosen = keep | (others & (others.cumsum() <= vacancies))
        else:
            sector = ranked.drop_duplicates("company_id")["sector"].to_numpy()
            held = pd.Series(sector[keep.to_numpy()]).value_counts().to_dict()
            chosen = keep.copy()
            for i in np.flatnonzero(others.to_numpy()):
                if vacancies == 0:
                    break
                if held.get(sector[i], 0) < self.max_per_sector:
                    chosen.iloc[i] = True
                    held[sector[i]] = held.get(sector[i], 0) + 1
                    vacancies -= 1
        by_company = companies.set_index("company_id")
        selected = ranked[isin(ranked["company_id"], by_company.index[chosen.to_numpy()])]
        out = assignment(selected.index, self.name)
        kept_by_buffer = keep & (rank > self.count)
        buffer_companies = set(companies.loc[kept_by_buffer, "company_id"])
        out["note"] = np.where(
            selected["company_id"].isin(buffer_companies).to_numpy(),
            [f"{BUFFER_NOTE} (rank {r})" for r in selected["company_id"].map(by_company["rank"])],
            "",
        )
        return out

    def fill(self, view: MarketView, ranked: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
        """Every member stays (with its note, so a buffer used once stays used); the places
        below ``count`` go to the largest non-members, within ``max_per_sector``."""
        kept = previous[previous["bucket"] == self.name]
        held = set(view.company_of.reindex(kept["security_id"]))
        companies = ranked.drop_duplicates("company_id")
        sector_count = companies[companies["company_id"].isin(held)]["sector"].value_counts().to_dict()
        vacancies = self.count - len(held)
        chosen = []
        for company, sector in companies[["company_id", "sector"]].itertuples(index=False):
            if vacancies <= 0:
                break
            if company in held:
                continue
            if self.max_per_sector is not None and sector_count.get(sector, 0) >= self.max_per_sector:
                continue
            chosen.append(company)
            sector_count[sector] = sector_count.get(sector, 0) + 1
            vacancies -= 1
        added = assignment(ranked.index[isin(ranked["company_id"], chosen)], self.name)
        added["note"] = ""
        return pd.concat([previous, added], ignore_index=True)


@attrs.frozen(kw_only=True)
class Everything(Bucketing):
    """One bucket, ``all``, holding every security that passed the screens."""

    def bucket_names(self) -> tuple[str, ...]:
        return ("all",)

    def assign(self, view: MarketView, ranked: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
        return assignment(ranked.index, "all")


@hookimpl
def indexsmith_register_bucketings(register: Register) -> None:
    register("count-tiers", CountTiers)
    register("cumulative-bands", CumulativeBands)
    register("top-with-buffer", TopWithBuffer)
    register("all", Everything)
