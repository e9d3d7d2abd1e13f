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
from typing import TYPE_CHECKING, ClassVar

import pandas as pd

if TYPE_CHECKING:
    from indexsmith.calendars import TradingCalendar
    from indexsmith.market import MarketView

#: Columns of the frame a schedule returns, in order.
REVIEW_COLUMNS = ("rank_date", "announcement_date", "effective_date")
#: What a review may change (the optional ``kind`` column of a schedule's frame):
#: ``reconstitution`` re-ranks and re-buckets everything; ``additions`` keeps every
#: member and only adds securities first listed since the previous rank date (quarterly
#: IPO additions, methodologies.md §1.8); ``rebalance`` keeps membership and recomputes
#: weights (e.g. equal weight or capping reset between reconstitutions).
REVIEW_KINDS = ("reconstitution", "additions", "rebalance")
#: Columns of the frame a bucketing returns, in order.
BUCKET_COLUMNS = ("security_id", "bucket", "fraction")


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


class Weighting(Component):
    """Turns an index's members into target weights.

    ``weigh`` receives the members (the ranked frame restricted to the index's buckets,
    with ``fraction`` summed over them) and returns a float Series aligned with
    ``members.index``: finite, non-negative and summing to 1 (within 1e-9).
    """

    kind = "weighting"

    def weigh(self, view: MarketView, members: pd.DataFrame) -> pd.Series:
        raise NotImplementedError


class Capping(Component):
    """Adjusts target weights to meet concentration limits.

    ``cap`` receives the members and the weights from the weighting stage and returns new
    weights under the same contract as :class:`Weighting`.
    """

    kind = "capping"

    def cap(self, view: MarketView, members: pd.DataFrame, weights: pd.Series) -> pd.Series:
        raise NotImplementedError


#: Stage name -> base class, in pipeline order.
STAGE_BASES: dict[str, type[Component]] = {
    "schedule": Schedule,
    "screen": Screen,
    "ranking": Ranking,
    "bucketing": Bucketing,
    "weighting": Weighting,
    "capping": Capping,
}
