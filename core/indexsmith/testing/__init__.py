"""Conformance kit for component authors: a pytest plugin (opt-in) with fixtures and one
contract class per stage.

Enable it in a test module (``pytest_plugins = ["indexsmith.testing"]``) or with
``pytest -p indexsmith.testing``, then subclass the contract class of your component's
stage and provide a ``component`` fixture::

    from indexsmith.testing import WeightingContract

    class TestSqrtCap(WeightingContract):
        @pytest.fixture
        def component(self):
            return SqrtCap(power=0.5)

Each contract class runs the component on the small demo market (2019-2021, ~450
companies) and checks its output with the same checks the engine applies before the next
stage runs (:mod:`indexsmith.contracts`), plus determinism (same inputs, same output) and
that parameters round-trip through a definition. Every built-in component passes them.

A market source subclasses :class:`MarketSourceContract` and provides ``source`` and
``location`` fixtures (a small folder in its vendor's layout).

Fixtures: ``indexsmith_plugins`` (a fresh plugin manager with the built-ins only),
``small_market`` (the small demo market, generated once per session), ``run_definition``
(build a definition mapping or file on the small market).
"""

from __future__ import annotations

from typing import Any

import pytest

from indexsmith.data.market import Market
from indexsmith.plugin.manager import Plugins
from indexsmith.testing.contracts import (
    REVIEW_DATE,
    BucketingContract,
    CappingContract,
    MarketSourceContract,
    RankingContract,
    ReplacementContract,
    ScheduleContract,
    ScreenContract,
    WeightingContract,
    members,
    ranked,
    resolved,
    universe,
)

__all__ = [
    "REVIEW_DATE",
    "BucketingContract",
    "CappingContract",
    "MarketSourceContract",
    "RankingContract",
    "ReplacementContract",
    "ScheduleContract",
    "ScreenContract",
    "WeightingContract",
    "indexsmith_plugins",
    "members",
    "ranked",
    "resolved",
    "run_definition",
    "small_market",
    "universe",
]


@pytest.fixture
def indexsmith_plugins(monkeypatch: pytest.MonkeyPatch) -> Plugins:
    """A plugin manager with the built-in components only (no installed plugins)."""
    monkeypatch.delenv("INDEXSMITH_DISABLE_PLUGINS", raising=False)
    return Plugins(autoload=False)


@pytest.fixture(scope="session")
def small_market() -> Market:
    """The small demo market (generated in about a second, then cached)."""
    from indexsmith.demo import demo_market

    return demo_market("small")


@pytest.fixture
def run_definition(small_market: Market, indexsmith_plugins: Plugins) -> Any:
    """``run_definition(definition, **build_options)`` -> :class:`indexsmith.BuildResult`
    on the small demo market, with the built-ins and any class registered on
    ``indexsmith_plugins``."""
    from indexsmith.pipeline import build

    def run(definition: Any, **options: Any) -> Any:
        return build(definition, small_market, plugins=indexsmith_plugins, **options)

    return run
