"""The leading stages of a review shared by the builds of one process (:class:`StageMemo`).

Builds that differ only after the ranking — in their tier counts, bands, weightings or
cappings — see the same as-of views and, as long as their families hold the same members,
screen and rank the same securities the same way. A memo handed to several builds keeps
each as-of view (with the facts it computed: company caps, float, volumes) and each
review's selection (the exclusions and the ranked universe), keyed by everything the
selection depends on: the view, the screens and ranking with their params, the review's
kind and the family's incumbents. A build with a memo gives exactly the result it gives
without one; the memo only saves the work. It must not outlive the market it was filled on.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

import pandas as pd

from indexsmith.data.market import Market
from indexsmith.data.view import MarketView
from indexsmith.definition.model import Methodology

#: The selection of one review: its exclusions (with reasons) and the ranked universe.
Selection = tuple[pd.DataFrame, pd.DataFrame]


class StageMemo:
    """As-of views and review selections shared by the builds of one process."""

    def __init__(self) -> None:
        self._views: dict[tuple[int, pd.Timestamp, pd.Timestamp | None], MarketView] = {}
        self._selections: dict[Hashable, Selection] = {}
        self._prefixes: dict[int, tuple[Methodology, Hashable]] = {}
        #: Selections served from the memo, and those computed.
        self.hits = 0
        self.misses = 0

    def view(
        self, market: Market, as_of: pd.Timestamp, previous_rank_date: pd.Timestamp | None
    ) -> MarketView:
        """The as-of view of ``market`` on ``as_of`` (made once, then shared)."""
        key = (id(market), pd.Timestamp(as_of), previous_rank_date)
        view = self._views.get(key)
        if view is None:
            view = market.view(as_of)
            view.previous_rank_date = previous_rank_date
            self._views[key] = view
        return view

    def prefix(self, methodology: Methodology) -> Hashable:
        """What the selection of ``methodology`` depends on: its screens (each with its
        params and the securities it applies to), its ranking and its missing-data rule."""
        known = self._prefixes.get(id(methodology))
        if known is not None and known[0] is methodology:
            return known[1]
        key = (
            tuple((s.entry.name, s.applies_to, repr(s.component)) for s in methodology.screens),
            (methodology.ranking.entry.name, repr(methodology.ranking.component)),
            methodology.definition.missing_data,
        )
        self._prefixes[id(methodology)] = (methodology, key)
        return key

    def selection(self, key: Hashable, compute: Callable[[], Selection]) -> Selection:
        """The selection under ``key``, computed once; each caller gets its own copies (a
        later stage may add columns to them)."""
        found = self._selections.get(key)
        if found is None:
            self.misses += 1
            found = compute()
            self._selections[key] = found
        else:
            self.hits += 1
        return found[0].copy(), found[1].copy()


def as_of_view(
    market: Market, memo: StageMemo | None, as_of: pd.Timestamp, previous_rank_date: pd.Timestamp | None
) -> MarketView:
    """The as-of view a review or replacement is decided on (shared through ``memo``)."""
    if memo is not None:
        return memo.view(market, as_of, previous_rank_date)
    view = market.view(as_of)
    view.previous_rank_date = previous_rank_date
    return view
