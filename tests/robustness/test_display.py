"""Names a plugin or the user chose are printed as text: a plugin named like console
markup (``x[/y]``) neither crashes a listing nor prints as something else. (Component
and source names are slugs, checked at registration; plugin names are not.)"""

from __future__ import annotations

import pytest
from indexsmith.plugin.manager import Plugins

from tests.robustness.conftest import run

NAME = "x[/y]"


@pytest.fixture
def marked_up(monkeypatch: pytest.MonkeyPatch) -> Plugins:
    manager = Plugins()
    manager.add("market-source", "marked", manager.source("dir").cls, plugin_name=f"[bold]{NAME}")
    manager.add("weighting", "marked", manager.lookup("weighting", "equal").cls, plugin_name=f"[red]w{NAME}")
    for module in ("plugins", "market"):
        monkeypatch.setattr(f"indexsmith.cli.{module}.plugins_manager", lambda: manager)
    return manager


def test_plugins_lists_a_marked_up_name_as_text(marked_up: Plugins) -> None:
    code, out, err = run("plugins")
    assert code == 0, err
    assert f"│ [red]w{NAME} " in out and f"│ [bold]{NAME} " in out


def test_components_list_a_marked_up_name_as_text(marked_up: Plugins) -> None:
    code, out, err = run("components", "--kind", "weighting")
    assert code == 0, err
    assert f"│ [red]w{NAME} " in out


def test_market_sources_list_a_marked_up_name_as_text(marked_up: Plugins) -> None:
    code, out, err = run("market", "sources")
    assert code == 0, err
    assert f"│ [bold]{NAME} " in out
