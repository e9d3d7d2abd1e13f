"""Every built-in component passes the conformance kit (indexsmith.testing) that plugin
authors use."""

from __future__ import annotations

from typing import Any

import pytest
from indexsmith import Plugins
from indexsmith.definition import structure_params
from indexsmith.testing import (
    BucketingContract,
    CappingContract,
    RankingContract,
    ReplacementContract,
    ScheduleContract,
    ScreenContract,
    WeightingContract,
)

from tests.support import FIXTURES

MEMBERS = FIXTURES / "small-membership.csv"

#: Parameters for each built-in (stage -> name -> params): every built-in must be here.
BUILT_INS: dict[str, dict[str, dict[str, Any]]] = {
    "schedule": {
        "monthly": {},
        "nth-weekday": {"reconstitution_months": [12]},
        "russell-annual": {"ipo_additions_from": "2004-09-17"},
        "on-membership-change": {"file": str(MEMBERS)},
    },
    "screen": {
        "cap-range-table": {
            "ranges": [{"start": "2019-01-01", "min_cap": 1e9}],
            "min_float_cap_fraction": 0.5,
        },
        "domicile": {},
        "exchanges": {"exclude": ["OTC"]},
        "liquidity": {"min_average_volume": 10_000},
        "min-float": {"min_float": 0.05, "exclusive": True},
        "min-market-cap": {"min_cap": 1e8},
        "min-price": {"min_price": 1.0, "incumbent_average_sessions": 30},
        "profitability": {},
        "seasoning": {"min_sessions": 252},
        "sectors": {"exclude": ["Financials"]},
        "security-list": {"exclude": ["S000001"]},
        "security-types": {"include": ["common", "REIT"]},
        "share-class": {},
    },
    "ranking": {"company-market-cap": {}, "float-market-cap": {}, "field": {"field": "book_to_price"}},
    "bucketing": {
        "all": {},
        "committee-list": {"file": str(MEMBERS)},
        "committee-selection": {
            "indices": [
                {"name": "big", "target": 50, "percentiles": [0, 85], "retain_fraction": 0.5},
                {"name": "mid", "target": 80, "percentiles": [85, 95]},
            ],
            "subsets": [{"name": "top", "parent": "big", "target": 10}],
        },
        "count-tiers": {
            "tiers": [{"name": "large", "count": 100}, {"name": "small", "count": 200}],
            "bands": [{"rank": 100, "width": 2.5}],
        },
        "cumulative-bands": {
            "segments": [
                {"name": "large", "upper": 70},
                {"name": "mid", "upper": 90},
                {"name": "small", "upper": 100},
            ],
            "bands": [{"at": 70, "low": 65, "high": 75}],
        },
        "top-with-buffer": {"count": 50, "buffer_rank": 60, "max_per_sector": 8},
    },
    "weighting": {"cap": {}, "equal": {}, "float-cap": {}, "price": {}, "style": {"style": "growth"}},
    "capping": {"sector": {"max_weight": 0.4}, "single-name": {"max_weight": 0.05}, "two-level": {}},
    "replacement": {"none": {}, "next-ranked": {}, "bucketing-rules": {}},
}


def instance(kind: str, name: str) -> Any:
    entry = Plugins(autoload=False).lookup(kind, name)
    component, problems = structure_params(entry.cls, BUILT_INS[kind][name], f"{kind}.{name}")
    assert not problems, problems
    return component


def test_every_built_in_is_covered() -> None:
    registered = {(e.kind, e.name) for e in Plugins(autoload=False).entries()}
    covered = {(kind, name) for kind, names in BUILT_INS.items() for name in names}
    assert registered == covered


def params(kind: str) -> Any:
    return pytest.fixture(params=sorted(BUILT_INS[kind]))(lambda self, request: instance(kind, request.param))


class TestSchedules(ScheduleContract):
    component = params("schedule")


class TestScreens(ScreenContract):
    component = params("screen")


class TestRankings(RankingContract):
    component = params("ranking")


class TestBucketings(BucketingContract):
    component = params("bucketing")


class TestWeightings(WeightingContract):
    component = params("weighting")


class TestCappings(CappingContract):
    component = params("capping")


class TestReplacements(ReplacementContract):
    component = params("replacement")
