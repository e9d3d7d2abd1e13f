"""Bucketings: size tiers and selections over the ranked universe."""

from __future__ import annotations

import functools
import itertools
from pathlib import Path

import attrs
import numpy as np
import pandas as pd
from indexsmith import Bucketing, MarketView, hookimpl
from indexsmith.market import isin

from indexsmith_plugins.screens import CapRange, CapRangeTable


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


def read_membership(path: str, what: str = "membership file") -> pd.DataFrame:
    """A dated membership file: CSV with columns ``date`` (the change holds from the close
    of this session), ``security_id`` and ``action`` (``add`` or ``remove``; ``delete`` is
    read as ``remove``), plus any other columns (such as ``index``), kept as text.

    Problems raise ``ValueError`` naming the file and line (line 1 is the header)."""
    file = Path(path)
    if not file.is_file():
        raise ValueError(f"{what} {path} does not exist")
    stamp = file.stat().st_mtime_ns
    return _read_membership(str(file.resolve()), stamp, what).copy()


@functools.lru_cache(maxsize=32)
def _read_membership(path: str, stamp: int, what: str) -> pd.DataFrame:
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = {"date", "security_id", "action"} - set(table.columns)
    if missing:
        raise ValueError(
            f"{what} {path} lacks column(s) {', '.join(sorted(missing))} (needs date, security_id, action)"
        )
    dates = pd.to_datetime(table["date"], errors="coerce", format="%Y-%m-%d")
    table["action"] = table["action"].replace({"delete": "remove"})
    for i in range(len(table)):
        line = i + 2
        if pd.isna(dates[i]):
            raise ValueError(f"{what} {path} line {line}: date {table['date'][i]!r} is not YYYY-MM-DD")
        if table["action"][i] not in ("add", "remove"):
            raise ValueError(
                f"{what} {path} line {line}: action {table['action'][i]!r} must be add or remove"
            )
        if not table["security_id"][i]:
            raise ValueError(f"{what} {path} line {line}: security_id is empty")
    table["date"] = dates.astype("datetime64[ns]")
    table["line"] = np.arange(2, len(table) + 2)
    return table.sort_values(["date", "line"], kind="stable").reset_index(drop=True)


def check_membership(table: pd.DataFrame, view: MarketView, file: str, what: str = "membership file") -> None:
    """Refuse rows naming a security the data does not hold or a date outside the data."""
    unknown = ~view.is_known(table["security_id"])
    if unknown.any():
        row = table[unknown].iloc[0]
        raise ValueError(
            f"{what} {file} line {row['line']}: security {row['security_id']} is not in the market data"
        )
    first, last = view.data_sessions
    outside = (table["date"] < view.calendar.on_or_after(first)) | (table["date"] > last)
    if outside.any():
        row = table[outside].iloc[0]
        raise ValueError(
            f"{what} {file} line {row['line']}: date {row['date']:%Y-%m-%d} is outside the market data "
            f"({first:%Y-%m-%d}..{last:%Y-%m-%d})"
        )


