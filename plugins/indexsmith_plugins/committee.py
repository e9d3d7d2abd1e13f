"""Everything driven by a committee's decisions: dated membership files (Dow style), the
review schedule they imply, and S&P-style committee selection with dated addition ranges,
sector balance, migrations and an overrides file (methodologies.md §3-§4).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import numpy as np
import pandas as pd
from indexsmith import Bucketing, Component, MarketView, Register, Schedule, TradingCalendar, hookimpl
from indexsmith.frames import cumulative_fraction, isin

from indexsmith_plugins.helpers import assignment, review_frame
from indexsmith_plugins.membership import check_membership, read_membership
from indexsmith_plugins.ranges import CapRange, addition_range, range_breakpoints


@attrs.frozen(kw_only=True)
class CommitteeList(Bucketing):
    """Members chosen by a committee (Dow style), read from a dated membership file (see
    :func:`read_membership`). At each review the members are the securities added and not
    since removed by the rank date; members no longer listed drop out."""

    file: str = attrs.field(
        metadata={
            "help": "CSV with date, security_id, action (add/remove), relative to the definition",
            "path": True,
        }
    )
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


def _percentiles(
    instance: object, attribute: attrs.Attribute[Any], value: tuple[float, float] | None
) -> None:
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
    min_float_cap_fraction: float | None = attrs.field(
        default=None,
        validator=attrs.validators.optional([attrs.validators.gt(0), attrs.validators.le(1)]),
        metadata={
            "help": "a company added from outside the family needs a line whose float-adjusted cap is at least "
            "this fraction of the range minimum, or of the cap at the bottom of the targets when that is "
            "lower (S&P: 0.5, §3.2); none if omitted"
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
        metadata={
            "help": "CSV of committee decisions: date, security_id, action (add/remove), index; relative to the definition",
            "path": True,
        },
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
        # Companies by integer position in cap order (a company's first share class in
        # ``ranked`` carries its cap); the tiers' rules below work on those positions.
        row_company = ranked["company_id"].to_numpy(dtype=object)
        company_index = pd.Index(row_company, dtype=object)
        first_row = ~company_index.duplicated()
        names = row_company[first_row]
        code_of = pd.Index(names, dtype=object)
        row_code = code_of.get_indexer(row_company)
        cap_values = ranked["measure"].to_numpy(dtype=float)[first_row]
        sectors = ranked["sector"].to_numpy(dtype=object)[first_row]
        cap = pd.Series(cap_values, index=code_of)
        target_weight = (cap.groupby(sectors).sum() / cap.sum()).to_dict()
        position = cumulative_fraction(cap) * 100
        n = len(names)
        tier_names = [t.name for t in self.indices]
        labels = list(tier_names)  # bucket codes: the tiers first, then any other name met

        def code(name: str) -> int:
            if name not in labels:
                labels.append(name)
            return labels.index(name)

        parent_of = {s.name: s.parent for s in self.subsets}
        # Each member company's index (a subset's member: its parent), from its first row.
        member = np.full(n, -1, dtype=np.int64)
        in_subset = np.zeros(n, dtype=bool)
        prior_row = ranked.index.get_indexer(previous["security_id"].to_numpy(dtype=object))
        held_before = prior_row >= 0
        prior_code = row_code[prior_row[held_before]]
        prior_bucket = previous["bucket"].to_numpy(dtype=object)[held_before]
        if len(prior_code):
            _, first = np.unique(prior_code, return_index=True)
            for company, bucket in zip(prior_code[first], prior_bucket[first], strict=True):
                member[company] = code(parent_of.get(bucket, bucket))
            in_subset[prior_code[isin(prior_bucket, list(parent_of))]] = True
        decisions = self._decisions(view, ranked)
        removed = code_of.get_indexer(decisions.loc[decisions["action"] == "remove", "company_id"])
        forced_rows = decisions[decisions["action"] == "add"]
        forced = np.full(n, -1, dtype=np.int64)
        forced_line: dict[int, Any] = {}
        for company, index, line in zip(
            code_of.get_indexer(forced_rows["company_id"]),
            forced_rows["index"],
            forced_rows["line"],
            strict=True,
        ):
            forced[company] = code(parent_of.get(index, index))
            forced_line[company] = line
        member[removed[removed >= 0]] = -1
        member[forced >= 0] = -1
        # Plain lists from here: the loops below look companies up one at a time.
        cap_of = cap_values.tolist()
        sector_of = sectors.tolist()
        float_cap = np.zeros(n)
        if any(t.min_float_cap_fraction is not None for t in self.indices):
            line_cap = view.float_market_cap(ranked.index).to_numpy(dtype=float)
            float_cap = np.full(n, np.nan)
            np.fmax.at(float_cap, row_code, line_cap)
        placed = np.full(n, -1, dtype=np.int64)
        # The order companies were placed in (a dict's keys): each index's cap per sector
        # is summed in that order, as the committee met them.
        order: dict[int, None] = {}
        notes: dict[int, str] = {}
        released: dict[int, str] = {}  # company -> the index that let it go
        for t, tier in enumerate(self.indices):
            mine = np.flatnonzero(forced == t).tolist()
            for company in mine:
                placed[company] = t
                order[company] = None
                notes[company] = f"committee decision (overrides line {forced_line[company]})"
            low, high = self._range(tier, view.as_of, cap, position)
            # The thresholds scale with the range minimum, or with the cap of the company at
            # the bottom of the family's targets so far when that is lower: a range holding
            # fewer companies than the targets must neither push members out every review
            # nor leave places empty.
            depth = sum(x.target for x in self.indices[: t + 1])
            natural = float(cap_values[min(depth, n) - 1]) if n else low
            kept = np.flatnonzero((member == t) & (placed < 0)).tolist()
            if tier.retain_fraction is not None and np.isfinite(low):
                floor = tier.retain_fraction * min(low, natural)
                for company in [c for c in kept if cap_of[c] < floor]:
                    kept.remove(company)
                    released[company] = tier.name
                    member[company] = -1
                    notes[company] = (
                        f"moved down from {tier.name}: cap below {tier.retain_fraction:g} x its range minimum"
                    )
            kept = kept[: max(tier.target - len(mine), 0)]  # the largest if over target
            placed[kept] = t
            order.update(dict.fromkeys(kept))
            vacancies = tier.target - int(np.count_nonzero(placed == t))
            if vacancies <= 0:
                continue
            higher = set(tier_names[:t])
            free_mask = (placed < 0) & ((member < 0) | (member > t))
            # Companies released by a higher index come first: they migrate, not leave.
            movers = [c for c, by in released.items() if by in higher and placed[c] < 0 and cap_of[c] <= high]
            moving = np.zeros(n, dtype=bool)
            moving[movers] = True
            if tier.min_float_cap_fraction is not None and np.isfinite(low):
                floor = tier.min_float_cap_fraction * min(low, natural)
                free_mask &= (member >= 0) | (float_cap >= floor)
            free_mask &= ~moving
            candidates = (
                movers + np.flatnonzero(free_mask & (low <= cap_values) & (cap_values <= high)).tolist()
            )
            below: list[int] = []
            if self.fill_below_range:
                let_go = np.zeros(n, dtype=bool)
                let_go[[c for c, by in released.items() if by == tier.name]] = True
                below = np.flatnonzero(free_mask & (cap_values < low) & ~let_go).tolist()
            held: dict[str, float] = {}
            for c in [c for c in order if placed[c] == t]:
                held[sector_of[c]] = held.get(sector_of[c], 0.0) + cap_of[c]
            for _ in range(vacancies):
                source = candidates if candidates else below
                if not source:
                    break
                chosen = self._choose(source[: self.pool], held, cap_of, sector_of, target_weight)
                source.remove(chosen)
                held[sector_of[chosen]] = held.get(sector_of[chosen], 0.0) + cap_of[chosen]
                placed[chosen] = t
                order[chosen] = None
                if member[chosen] not in (-1, t):
                    notes[chosen] = f"migrated from {labels[member[chosen]]}"
                elif chosen in released:
                    notes[chosen] = notes[chosen].replace("moved down from", "migrated from")
                elif source is below:
                    notes[chosen] = "added below the addition range: too few candidates in range"
        buckets = placed.copy()
        for subset in self.subsets:
            buckets[self._subset(subset, placed == code(subset.parent), in_subset)] = code(subset.name)
        rows = np.flatnonzero(buckets[row_code] >= 0)
        out = assignment(ranked.index[rows], np.asarray(labels, dtype=object)[buckets[row_code[rows]]])
        out["note"] = [notes.get(company, "") for company in row_code[rows].tolist()]
        return out

    def fill(self, view: MarketView, ranked: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
        """Between reviews: every member stays; the places left go by the committee's rules
        (largest eligible company in range, sector balance, migrations from a lower index
        whose places are filled in turn). Continued-membership releases and the overrides
        file act at reviews only; a subset (S&P-100-style) keeps its members while they stay
        in the parent and takes the parent's largest non-member for a place left."""
        tiers = tuple(attrs.evolve(tier, retain_fraction=None) for tier in self.indices)
        subsets = tuple(attrs.evolve(s, buffer_rank=len(ranked) + 1) for s in self.subsets)
        rules = attrs.evolve(self, overrides=None, indices=tiers, subsets=subsets)  # type: ignore[arg-type]
        return rules.assign(view, ranked, previous)

    @staticmethod
    def _range(
        tier: CommitteeTier, as_of: pd.Timestamp, cap: pd.Series, position: pd.Series
    ) -> tuple[float, float]:
        return addition_range(tier.ranges, tier.percentiles, as_of, cap, position)

    def breakpoints(self, view: MarketView, ranked: pd.DataFrame) -> pd.DataFrame:
        """Each index's addition-range minimum on the rank date: the size a company must
        reach to be added (an incumbent stays down to ``retain_fraction`` of it)."""
        cap = ranked.drop_duplicates("company_id").set_index("company_id")["measure"]
        position = cumulative_fraction(cap) * 100
        rows = []
        for tier in self.indices:
            low = self._range(tier, view.as_of, cap, position)[0]
            rows.append((tier.name, low, low * tier.retain_fraction if tier.retain_fraction else None))
        return range_breakpoints(rows, cap)

    @staticmethod
    def _subset(subset: Subset, in_parent: np.ndarray, incumbents: np.ndarray) -> np.ndarray:
        """Members of the parent drawn into the subset (company positions, in cap order):
        incumbents ranked within the buffer (inside the parent), then the largest others."""
        parent = np.flatnonzero(in_parent)
        buffer_rank = subset.buffer_rank or subset.target
        within = incumbents[parent] & (np.arange(1, len(parent) + 1) <= buffer_rank)
        keep = parent[within][: subset.target]
        others = parent[~np.isin(parent, keep)]
        return np.concatenate([keep, others[: subset.target - len(keep)]])

    @staticmethod
    def _choose(
        pool: list[int],
        held: dict[str, float],
        cap: list[float],
        sector: list[str],
        target: dict[str, float],
    ) -> int:
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
class OnMembershipChange(Schedule):
    """A review on each date of a committee membership file (see ``committee-list``):
    ranked, announced and effective on that session."""

    file: str = attrs.field(
        metadata={
            "help": "CSV with date, security_id, action (add/remove), relative to the definition",
            "path": True,
        }
    )

    def __attrs_post_init__(self) -> None:
        read_membership(self.file)

    def check_compatible(self, stages: dict[str, Component]) -> str | None:
        bucketing = stages.get("bucketing")
        if not isinstance(bucketing, CommitteeList):
            return "the 'on-membership-change' schedule reviews only on the dates of a membership file; pair it with the 'committee-list' bucketing or use a calendar schedule"
        if bucketing.file != self.file:
            return f"the schedule reads {self.file} but the committee-list bucketing reads {bucketing.file}; use one membership file"
        return None

    def reviews(self, calendar: TradingCalendar, start: dt.date, end: dt.date) -> pd.DataFrame:
        table = read_membership(self.file)
        rows = []
        for when, line in table.drop_duplicates("date")[["date", "line"]].itertuples(index=False):
            if not calendar.is_session(when):
                raise ValueError(
                    f"membership file {self.file} line {line}: {when:%Y-%m-%d} is not a {calendar.code} session"
                )
            rows.append((when, when, when))
        return review_frame(rows, start, end)


@hookimpl
def indexsmith_register_schedules(register: Register) -> None:
    register("on-membership-change", OnMembershipChange)


@hookimpl
def indexsmith_register_bucketings(register: Register) -> None:
    register("committee-list", CommitteeList)
    register("committee-selection", CommitteeSelection)
