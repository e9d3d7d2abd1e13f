"""Contract classes of the conformance kit, one per stage (see :mod:`indexsmith.testing`).

Each runs a component on the small demo market and checks its output with the checks the
engine applies before the next stage (:mod:`indexsmith.contracts`), plus determinism and
that its parameters round-trip through a definition.
"""

from __future__ import annotations

import datetime as dt
import typing
from pathlib import Path
from typing import Any

import attrs
import pandas as pd
import pytest

from indexsmith import contracts
from indexsmith.components import HOLDINGS, STAGE_BASES, Bucketing, Component
from indexsmith.data.calendars import get_calendar
from indexsmith.data.market import Market
from indexsmith.data.schema import REQUIRED_TABLES
from indexsmith.data.sources import MarketSource, SourceTables
from indexsmith.data.view import MarketView
from indexsmith.definition.model import Resolved, component_params
from indexsmith.definition.resolve import structure_params
from indexsmith.engine import rank
from indexsmith.frames import UNIVERSE_COLUMNS
from indexsmith.plugin.manager import Plugins

REVIEW_DATE = pd.Timestamp("2020-06-12")  # a session of the small demo market
KIND = {base: kind for kind, base in STAGE_BASES.items()}


def resolved(component: Component, plugins: Plugins | None = None) -> Resolved:
    """The component as the engine holds it (registered under ``component-under-test``)."""
    plugins = plugins or Plugins(autoload=False)
    kind = next(KIND[base] for base in type(component).__mro__ if base in KIND)
    entry = plugins.add(kind, "component-under-test", type(component), plugin_name="conformance-kit")
    return Resolved(entry, component)


def universe(view: MarketView) -> pd.DataFrame:
    """Every listed security of a view, as a screen or ranking receives it."""
    frame = view.securities.loc[:, list(UNIVERSE_COLUMNS)].copy()
    frame["incumbent"] = False
    return frame


def ranked(view: MarketView) -> pd.DataFrame:
    """The universe ranked by total company market cap with the engine's tie-break, as a
    bucketing receives it."""
    frame = universe(view)
    frame["measure"] = view.company_market_cap(frame.index).to_numpy()
    return rank(frame[frame["measure"] > 0])


def members(view: MarketView, count: int = 60) -> pd.DataFrame:
    """The largest ``count`` securities as an index's members (fraction 1)."""
    frame = ranked(view).iloc[:count].copy()
    frame["fraction"] = 1.0
    frame["bucket"] = "all"
    frame["note"] = ""
    frame["review"] = "reconstitution"
    return frame


class _Contract:
    """Shared fixtures and checks of every stage."""

    @pytest.fixture
    def component(self) -> Component:
        raise NotImplementedError("override the 'component' fixture with an instance of your component")

    @pytest.fixture
    def view(self, small_market: Market) -> MarketView:
        return small_market.view(REVIEW_DATE)

    def test_is_a_frozen_attrs_class_with_documented_params(self, component: Component) -> None:
        assert attrs.has(type(component)), (
            "components are attrs classes: decorate with @attrs.frozen(kw_only=True)"
        )
        for field in attrs.fields(typing.cast(Any, type(component))):
            assert field.metadata.get("help"), f"parameter {field.name!r} has no metadata={{'help': ...}}"
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            component.conformance_probe = 1  # type: ignore[attr-defined]

    def test_params_round_trip_through_a_definition(self, component: Component) -> None:
        params = component_params(component)
        again, problems = structure_params(type(component), params, "$.params")
        assert not problems, problems
        assert again == component


class ScheduleContract(_Contract):
    def test_reviews_follow_the_contract(self, component: Component, small_market: Market) -> None:
        calendar = small_market.calendar
        frame = component.reviews(calendar, dt.date(2019, 1, 1), dt.date(2021, 12, 31))  # type: ignore[attr-defined]
        checked = contracts.check_reviews(resolved(component), frame)
        for column in ("rank_date", "announcement_date", "effective_date"):
            assert checked[column].map(calendar.is_session).all(), f"{column} holds a non-session"
        assert (checked["effective_date"] >= pd.Timestamp("2019-01-01")).all()
        assert (checked["effective_date"] <= pd.Timestamp("2021-12-31")).all()
        again = component.reviews(calendar, dt.date(2019, 1, 1), dt.date(2021, 12, 31))  # type: ignore[attr-defined]
        pd.testing.assert_frame_equal(contracts.check_reviews(resolved(component), again), checked)


