"""Component base classes: the contract of each pipeline stage.

A component is a frozen, keyword-only attrs class whose fields are its parameters
(validators for ranges, ``metadata={"help": ...}`` for documentation). It subclasses the
base class of its stage and implements one method. Components never see the whole market:
they receive a :class:`~indexsmith.market.MarketView` cut off at the review's rank date.

The engine checks every output against the contract written here before the next stage
runs (:mod:`indexsmith.contracts`); a violation names the component, its plugin and the
review date.

Frames passed between stages are indexed by ``security_id`` and carry at least
``company_id``, ``ticker``, ``sector``, ``security_type``, ``exchange`` and ``incumbent``
(``True`` when the security belonged to the index family's previous review).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, ClassVar

import attrs
import pandas as pd

from indexsmith.frames import BUCKET_COLUMNS, REVIEW_COLUMNS, REVIEW_KINDS

if TYPE_CHECKING:
    from indexsmith.data.calendars import TradingCalendar
    from indexsmith.data.view import MarketView

__all__ = [
    "BUCKET_COLUMNS",
    "HOLDINGS",
    "REVIEW_COLUMNS",
    "REVIEW_KINDS",
    "STAGES",
    "STAGE_BASES",
    "Bucketing",
    "Capping",
    "Component",
    "Ranking",
    "Replacement",
    "Review",
    "Schedule",
    "Screen",
    "Stage",
    "Weighting",
]


class Component:
    """Base of every component. ``kind`` names the stage it serves."""

    kind: ClassVar[str] = ""

    def check_compatible(self, stages: dict[str, Component]) -> str | None:
        """Return a one-line reason if this component cannot work with the others.

        ``stages`` maps a stage name (``schedule``, ``ranking``, ``bucketing``,
        ``weighting``, ``capping``) to the component chosen for it. Called at validation
        time, before any data is read. The default accepts everything.
        """
        return None


@attrs.frozen
class Review:
    """One scheduled review: its dates and what it may change (see
    :data:`~indexsmith.frames.REVIEW_KINDS`)."""

    rank_date: pd.Timestamp
    announcement_date: pd.Timestamp
    effective_date: pd.Timestamp
    kind: str = "reconstitution"

    @classmethod
    def from_row(cls, row: Any) -> Review:
        return cls(row.rank_date, row.announcement_date, row.effective_date, str(row.kind))

    @property
    def label(self) -> str:
        """``on review with rank date 2024-05-31 (effective 2024-06-28)``, for messages."""
        return (
            f"on review with rank date {self.rank_date:%Y-%m-%d} (effective {self.effective_date:%Y-%m-%d})"
        )


class Schedule(Component):
    """Decides when reviews happen.

    ``reviews`` returns a frame with columns ``rank_date``, ``announcement_date`` and
    ``effective_date`` (``datetime64`` sessions of ``calendar``), one row per review, sorted
    by ``effective_date``, with ``rank_date <= announcement_date <= effective_date`` and
    unique effective dates. Effective dates are "after the close": the new membership is
    priced from the close of that session on. Reviews whose effective date falls outside
    ``[start, end]`` are not returned.

    An optional ``kind`` column says what each review may change (see
    :data:`REVIEW_KINDS`); without it every review is a reconstitution. At an ``additions``
    or ``rebalance`` review members stay while they are listed (they are not screened
    again) and the bucketing is used only to place the new securities.
    """

    kind = "schedule"

    def reviews(self, calendar: TradingCalendar, start: dt.date, end: dt.date) -> pd.DataFrame:
        raise NotImplementedError


class Screen(Component):
    """Removes ineligible securities from the universe and says why.

    ``screen`` receives the candidates still in the universe and returns a Series aligned
    with ``candidates.index`` holding, for each security, the reason it fails (a short
    string such as ``"price 0.84 < min_price 1.00"``) or a missing value when it passes.
    It must not drop or add rows.
    """

    kind = "screen"

    def screen(self, view: MarketView, candidates: pd.DataFrame) -> pd.Series:
        raise NotImplementedError


class Ranking(Component):
    """Gives each eligible security the number it is ranked by (largest first).

    ``measure`` returns a float Series aligned with ``universe.index``; values must be
    finite. The engine sorts by the measure descending, then by ``company_id`` ascending,
    then by ``security_id`` ascending, so ties never depend on row order, and adds the
    columns ``measure`` and ``rank`` (1..N, unique).
    """

    kind = "ranking"

    def measure(self, view: MarketView, universe: pd.DataFrame) -> pd.Series:
        raise NotImplementedError


class Bucketing(Component):
    """Places ranked securities into named buckets (tiers, bands, selections).

    ``bucket_names`` lists every bucket the component can produce with its parameters.
    ``assign`` receives the ranked universe (with ``measure`` and ``rank``) and the
    previous review's assignment (a frame with the same columns as the output, empty at the
    first review) and returns a frame with columns ``security_id``, ``bucket`` and
    ``fraction``. A security may appear in several buckets (packeting) as long as its
    fractions are in (0, 1] and sum to at most 1; securities in no bucket are left out. An
    optional ``note`` column explains the placement (for example the band that kept it).
    """

    kind = "bucketing"

    def bucket_names(self) -> tuple[str, ...]:
        raise NotImplementedError

    def assign(self, view: MarketView, ranked: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
        raise NotImplementedError

    def fill(self, view: MarketView, ranked: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
        """Optional: between reviews, keep every security of ``previous`` in its buckets and
        fill the places members left by this bucketing's own rules (the next-ranked company,
        a committee's choice), returning a frame like :meth:`assign`'s. Used by the
        ``bucketing-rules`` replacement; the default cannot."""
        raise NotImplementedError(f"{type(self).__name__} does not fill vacancies between reviews")

    def breakpoints(self, view: MarketView, ranked: pd.DataFrame) -> pd.DataFrame | None:
        """Optional: this bucketing's breakpoints at a review on ``view`` over the ranked
        universe, for the bubble list of ``indexsmith preview`` — one row per breakpoint
        with the columns of :data:`~indexsmith.frames.BREAKPOINT_COLUMNS`: ``breakpoint``
        (a label), ``above`` and ``below`` (the buckets on either side; ``below`` is empty
        past the last one), ``rank`` (the company rank where ``above`` ends), ``band``
        (half-width in points of cumulative cap that keeps incumbents on their side),
        ``buffer_rank`` (incumbents of ``above`` ranked up to it may stay), ``measure`` (a
        size threshold instead of a rank: a dollar range minimum; ``rank`` is then where it
        falls) and ``floor`` (the size below which an incumbent of ``above`` is released);
        NaN where a rule does not apply. None (the default): no breakpoints, and the
        preview says what it used instead.

        .. versionadded:: 0.4
        """
        return None


#: How an index holds its members between reviews: ``weights`` — index shares are set from
#: the target weights at a reference price and then held (equal, capped and custom
#: weightings); ``shares`` — index shares are the members' float-adjusted shares (times
#: any fraction), so weights move with prices and a review trades only what changed
#: (cap-weighted indices, methodologies.md §6.1).
HOLDINGS = ("weights", "shares")


class Weighting(Component):
    """Turns an index's members into target weights.

    ``weigh`` receives the members (the ranked frame restricted to the index's buckets,
    with ``fraction`` summed over them) and returns a float Series aligned with
    ``members.index``: finite, non-negative and summing to 1 (within 1e-9).

    ``holding`` declares how the index holds its members (see :data:`HOLDINGS`). A
    weighting that holds ``shares`` implements :meth:`index_shares` instead of
    :meth:`weigh`; its weights are the index shares times the rank-date close.
    ``share_basis`` names the share count its index shares follow between reviews (share
    changes at or above the threshold apply to that count).

    State across reviews: either method may return a frame instead of a Series — its
    ``weight`` (or ``index_shares``) column is the result and every other column is state
    the engine hands back at the index's next review as ``previous_<column>`` columns of
    ``members`` (missing for securities that were not members). ``members["review"]``
    says which kind of review it is (:data:`~indexsmith.frames.REVIEW_KINDS`, or
    ``replacement`` between reviews).
    """

    kind = "weighting"
    holding: ClassVar[str] = "weights"
    #: The share count a share-holding index holds and keeps up to date: ``float``
    #: (shares outstanding x float factor) or ``outstanding`` (full market cap).
    share_basis: ClassVar[str] = "float"

    def weigh(self, view: MarketView, members: pd.DataFrame) -> pd.Series | pd.DataFrame:
        if self.holding != "shares":
            raise NotImplementedError
        shares = self.index_shares(view, members)
        if isinstance(shares, pd.DataFrame):
            shares = shares["index_shares"]
        value = shares * view.close(members.index)
        return value / value.sum()

    def index_shares(self, view: MarketView, members: pd.DataFrame) -> pd.Series | pd.DataFrame:
        """For ``holding = "shares"``: the shares of each member the index holds (any
        positive scale — the divisor absorbs it), e.g. shares outstanding x float factor x
        fraction. Finite and non-negative."""
        raise NotImplementedError


class Capping(Component):
    """Adjusts target weights to meet concentration limits.

    ``cap`` receives the members and the weights from the weighting stage and returns new
    weights under the same contract as :class:`Weighting`.
    """

    kind = "capping"

    def cap(self, view: MarketView, members: pd.DataFrame, weights: pd.Series) -> pd.Series:
        raise NotImplementedError


class Replacement(Component):
    """Fills the places that members leave between reviews (acquisitions, delistings,
    bankruptcies), at the session they leave.

    ``replace`` receives a view a few sessions before the deletion, the universe ranked
    as at an additions review (members unscreened, non-members screened as candidates for
    addition, with ``incumbent``), ``current`` — the family's assignment without the
    securities that left — ``vacated`` — those securities' assignment rows — and the
    family's bucketing component. It returns the new assignment (the columns of a
    bucketing's), keeping every security of ``current``; the engine checks it with the
    bucketing's contract. Returning ``current`` unchanged leaves the places empty; a policy
    that never fills places sets ``fills = False`` and is not called at all (the engine then
    skips ranking the market at every deletion).
    """

    kind = "replacement"
    fills: ClassVar[bool] = True

    def replace(
        self,
        view: MarketView,
        ranked: pd.DataFrame,
        current: pd.DataFrame,
        vacated: pd.DataFrame,
        bucketing: Bucketing,
    ) -> pd.DataFrame:
        raise NotImplementedError


@attrs.frozen
class Stage:
    """One stage of the pipeline: its name in definitions (``kind``), the base class its
    components subclass, the hook that registers them and the title of its docs section."""

    kind: str
    base: type[Component]
    hook: str
    title: str


#: The stages in pipeline order: the one table the plugin manager, the registry, the
#: command line and the generated reference read.
STAGES: tuple[Stage, ...] = (
    Stage("schedule", Schedule, "indexsmith_register_schedules", "Schedules"),
    Stage("screen", Screen, "indexsmith_register_screens", "Universe screens"),
    Stage("ranking", Ranking, "indexsmith_register_rankings", "Rankings"),
    Stage("bucketing", Bucketing, "indexsmith_register_bucketings", "Bucketings"),
    Stage("weighting", Weighting, "indexsmith_register_weightings", "Weightings"),
    Stage("capping", Capping, "indexsmith_register_cappings", "Cappings"),
    Stage("replacement", Replacement, "indexsmith_register_replacements", "Replacements"),
)
#: Stage name -> base class, in pipeline order.
STAGE_BASES: dict[str, type[Component]] = {stage.kind: stage.base for stage in STAGES}
