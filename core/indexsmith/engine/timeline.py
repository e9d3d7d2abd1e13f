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
from collections.abc import Sequence

import attrs
import numpy as np
import pandas as pd

from indexsmith.components import Review
from indexsmith.data.market import Market
from indexsmith.definition.model import Methodology
from indexsmith.engine.leaving import leaving_reasons, spin_off_drops
from indexsmith.engine.memo import StageMemo, as_of_view
from indexsmith.engine.review import (
    Progress,
    ReviewOutput,
    States,
    empty_assignment,
    run_review,
)
from indexsmith.engine.schedule import schedule
from indexsmith.errors import DefinitionError, Problem
from indexsmith.frames import isin

#: No security ids (an index no member left); shared, as an Index is immutable.
_NO_IDS = pd.Index([])


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
    #: The family's assignment rows after the change of the securities that left an index
    #: but stayed in the family (migrations): where they went. (The whole assignment is the
    #: next event's or review's; kept per event, it cost thousands of copies of it.)
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
    #: The first pending review, decided on its rank date as any review is (and amended for
    #: members leaving up to the build's last session): its pro-forma membership.
    pro_forma: ReviewOutput | None = None
    #: The family's membership in force after the build's last close.
    state: FamilyState | None = None
    #: The membership in force after the close of each session asked for (``snapshots``).
    snapshots: dict[pd.Timestamp, FamilyState | None] = attrs.field(factory=dict)


@attrs.frozen
class FamilyState:
    """A family's membership in force after the close of ``as_of``: the assignment, each
    index's members (with their target weights and shares), the weighting states carried to
    the next review, the latest rank date and the candidates replacements are chosen from."""

    as_of: pd.Timestamp
    assignment: pd.DataFrame
    #: Each index's member ids (members that left without replacement are gone).
    members: dict[str, frozenset[str]]
    #: Each index's members as its latest review or replacement weighted them.
    constituents: dict[str, pd.DataFrame]
    states: States
    previous_rank_date: pd.Timestamp | None
    eligible: pd.Index | None


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


def run(
    methodology: Methodology,
    market: Market,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    progress: Progress | None = None,
    snapshots: Sequence[pd.Timestamp] = (),
    memo: StageMemo | None = None,
) -> Run:
    """Run every review of a methodology on a market, with the replacements between them.
    ``snapshots`` are sessions after whose close the membership in force is kept
    (``Run.snapshots``), e.g. to predict each review from weeks before it; a ``memo``
    shares views, screens and ranking with other builds (same result)."""
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
    walk.snapshot_at = sorted({walk.session(pd.Timestamp(d)) for d in snapshots})
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
    # The first review ranked by the last session but taking effect after it is decided on
    # its rank date like any other (its pro-forma), then withdrawn: it is not in force.
    upcoming = Review.from_row(next(pending.itertuples(index=False))) if len(pending) else None
    if upcoming is not None and walk.session(upcoming.rank_date) > walk.processed:
        walk.advance(walk.session(upcoming.rank_date) - 1)
        walk.decide(upcoming)
    walk.advance(last)
    proposed = walk.withdraw() if walk.pending is not None else None
    if progress:
        progress(len(reviews), len(reviews), "done")
    return Run(
        walk.outputs,
        walk.events,
        pending,
        spin_off_drops(methodology, market, walk.outputs, walk.events),
        tuple(walk.warnings),
        proposed,
        walk.family_state(last),
        walk.snapshots,
    )


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
        self.snapshot_at: list[int] = []
        self._by_leaving: tuple[np.ndarray, np.ndarray] | None = None
        self.snapshots: dict[pd.Timestamp, FamilyState | None] = {}

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

    def withdraw(self) -> ReviewOutput:
        """The pending review as amended up to now, taken out of the reviews in force."""
        assert self.pending is not None
        if self.pending_drops:
            self._drop_from_pending(pd.Index(self.pending_drops))
            self.pending_drops = []
        output = self.outputs.pop(self.pending)
        self.pending = None
        self.pending_state = None
        self.pending_input = None
        return output

    def family_state(self, session: int) -> FamilyState | None:
        state = self.in_force
        if state is None:
            return None
        return FamilyState(
            self.market.sessions[session],
            state.assignment,
            state.members,
            state.constituents,
            state.states,
            self.previous_rank_date,
            self.eligible,
        )

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
        """Handle every member leaving at a close up to session ``upto``, in date order,
        keeping the membership after each snapshot session on the way."""
        while self.snapshot_at and self.snapshot_at[0] <= upto:
            session = self.snapshot_at.pop(0)
            self._advance(session)
            self.snapshots[self.market.sessions[session]] = self.family_state(session)
        self._advance(upto)

    def _advance(self, upto: int) -> None:
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
            # Securities that leave by this close may not be chosen; those that left before
            # the session the choice is made on are not listed on its view anyway.
            exclude = self._leaving_between(decided, when)
        if self.pending is not None:
            assert self.pending_state is not None
            output = self.outputs[self.pending]
            if (self.pending_state.leaves == when).any():
                if self.fills:
                    self._amend_pending(leavers, max(decided, self.session(output.review.rank_date)), exclude)
                else:
                    self.pending_drops.extend(leavers)
            if self.session(output.review.effective_date) == when:
                return  # the pending review takes effect at this close and replaces the membership
        before = self.in_force
        # A leaver is a member whose leaving session is this one.
        leaving = before.leaves == when if before is not None else None
        if before is None or leaving is None or not leaving.any():
            return
        in_family = before.assignment["security_id"].isin(leavers).to_numpy()
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
            # Only the indices a leaver was in change (most hold none of them).
            members = {k: v if v.isdisjoint(gone) else v - gone for k, v in before.members.items()}
            keep = ~leaving
            after = _State(
                current, members, before.states, before.ids[keep], before.leaves[keep], before.constituents
            )
        removed = {
            k: _NO_IDS
            if after.members[k] is v
            else pd.Index(sorted(v & gone if not self.fills else v - after.members[k]))
            for k, v in before.members.items()
        }
        if any(len(a) for a in added.values()):
            review = attrs.evolve(review, kind="replacement")
        moved = {sid for ids in removed.values() for sid in ids} - gone
        migrations = (
            after.assignment[isin(after.assignment["security_id"], moved)]
            if moved
            else after.assignment.iloc[:0]
        )
        self.events.append(Event(review, vacated.reset_index(drop=True), added, removed, migrations))
        self.in_force = after

    def _leaving_between(self, first: int, last: int) -> frozenset[str]:
        """Securities whose last close is a session ``first..last``."""
        if self._by_leaving is None:
            order = np.argsort(self.leaves.to_numpy(), kind="stable")
            self._by_leaving = (self.leaves.to_numpy()[order], self.leaves.index.to_numpy()[order])
        sessions, ids = self._by_leaving
        lo, hi = np.searchsorted(sessions, first, side="left"), np.searchsorted(sessions, last, side="right")
        return frozenset(ids[lo:hi])

    def _check_filled(self, before: _State, after: _State, leavers: pd.Index, when: int) -> None:
        """A warning for every place the replacement policy left empty."""
        company = self.market.company_of
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