class ScreenContract(_Contract):
    def test_reasons_follow_the_contract(self, component: Component, view: MarketView) -> None:
        candidates = universe(view)
        reasons = component.screen(view, candidates)  # type: ignore[attr-defined]
        checked = contracts.check_reasons(resolved(component), reasons, candidates, "in the conformance kit")
        failed = checked[checked.notna()]
        assert all(isinstance(r, str) and r for r in failed), "a failing security needs a reason string"
        again = component.screen(view, candidates)  # type: ignore[attr-defined]
        pd.testing.assert_series_equal(again, reasons)

    def test_screens_a_subset_alone(self, component: Component, view: MarketView) -> None:
        candidates = universe(view).iloc[::7]
        reasons = component.screen(view, candidates)  # type: ignore[attr-defined]
        contracts.check_reasons(resolved(component), reasons, candidates, "on a subset")


class RankingContract(_Contract):
    def test_measure_follows_the_contract(self, component: Component, view: MarketView) -> None:
        frame = universe(view)
        frame = frame[view.company_market_cap(frame.index).to_numpy() > 0]
        measure = component.measure(view, frame)  # type: ignore[attr-defined]
        contracts.check_measure(resolved(component), measure, frame, "in the conformance kit")


class BucketingContract(_Contract):
    def test_buckets_follow_the_contract(
        self, component: Component, view: MarketView, small_market: Market
    ) -> None:
        frame = ranked(view)
        declared = tuple(component.bucket_names())  # type: ignore[attr-defined]
        empty = pd.DataFrame(
            {
                "security_id": pd.Series(dtype=object),
                "bucket": pd.Series(dtype=object),
                "fraction": pd.Series(dtype=float),
            }
        )
        first = component.assign(view, frame, empty)  # type: ignore[attr-defined]
        first = contracts.check_buckets(resolved(component), first, frame, declared, "at a first review")
        # A second review, a quarter later, sees the first as its previous assignment.
        later = small_market.view(REVIEW_DATE + pd.Timedelta(days=91))
        frame2 = ranked(later)
        frame2["incumbent"] = frame2.index.isin(first["security_id"])
        second = component.assign(later, frame2, first)  # type: ignore[attr-defined]
        contracts.check_buckets(resolved(component), second, frame2, declared, "at a second review")


class WeightingContract(_Contract):
    def test_weights_follow_the_contract(self, component: Component, view: MarketView) -> None:
        weighting: Any = component
        frame = members(view)
        result = weighting.weigh(view, frame)
        weights, _ = contracts.split_state(resolved(component), result, "weight", frame, "in the kit")
        checked = contracts.check_weights(resolved(component), weights, frame, "in the conformance kit")
        assert abs(float(checked.sum()) - 1.0) <= contracts.WEIGHT_TOLERANCE
        again, _ = contracts.split_state(
            resolved(component), weighting.weigh(view, frame), "weight", frame, "again"
        )
        pd.testing.assert_series_equal(again, weights)

    def test_holding_is_declared_and_kept(self, component: Component, view: MarketView) -> None:
        """A weighting says how the index holds it: 'weights', or 'shares' with index shares
        whose value at the close gives its weights."""
        weighting: Any = component
        holding = getattr(component, "holding", "weights")
        assert holding in HOLDINGS, f"holding must be one of {HOLDINGS}, got {holding!r}"
        if holding != "shares":
            return
        frame = members(view)
        result = weighting.index_shares(view, frame)
        shares, state = contracts.split_state(
            resolved(component), result, "index_shares", frame, "in the kit"
        )
        shares = contracts.check_shares(resolved(component), shares, frame, "in the conformance kit")
        value = shares * view.close(frame.index)
        weights, _ = contracts.split_state(
            resolved(component), weighting.weigh(view, frame), "weight", frame, "in the kit"
        )
        assert (weights - value / value.sum()).abs().max() <= 1e-12, "weights are not index shares x close"
        # Its state comes back at the next review (here an additions review) and is honoured.
        later = frame.assign(review="additions")
        for column in state.columns:
            later[f"previous_{column}"] = state[column]
        again, _ = contracts.split_state(
            resolved(component),
            weighting.index_shares(view, later),
            "index_shares",
            later,
            "at a second review",
        )
        contracts.check_shares(resolved(component), again, later, "at a second review")


class CappingContract(_Contract):
    def test_capped_weights_follow_the_contract(self, component: Component, view: MarketView) -> None:
        frame = members(view)
        cap = view.float_market_cap(frame.index)
        weights = cap / cap.sum()
        capped = component.cap(view, frame, weights)  # type: ignore[attr-defined]
        contracts.check_weights(resolved(component), capped, frame, "in the conformance kit")


