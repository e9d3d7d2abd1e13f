"""Shared fixtures: a fresh plugin manager per test, the small demo market, and a
factory for tiny hand-made markets whose numbers the tests can state exactly."""

from __future__ import annotations

import os

import pandas as pd
import pytest
from indexsmith import Market, Plugins
from indexsmith.demo import generate

from tests.support import tiny_frames


@pytest.fixture
def plugins(monkeypatch: pytest.MonkeyPatch) -> Plugins:
    """Built-ins only: installed third-party plugins never leak into a test."""
    monkeypatch.delenv("INDEXSMITH_DISABLE_PLUGINS", raising=False)
    return Plugins(autoload=False)


@pytest.fixture(scope="session")
def demo_tables() -> dict[str, pd.DataFrame]:
    return generate("small")


@pytest.fixture(scope="session")
def demo(demo_tables: dict[str, pd.DataFrame]) -> Market:
    return Market.from_frames(demo_tables, source="demo-small")


@pytest.fixture(scope="session")
def full_market() -> Market:
    """The full demo market, through the cache as users get it (~40 s the first time)."""
    from indexsmith.demo import demo_market

    return demo_market("full")


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Session-wide, so that session fixtures (the full demo market) use it too. CI sets
    INDEXSMITH_CACHE_DIR itself; otherwise the user's cache is never touched."""
    if "INDEXSMITH_CACHE_DIR" in os.environ:
        yield
        return
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("INDEXSMITH_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))
        yield


@pytest.fixture
def tiny():
    """``tiny(closes, **options)`` -> a validated :class:`Market` (see ``tiny_frames``)."""

    def make(closes: dict[str, list[float]], **options) -> Market:  # type: ignore[no-untyped-def]
        return Market.from_frames(tiny_frames(closes, **options), source="tiny")

    return make
