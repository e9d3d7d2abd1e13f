"""The timeline of a family: reviews decided on their rank dates and taking effect on
their effective dates, and the members that leave the market in between, replaced (or
not) by the family's replacement policy.

:func:`run` is a pure function of (methodology, market, date range): it keeps no global
state, so builds can run side by side in processes. It walks the sessions once, in this
order on each session: a review decided on it, members leaving at its close (and their
replacements), a review taking effect at its close. A member that leaves while a decided
review waits to take effect is replaced in that review too. It decides memberships and
target weights; it does not calculate levels (:mod:`indexsmith.calculation`).
"""

from __future__ import annotations

import datetime as dt

import attrs
import numpy as np
import pandas as pd

from indexsmith import contracts
from indexsmith.components import Review
from indexsmith.data.calendars import get_calendar
from indexsmith.data.market import Market
from indexsmith.definition.model import Methodology
from indexsmith.engine.memo import StageMemo, as_of_view
from indexsmith.engine.review import (
    Progress,
    ReviewOutput,
    States,
    call,
    date_range,
    empty_assignment,
    run_review,
)
from indexsmith.errors import DefinitionError, Problem
from indexsmith.frames import UNIVERSE_COLUMNS, isin


@attrs.frozen
class Event:
    """Members that left the market at one close between reviews, and what replaced them.

    ``review`` has kind ``replacement`` when the policy added a security and ``deletion``
    otherwise; its rank and announcement dates are the session the replacement was chosen
    on. ``vacated`` holds the leavers' assignment rows with a ``reason``; ``added`` and
    ``removed`` hold, per index, the rows that entered (constituent-like, with target
    weights and shares) and the ids that left (migrations included)."""

    review: Review
    vacated: pd.DataFrame
    added: dict[str, pd.DataFrame]
    removed: dict[str, pd.Index]
    #: The family's assignment after the change.
    assignment: pd.DataFrame


@attrs.frozen
class Run:
    """Everything the engine decided for a family."""

    outputs: list[ReviewOutput]
    events: list[Event]
    #: Reviews whose effective date is past the data (ranked inside it): never dropped silently.
    pending: pd.DataFrame
    #: Spun-off companies to drop at a close: ``date``, ``security_id``, ``reason``.
    spin_off_drops: pd.DataFrame
    #: One line per place a replacement policy could not fill.
    warnings: tuple[str, ...] = ()


@attrs.frozen
class _State:
    """A family's membership as decided: the assignment, the ids of each index's members,
    their weighting state, and each member's leaving session (for finding the next one)."""

    assignment: pd.DataFrame
    members: dict[str, frozenset[str]]
    states: States
    ids: np.ndarray
    leaves: np.ndarray
    constituents: dict[str, pd.DataFrame]

    @classmethod
    def of(
        cls,
        assignment: pd.DataFrame,
        constituents: dict[str, pd.DataFrame],
        states: States,
        leaves: pd.Series,
        members: dict[str, frozenset[str]] | None = None,
    ) -> _State:
        # Plain object strings: membership tests at every member's departure stay cheap.
        ids = np.asarray(assignment["security_id"].unique(), dtype=object)
        if members is None:
            members = {k: frozenset(v.index) for k, v in constituents.items()}
        return cls(assignment, members, states, ids, leaves.reindex(ids).to_numpy(), constituents)

    @classmethod
    def from_output(cls, output: ReviewOutput, leaves: pd.Series) -> _State:
        return cls.of(output.assignment, output.constituents, output.states, leaves)