@attrs.frozen(kw_only=True)
class CommitteeList(Bucketing):
    """Members chosen by a committee (Dow style), read from a dated membership file (see
    :func:`read_membership`). At each review the members are the securities added and not
    since removed by the rank date; members no longer listed drop out."""

    file: str = attrs.field(metadata={"help": "CSV with date, security_id, action (add/remove)"})
    name: str = attrs.field(default="members", metadata={"help": "bucket name"})

    def __attrs_post_init__(self) -> None:
        read_membership(self.file)  # refuse a broken file when the definition loads

    def bucket_names(self) -> tuple[str, ...]:
        return (self.name,)

    def assign(self, view: MarketView, ranked: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
        table = read_membership(self.file)
        check_membership(table, view, self.file)
        known = table[table["date"] <= view.as_of]
        last_action = known.groupby("security_id")["action"].last()
        members = last_action.index[last_action == "add"]
        return assignment(ranked.index[isin(ranked.index, members)], self.name)


def _percentiles(instance: object, attribute: attrs.Attribute, value: tuple[float, float] | None) -> None:  # type: ignore[type-arg]
    if value is not None and not (len(value) == 2 and 0 <= value[0] < value[1] <= 100):
        raise ValueError(f"'percentiles' must be [low, high] with 0 <= low < high <= 100, got {list(value)}")


@attrs.frozen(kw_only=True)
class CommitteeTier:
    """One index of a committee-selected family: its target count and the market-cap range
    a company must be in to be added: dated dollar ranges, and/or a band of cumulative
    percentiles of the ranked universe's total cap (used when no dollar range is in force)."""

    name: str = attrs.field(metadata={"help": "bucket name, e.g. sp500"})
    target: int = attrs.field(validator=attrs.validators.gt(0), metadata={"help": "number of companies"})
    ranges: tuple[CapRange, ...] = attrs.field(
        factory=tuple,
        converter=tuple,
        metadata={"help": "list of {start, min_cap, max_cap}: the addition range in force from each start"},
    )
    percentiles: tuple[float, float] | None = attrs.field(
        default=None,
        converter=attrs.converters.optional(tuple),
        validator=_percentiles,
        metadata={
            "help": "[low, high] cumulative-cap percentiles of the range when no dollar range is in force "
            "(S&P targets: 500 [0, 85], 400 [85, 93], 600 [93, 99])"
        },
    )
    retain_fraction: float | None = attrs.field(
        default=None,
        validator=attrs.validators.optional([attrs.validators.gt(0), attrs.validators.le(1)]),
        metadata={
            "help": "continued membership: an incumbent is released (to the indices below) once its cap "
            "falls under this fraction of the range minimum (or of the cap ranked at the family's cumulative "
            "target, if lower) [U, §3.4]; never if omitted"
        },
    )


@attrs.frozen(kw_only=True)
class Subset:
    """An index drawn from the members of another (S&P 100 style: the largest members of
    the S&P 500), with an incumbent buffer by rank inside the parent."""

    name: str = attrs.field(metadata={"help": "bucket name, e.g. sp100"})
    parent: str = attrs.field(metadata={"help": "the index it is drawn from, e.g. sp500"})
    target: int = attrs.field(validator=attrs.validators.gt(0), metadata={"help": "number of companies"})
    buffer_rank: int | None = attrs.field(
        default=None,
        metadata={"help": "incumbents ranked up to here inside the parent stay (default: target)"},
    )


@attrs.frozen(kw_only=True)
class CommitteeSelection(Bucketing):
    """S&P-style committee selection (methodologies.md §3.2-3.7) for one or more indices
    in priority order (e.g. 500, 400, 600), each with a target count.

    Incumbents stay: addition criteria do not apply to them (continued-membership rules are
    screens with ``applies_to = "incumbents"``, which remove a member from the universe).
    Vacancies are filled from companies whose total market cap is in the index's addition
    range on the rank date, largest first; within the ``pool`` largest candidates the one
    whose sector is most underweight against the eligible universe is chosen. When the range
    holds too few candidates, the largest eligible companies below it fill the rest
    (``fill_below_range``). An incumbent of a lower index inside a higher index's range is a
    migration candidate for that index's vacancies, never moved by force. No company is in
    two indices. ``subsets`` carve an index such as the S&P 100 out of a parent's members
    (the parent's index then lists both buckets). An ``overrides`` file (CSV: date,
    security_id, action add/remove, index) replays real committee decisions: each row acts
    at the first review ranked on or after its date, before the rules fill vacancies.
    """

    indices: tuple[CommitteeTier, ...] = attrs.field(
        converter=tuple,
        metadata={"help": "list of {name, target, ranges, percentiles}, highest priority first"},
    )
    pool: int = attrs.field(
        default=3,
        validator=attrs.validators.gt(0),
        metadata={"help": "largest candidates among which sector balance decides (1: size only)"},
    )
    fill_below_range: bool = attrs.field(
        default=True,
        metadata={
            "help": "fill vacancies the range cannot fill with the largest eligible companies below it"
        },
    )
    subsets: tuple[Subset, ...] = attrs.field(
        factory=tuple, converter=tuple, metadata={"help": "list of {name, parent, target, buffer_rank}"}
    )
    overrides: str | None = attrs.field(
        default=None,
        metadata={"help": "CSV of committee decisions: date, security_id, action (add/remove), index"},
    )

    def __attrs_post_init__(self) -> None:
        names = [i.name for i in self.indices] + [s.name for s in self.subsets]
        if not self.indices or len(set(names)) != len(names):
            raise ValueError(
                "'indices' must list at least one index, and index and subset names must be distinct"
            )
        for subset in self.subsets:
            if subset.parent not in {i.name for i in self.indices}:
                raise ValueError(
                    f"subset '{subset.name}' has parent '{subset.parent}', which is not in 'indices'"
                )
        if self.overrides is not None:
            table = read_membership(self.overrides, "overrides file")
            if "index" not in table.columns:
                raise ValueError(f"overrides file {self.overrides} needs an 'index' column naming the index")
            bad = table[~table["index"].isin(names)]
            if len(bad):
                raise ValueError(
                    f"overrides file {self.overrides} line {bad['line'].iloc[0]}: index {bad['index'].iloc[0]!r} "
                    f"is not one of {', '.join(names)}"
                )

    def bucket_names(self) -> tuple[str, ...]:
        return tuple(i.name for i in self.indices) + tuple(s.name for s in self.subsets)

    def _decisions(self, view: MarketView, ranked: pd.DataFrame) -> pd.DataFrame:
        """Override rows acting at this review, with company ids."""
        if self.overrides is None:
            return pd.DataFrame(columns=["security_id", "action", "index", "line", "company_id"])
        table = read_membership(self.overrides, "overrides file")
        check_membership(table, view, self.overrides, "overrides file")
        since = view.previous_rank_date
        now = table[(table["date"] <= view.as_of) & ((table["date"] > since) if since is not None else True)]
        adds = now[now["action"] == "add"]
        missing = adds[~adds["security_id"].isin(ranked.index)]
        if len(missing):
            row = missing.iloc[0]
            raise ValueError(
                f"overrides file {self.overrides} line {row['line']}: {row['security_id']} cannot be added on "
                f"{view.as_of:%Y-%m-%d}: it is not listed or a screen excluded it on the rank date; date the "
                "add on or after its listing or relax the screen"
            )
        company = view.securities["company_id"]
        return now.assign(company_id=now["security_id"].map(company))

    def assign(self, view: MarketView, ranked: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
        companies = ranked.drop_duplicates("company_id").set_index("company_id")
        cap = companies["measure"]
        sector = companies["sector"]
        target_weight = (cap.groupby(sector).sum() / cap.sum()).to_dict()
        position = cap.cumsum() / cap.sum() * 100
        prior = previous.merge(ranked[["company_id"]], left_on="security_id", right_index=True)
        parent_of = {s.name: s.parent for s in self.subsets}
        member_of: dict[str, str] = {
            c: parent_of.get(b, b)
            for c, b in prior.drop_duplicates("company_id")[["company_id", "bucket"]].itertuples(index=False)
        }
        in_subset = set(prior.loc[prior["bucket"].isin(parent_of), "company_id"])
        decisions = self._decisions(view, ranked)
        removed = set(decisions.loc[decisions["action"] == "remove", "company_id"])
        forced = decisions[decisions["action"] == "add"]
        forced_into = {
            c: parent_of.get(i, i) for c, i in zip(forced["company_id"], forced["index"], strict=True)
        }
        forced_line = dict(zip(forced["company_id"], forced["line"], strict=True))
        member_of = {c: b for c, b in member_of.items() if c not in removed and c not in forced_into}
        # Plain dicts and lists from here: the loops below look companies up one at a time.
        cap_of = cap.to_dict()
        sector_of = sector.to_dict()
        order = list(cap.index)
        placed: dict[str, str] = {}
        notes: dict[str, str] = {}
        released: dict[str, str] = {}  # company -> the index that let it go
        for tier in self.indices:
            mine = [c for c in order if forced_into.get(c) == tier.name]
            for company in mine:
                placed[company] = tier.name
                notes[company] = f"committee decision (overrides line {forced_line[company]})"
            low, high = self._range(tier, view.as_of, cap, position)
            kept = [c for c in order if member_of.get(c) == tier.name and c not in placed]
            if tier.retain_fraction is not None and np.isfinite(low):
                # The range minimum, or the cap of the company at the bottom of the family's
                # targets so far when that is lower (a range holding fewer companies than the
                # targets must not push members out every review).
                depth = sum(t.target for t in self.indices[: self.indices.index(tier) + 1])
                natural = float(cap.iloc[min(depth, len(cap)) - 1]) if len(cap) else low
                floor = tier.retain_fraction * min(low, natural)
                for company in [c for c in kept if cap_of[c] < floor]:
                    kept.remove(company)
                    released[company] = tier.name
                    del member_of[company]
                    notes[company] = (
                        f"moved down from {tier.name}: cap below {tier.retain_fraction:g} x its range minimum"
                    )
            for company in kept[: max(tier.target - len(mine), 0)]:  # the largest if over target
                placed[company] = tier.name
            vacancies = tier.target - sum(1 for name in placed.values() if name == tier.name)
            if vacancies <= 0:
                continue
            higher = {t.name for t in self.indices[: self.indices.index(tier)]}
            taken = higher | {tier.name}
            free = [c for c in order if c not in placed and member_of.get(c) not in taken]
            # Companies released by a higher index come first: they migrate, not leave.
            movers = [
                c for c, by in released.items() if by in higher and c not in placed and cap_of[c] <= high
            ]
            moving = set(movers)
            candidates = movers + [c for c in free if low <= cap_of[c] <= high and c not in moving]
            below = (
                [c for c in free if cap_of[c] < low and released.get(c) != tier.name and c not in moving]
                if self.fill_below_range
                else []
            )
            held: dict[str, float] = {}
            for c, name in placed.items():
                if name == tier.name:
                    held[sector_of[c]] = held.get(sector_of[c], 0.0) + cap_of[c]
            for _ in range(vacancies):
                source = candidates if candidates else below
                if not source:
                    break
                chosen = self._choose(source[: self.pool], held, cap_of, sector_of, target_weight)
                source.remove(chosen)
                held[sector_of[chosen]] = held.get(sector_of[chosen], 0.0) + cap_of[chosen]
                placed[chosen] = tier.name
                if member_of.get(chosen) not in (None, tier.name):
                    notes[chosen] = f"migrated from {member_of.get(chosen)}"
                elif chosen in released:
                    notes[chosen] = notes[chosen].replace("moved down from", "migrated from")
                elif source is below:
                    notes[chosen] = "added below the addition range: too few candidates in range"
        buckets = dict(placed)
        for subset in self.subsets:
            for company in self._subset(subset, placed, cap, in_subset):
                buckets[company] = subset.name
        chosen_ids = ranked[isin(ranked["company_id"], buckets)]
        out = assignment(chosen_ids.index, chosen_ids["company_id"].map(buckets).to_numpy())
        out["note"] = [notes.get(company, "") for company in chosen_ids["company_id"]]
        return out

    @staticmethod
    def _range(
        tier: CommitteeTier, as_of: pd.Timestamp, cap: pd.Series, position: pd.Series
    ) -> tuple[float, float]:
        """The addition range in dollars on ``as_of``: the dollar range in force, else the
        caps at the tier's cumulative percentiles, else nothing."""
        in_force = CapRangeTable(ranges=tier.ranges).in_force(as_of) if tier.ranges else None
        if in_force is not None:
            return in_force.min_cap, in_force.max_cap if in_force.max_cap is not None else np.inf
        if tier.percentiles is None:
            return np.inf, np.inf
        low, high = tier.percentiles
        inside = cap[(position > low) & (position <= high)]
        if inside.empty:
            return np.inf, np.inf
        return float(inside.min()), (np.inf if low == 0 else float(inside.max()))

    @staticmethod
    def _subset(subset: Subset, placed: dict[str, str], cap: pd.Series, incumbents: set[str]) -> list[str]:
        """Members of the parent drawn into the subset: incumbents ranked within the buffer
        (inside the parent), then the largest others."""
        parent = [c for c in cap.index if placed.get(c) == subset.parent]  # cap order
        buffer_rank = subset.buffer_rank or subset.target
        keep = [c for i, c in enumerate(parent, 1) if (c in incumbents and i <= buffer_rank)]
        keep = keep[: subset.target]
        others = [c for c in parent if c not in keep]
        return keep + others[: subset.target - len(keep)]

    @staticmethod
    def _choose(
        pool: list[str],
        held: dict[str, float],
        cap: dict[str, float],
        sector: dict[str, str],
        target: dict[str, float],
    ) -> str:
        """The pool candidate whose sector is most underweight in the index (ties: larger);
        ``held`` is the index's cap per sector so far."""
        if len(pool) == 1:
            return pool[0]
        total = sum(held.values())
        gap = [
            (held.get(sector[c], 0.0) / total if total else 0.0) - target.get(sector[c], 0.0) for c in pool
        ]
        return pool[int(np.argmin(gap))]


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
    register("cumulative-bands", CumulativeBands)
    register("top-with-buffer", TopWithBuffer)
    register("committee-list", CommitteeList)
    register("committee-selection", CommitteeSelection)
    register("all", Everything)