class _OneBucket(Bucketing):
    """The kit's family bucketing for replacement contracts: the largest ``count``
    companies in bucket ``all``, filled between reviews with the next largest."""

    count = 60

    def bucket_names(self) -> tuple[str, ...]:
        return ("all",)

    def assign(self, view: MarketView, ranked: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
        chosen = ranked.iloc[: self.count]
        return pd.DataFrame({"security_id": chosen.index, "bucket": "all", "fraction": 1.0})

    def fill(self, view: MarketView, ranked: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
        others = ranked[~ranked.index.isin(previous["security_id"])]
        places = self.count - len(previous)
        added = pd.DataFrame({"security_id": others.index[:places], "bucket": "all", "fraction": 1.0})
        return pd.concat([previous, added], ignore_index=True)


class ReplacementContract(_Contract):
    def test_replacements_follow_the_contract(self, component: Component, view: MarketView) -> None:
        bucketing = _OneBucket()
        frame = ranked(view)
        family = bucketing.assign(view, frame, frame.iloc[0:0])
        vacated = family.iloc[[3, 17, 41]]
        current = family[~family["security_id"].isin(vacated["security_id"])].reset_index(drop=True)
        frame["incumbent"] = frame.index.isin(family["security_id"])
        candidates = frame[~frame.index.isin(vacated["security_id"])]
        placed = component.replace(view, candidates, current, vacated, bucketing)  # type: ignore[attr-defined]
        checked = contracts.check_buckets(
            resolved(component), placed, candidates, ("all",), "in the conformance kit"
        )
        assert set(current["security_id"]) <= set(checked["security_id"]), "a member was dropped"
        assert not set(vacated["security_id"]) & set(checked["security_id"]), "a security that left came back"
        added = checked[~checked["security_id"].isin(current["security_id"])]
        assert added["security_id"].map(candidates["incumbent"]).eq(False).all()
        fills = getattr(component, "fills", True)
        assert fills or added.empty, "a policy with fills = False must not add"
        again = component.replace(view, candidates, current, vacated, bucketing)  # type: ignore[attr-defined]
        pd.testing.assert_frame_equal(again.reset_index(drop=True), placed.reset_index(drop=True))


class MarketSourceContract:
    """The contract of a market source: override ``source`` (an instance) and
    ``location`` (a folder or name it reads). It must be a frozen attrs class with
    documented params that round-trip, read the required tables, give tables that validate
    into a :class:`Market`, date every share and fundamental value (point in time) and
    read the same market twice."""

    @pytest.fixture
    def source(self) -> MarketSource:
        raise NotImplementedError("override the 'source' fixture with an instance of your market source")

    @pytest.fixture
    def location(self) -> Path:
        raise NotImplementedError("override the 'location' fixture with a folder your source reads")

    @pytest.fixture
    def calendar(self) -> str:
        return "XNYS"

    def test_is_a_frozen_attrs_class_with_documented_params(self, source: MarketSource) -> None:
        _Contract.test_is_a_frozen_attrs_class_with_documented_params(self, source)  # type: ignore[arg-type]
        _Contract.test_params_round_trip_through_a_definition(self, source)  # type: ignore[arg-type]

    def test_reads_tables_that_validate(self, source: MarketSource, location: Path, calendar: str) -> None:
        tables = source.read(Path(location), get_calendar(calendar))
        assert isinstance(tables, SourceTables)
        for table in REQUIRED_TABLES:
            assert table in tables.frames, f"the source gave no {table} table"
        market = Market.from_frames(tables.frames, calendar=calendar, file_names=tables.file_names)
        assert len(market.securities) > 0 and len(market.sessions) > 0

    def test_every_value_is_dated_point_in_time(
        self, source: MarketSource, location: Path, calendar: str
    ) -> None:
        frames = source.read(Path(location), get_calendar(calendar)).frames
        assert frames["shares"]["date"].notna().all(), "every share row needs the date it holds from"
        if "fundamentals" in frames and len(frames["fundamentals"]):
            reports = frames["fundamentals"]
            assert reports["available_date"].notna().all(), "every report needs its known-on date"
            known = pd.to_datetime(reports["available_date"]) >= pd.to_datetime(reports["period_end"])
            assert known.all(), "a report cannot be known before its period ends"

    def test_reads_the_same_market_twice(self, source: MarketSource, location: Path, calendar: str) -> None:
        first = source.open(location, calendar=calendar)
        again = source.open(location, calendar=calendar)
        assert first.fingerprint() == again.fingerprint()