def schedule(
    methodology: Methodology, market: Market, start: dt.date | None = None, end: dt.date | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reviews within the definition's (or the given) date range that the data can support,
    and those ranked inside the data whose effective date lies past it (pending)."""
    d = methodology.definition
    first, last = market.first_session.date(), market.last_session.date()
    start, end = date_range(methodology, start, end, first, last)
    calendar = get_calendar(d.calendar)
    horizon = max(end, (pd.Timestamp(last) + pd.DateOffset(years=1)).date())
    reviews = call(methodology.schedule, "reviews", f"for {start}..{end}", calendar, start, horizon)
    reviews = contracts.check_reviews(methodology.schedule, reviews)
    ranked_inside = reviews["rank_date"] >= market.first_session
    effective_inside = reviews["effective_date"] <= min(market.last_session, pd.Timestamp(end))
    pending = reviews[
        ranked_inside & ~effective_inside & (reviews["rank_date"] <= market.last_session)
    ].reset_index(drop=True)
    if pd.Timestamp(end) < market.last_session:
        pending = pending.iloc[0:0]
    reviews = reviews[ranked_inside & effective_inside].reset_index(drop=True)
    if reviews.empty:
        raise DefinitionError(
            [
                Problem(
                    f"schedule '{methodology.schedule.entry.name}' gives no review between {start} and {end} "
                    f"inside the market data ({first}..{last})",
                    hint="widen start/end or use data covering the review dates",
                )
            ],
            methodology.source,
        )
    return reviews, pending


def run(
    methodology: Methodology,
    market: Market,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    progress: Progress | None = None,
    memo: StageMemo | None = None,
) -> Run:
    """Run every review of a methodology on a market, with the replacements between them;
    a ``memo`` shares views, screens and ranking with other builds (same result)."""
    if methodology.definition.calendar != market.calendar.code:
        raise DefinitionError(
            [
                Problem(
                    f"the definition uses calendar {methodology.definition.calendar} but the market data is on {market.calendar.code}",
                    "$.calendar",
                    f'set calendar = "{market.calendar.code}"',
                )
            ],
            methodology.source,
        )
    reviews, pending = schedule(methodology, market, start, end)
    walk = _Walk(methodology, market, len(reviews), progress, memo)
    for row in reviews.itertuples(index=False):
        review = Review.from_row(row)
        walk.advance(walk.session(review.rank_date) - 1)
        walk.decide(review)
        walk.advance(walk.session(review.effective_date))
        walk.take_effect()
    # Members leaving after the last review are handled up to the end of the build.
    last = len(market.sessions) - 1
    stop = end or methodology.definition.end
    if stop is not None:
        last = min(last, int(market.sessions.searchsorted(pd.Timestamp(stop), side="right")) - 1)
    walk.advance(last)
    if progress:
        progress(len(reviews), len(reviews), "done")
    return Run(walk.outputs, walk.events, pending, walk.spin_off_drops(), tuple(walk.warnings))


class _Walk:
    """The state of a family as the timeline walks the sessions."""

    def __init__(
        self,
        methodology: Methodology,
        market: Market,
        total: int,
        progress: Progress | None,
        memo: StageMemo | None = None,
    ) -> None:
        self.methodology = methodology
        self.memo = memo
        self.market = market
        self.total = total
        self.progress = progress
        sessions = market.sessions
        delisting = pd.DatetimeIndex(market.securities["delisting_date"])
        leaves = sessions.searchsorted(delisting.fillna(pd.Timestamp.max.normalize()).to_numpy())
        #: Session index of each security's last close (past the end while listed).
        self.leaves = pd.Series(leaves, index=market.security_ids)
        self.reasons = leaving_reasons(market)
        self.pending_state: _State | None = None
        self.outputs: list[ReviewOutput] = []
        self.events: list[Event] = []
        self.in_force: _State | None = None
        self.pending: int | None = None  # index into outputs
        self.pending_input: tuple[States, pd.Timestamp | None] | None = None
        self.processed = -1
        self.previous_rank_date: pd.Timestamp | None = None
        self.fills = bool(getattr(methodology.replacement.component, "fills", True))
        self.eligible: pd.Index | None = None
        self.warnings: list[str] = []
        #: Members of the pending review that left before it takes effect (no replacement).
        self.pending_drops: list[str] = []

    def session(self, date: pd.Timestamp) -> int:
        return int(self.market.sessions.get_loc(date))

    # -- reviews -----------------------------------------------------------------------------

    def decide(self, review: Review) -> None:
        if self.progress:
            self.progress(len(self.outputs), self.total, f"{review.rank_date:%Y-%m-%d}")
        latest = self.pending_state or self.in_force
        previous = latest.assignment if latest is not None else empty_assignment()
        states = latest.states if latest is not None else {}
        view = as_of_view(self.market, self.memo, review.rank_date, self.previous_rank_date)
        self.pending_input = (states, self.previous_rank_date)
        output = run_review(self.methodology, view, review, previous, states, memo=self.memo)
        self.outputs.append(output)
        # The candidates replacements are chosen from until the next review that screens
        # the market: the securities that passed every screen.
        if output.review.kind == "reconstitution" or self.eligible is None:
            self.eligible = output.ranked.index
        elif output.review.kind == "additions":
            self.eligible = self.eligible.union(output.ranked.index)
        self.pending = len(self.outputs) - 1
        self.pending_state = _State.from_output(self.outputs[-1], self.leaves)
        self.previous_rank_date = view.as_of

    def take_effect(self) -> None:
        if self.pending is None:
            return
        if self.pending_drops:
            self._drop_from_pending(pd.Index(self.pending_drops))
            self.pending_drops = []
        self.in_force = self.pending_state
        self.pending = None
        self.pending_state = None
        self.pending_input = None

    # -- members leaving -------------------------------------------------------------------

    def advance(self, upto: int) -> None:
        """Handle every member leaving at a close up to session ``upto``, in date order."""
        while True:
            states = [state for state in (self.in_force, self.pending_state) if state is not None]
            due = [state.leaves[(state.leaves > self.processed) & (state.leaves <= upto)] for state in states]
            found = [d.min() for d in due if len(d)]
            if not found:
                self.processed = max(self.processed, upto)
                return
            when = int(min(found))
            leavers = pd.Index(
                np.unique(np.concatenate([state.ids[state.leaves == when] for state in states]))
            )
            self._leave(when, leavers)
            self.processed = when

    def _leave(self, when: int, leavers: pd.Index) -> None:
        market = self.market
        decided = max(when - self.methodology.maintenance.announce_sessions, 0)
        exclude: frozenset[str] = frozenset()
        if self.fills:
            exclude = frozenset(self.leaves.index[self.leaves.to_numpy() <= when])
        if self.pending is not None:
            assert self.pending_state is not None
            output = self.outputs[self.pending]
            if isin(leavers, self.pending_state.ids).any():
                if self.fills:
                    self._amend_pending(leavers, max(decided, self.session(output.review.rank_date)), exclude)
                else:
                    self.pending_drops.extend(leavers)
            if self.session(output.review.effective_date) == when:
                return  # the pending review takes effect at this close and replaces the membership
        before = self.in_force
        if before is None or not isin(leavers, before.ids).any():
            return
        in_family = isin(before.assignment["security_id"], leavers)
        vacated = before.assignment[in_family].copy()
        vacated["reason"] = [
            self.reasons.get((sid, when), f"delisted, last close {market.sessions[when]:%Y-%m-%d}")
            for sid in vacated["security_id"]
        ]
        current = before.assignment[~in_family]
        gone = frozenset(leavers)
        review = Review(market.sessions[decided], market.sessions[decided], market.sessions[when], "deletion")
        added: dict[str, pd.DataFrame] = {}
        if self.fills:
            view = as_of_view(self.market, self.memo, review.rank_date, self.previous_rank_date)
            output = run_review(
                self.methodology,
                view,
                attrs.evolve(review, kind="replacement"),
                current,
                before.states,
                vacated=vacated[["security_id", "bucket", "fraction"]],
                candidates=self.eligible,
                exclude=exclude,
                keep={k: v for k, v in before.constituents.items() if not (before.members[k] & gone)},
            )
            after = _State.from_output(output, self.leaves)
            self._check_filled(before, after, leavers, when)
            for index_id, frame in output.constituents.items():
                added[index_id] = frame.loc[~isin(frame.index, before.members[index_id])]
        else:
            members = {k: v - gone for k, v in before.members.items()}
            keep = ~isin(before.ids, leavers)
            after = _State(
                current, members, before.states, before.ids[keep], before.leaves[keep], before.constituents
            )
        removed = {k: pd.Index(sorted(v - after.members[k])) for k, v in before.members.items()}
        if any(len(a) for a in added.values()):
            review = attrs.evolve(review, kind="replacement")
        self.events.append(Event(review, vacated.reset_index(drop=True), added, removed, after.assignment))
        self.in_force = after

    def _check_filled(self, before: _State, after: _State, leavers: pd.Index, when: int) -> None:
        """A warning for every place the replacement policy left empty."""
        company = self.market.securities.set_index("security_id")["company_id"]
        had = company.reindex(before.assignment["security_id"]).nunique()
        has = company.reindex(after.assignment["security_id"]).nunique()
        if has < had:
            date = self.market.sessions[when]
            self.warnings.append(
                f"{had - has} place(s) left by {', '.join(leavers)} on {date:%Y-%m-%d} could not be filled: "
                f"replacement '{self.methodology.replacement.entry.name}' found no eligible company, so the "
                f"family holds {has} companies until its next review"
            )

    def _drop_from_pending(self, leavers: pd.Index) -> None:
        """A member of a decided review leaves before it takes effect and nothing replaces
        it: the review takes effect without it (the others' weights scaled up)."""
        assert self.pending is not None
        output = self.outputs[self.pending]
        constituents = {}
        for index_id, members in output.constituents.items():
            kept = members[~isin(members.index, leavers)].copy()
            kept["weight"] = kept["weight"] / kept["weight"].sum()
            constituents[index_id] = kept
        assignment = output.assignment[~isin(output.assignment["security_id"], leavers)]
        self.outputs[self.pending] = attrs.evolve(output, assignment=assignment, constituents=constituents)
        self.pending_state = _State.from_output(self.outputs[self.pending], self.leaves)

    def _amend_pending(self, leavers: pd.Index, decided: int, exclude: frozenset[str]) -> None:
        """A member of a decided review leaves before it takes effect: the replacement
        policy fills its place in that review (chosen on the view of ``decided``). In an
        index whose membership the amendment changes, the announced members that stay keep
        their targets and the entering members (newcomers or migrants) share the weight
        the departed members leave; an index whose members it leaves alone stays as
        announced."""
        assert self.pending is not None and self.pending_input is not None
        output = self.outputs[self.pending]
        states, previous_rank_date = self.pending_input
        leaving = isin(output.assignment["security_id"], leavers)
        view = as_of_view(self.market, self.memo, self.market.sessions[decided], previous_rank_date)
        amended = run_review(
            self.methodology,
            view,
            output.review,
            output.assignment[~leaving],
            states,
            vacated=output.assignment.loc[leaving, ["security_id", "bucket", "fraction"]],
            candidates=self.eligible,
            exclude=exclude,
            keep=output.constituents,
        )
        constituents, new_states = {}, {}
        for index_id, announced in output.constituents.items():
            chosen = amended.constituents[index_id]
            state = output.states.get(index_id, pd.DataFrame())
            if chosen is announced:
                constituents[index_id], new_states[index_id] = announced, state
                continue
            retained = announced[isin(announced.index, chosen.index)]
            entering = chosen[~isin(chosen.index, announced.index)].copy()
            freed = 1.0 - float(retained["weight"].sum()) / float(announced["weight"].sum())
            if len(entering) and entering["weight"].sum() > 0:
                entering["weight"] = entering["weight"] / entering["weight"].sum() * freed
            members = pd.concat([retained, entering])
            members["weight"] = members["weight"] / members["weight"].sum()
            constituents[index_id] = members
            added_state = amended.states.get(index_id, pd.DataFrame())
            if len(state.columns) or len(added_state.columns):
                new_states[index_id] = pd.concat(
                    [
                        state[isin(state.index, retained.index)],
                        added_state[isin(added_state.index, entering.index)],
                    ]
                )
            else:
                new_states[index_id] = state
        self.outputs[self.pending] = attrs.evolve(
            output,
            assignment=amended.assignment,
            constituents=constituents,
            states=new_states,
            exclusions=pd.concat([output.exclusions, amended.exclusions], ignore_index=True),
        )
        self.pending_state = _State.from_output(self.outputs[self.pending], self.leaves)

    # -- spin-offs ---------------------------------------------------------------------------

    def spin_off_drops(self) -> pd.DataFrame:
        """Spun-off companies of family members to drop at the close of their first session
        (``maintenance.spin_offs``); the calculation acts only where it holds one."""
        policy = self.methodology.maintenance.spin_offs
        columns = {
            "date": pd.Series(dtype="datetime64[ns]"),
            "security_id": pd.Series(dtype=object),
            "reason": pd.Series(dtype=object),
        }
        if policy == "keep" or not self.outputs:
            return pd.DataFrame(columns)
        market = self.market
        actions = market.corporate_actions
        spins = actions[
            (actions["action"] == "spin-off") & (actions["date"] > self.outputs[0].review.effective_date)
        ]
        ever = set()
        for output in self.outputs:
            ever.update(output.assignment["security_id"])
        for event in self.events:
            for frame in event.added.values():
                ever.update(frame.index)
        spins = spins[spins["security_id"].isin(ever) & spins["new_security_id"].notna()]
        positions = market.security_ids.get_indexer(spins["new_security_id"])
        rows = []
        for (_, action), position in zip(spins.iterrows(), positions, strict=True):
            if position < 0:
                continue
            first = int(market.daily.first_session[position])
            if first < 0:
                continue
            child = str(action["new_security_id"])
            reason = f"spin-off of {action['security_id']}: dropped after its first session"
            if policy == "drop-if-ineligible":
                failure = self._ineligible(child, first)
                if failure is None:
                    continue
                reason = f"spin-off of {action['security_id']}: ineligible ({failure}), dropped after its first session"
            rows.append((market.sessions[first], child, reason))
        if not rows:
            return pd.DataFrame(columns)
        return (
            pd.DataFrame(rows, columns=list(columns))
            .sort_values(["date", "security_id"], kind="stable")
            .reset_index(drop=True)
        )

    def _ineligible(self, security_id: str, session: int) -> str | None:
        """The first screen a security fails as a candidate for addition on a session."""
        view = as_of_view(self.market, self.memo, self.market.sessions[session], None)
        if security_id not in view.securities.index:
            return "not listed"
        subject = view.securities.loc[[security_id], list(UNIVERSE_COLUMNS)].copy()
        subject["incumbent"] = False
        review = Review(view.as_of, view.as_of, view.as_of, "replacement")
        for screen in self.methodology.screens:
            if screen.applies_to == "incumbents":
                continue
            reasons = contracts.check_reasons(
                screen, call(screen, "screen", review, view, subject), subject, review
            )
            if reasons.notna().any():
                return f"{screen.entry.name}: {reasons.iloc[0]}"
        return None


def leaving_reasons(market: Market) -> dict[tuple[str, int], str]:
    """(security_id, session) -> why the security's last close was that session: the
    corporate action recorded for it on that date (worked out once per market)."""
    return market.memo("leaving_reasons", lambda: _leaving_reasons(market))


def _leaving_reasons(market: Market) -> dict[tuple[str, int], str]:
    actions = market.corporate_actions
    actions = actions[actions["action"].isin(["cash-acquisition", "stock-acquisition", "delisting"])]
    sessions = market.sessions.searchsorted(pd.DatetimeIndex(actions["date"]))
    out: dict[tuple[str, int], str] = {}
    for row, session in zip(actions.itertuples(index=False), sessions, strict=True):
        date = f"{row.date:%Y-%m-%d}"
        if row.action == "cash-acquisition":
            cash = f" at ${row.cash:,.2f}" if row.cash == row.cash else ""
            text = f"cash acquisition{cash}, last close {date}"
        elif row.action == "stock-acquisition":
            text = f"stock acquisition by {row.acquirer_id}, last close {date}"
        else:
            text = f"delisted ({row.reason or 'no reason given'}), last close {date}"
        out.setdefault((row.security_id, int(session)), text)
    return out
