"""indexsmith: define, build and analyse stock-market indices from pluggable methodology rules.

The public API. Built-in and third-party methodology plugins import only what is named
here (and the submodules documented as public: ``hookspecs``, ``components``,
``calendars``, ``market``, ``errors``).
"""

from __future__ import annotations

import datetime as dt
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

try:
    __version__ = version("indexsmith")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

from indexsmith.calendars import TradingCalendar, get_calendar, nth_weekday_date
from indexsmith.components import (
    Bucketing,
    Capping,
    Component,
    Ranking,
    Schedule,
    Screen,
    Weighting,
)
from indexsmith.definition import (
    FamilyDefinition,
    IndexDefinition,
    IndexSpec,
    Methodology,
    ScreenUse,
    Use,
)
from indexsmith.definition import load as load_definition
from indexsmith.errors import (
    ComponentError,
    DataError,
    DefinitionError,
    IndexsmithError,
    OutputError,
    PluginError,
    PointInTimeError,
)
from indexsmith.market import Market, MarketView, load_market
from indexsmith.plugins import DEFAULT_PLUGINS, Plugins, hookimpl
from indexsmith.result import BuildResult, IndexResult

__all__ = [
    "DEFAULT_PLUGINS",
    "Bucketing",
    "BuildResult",
    "Capping",
    "Component",
    "ComponentError",
    "DataError",
    "DefinitionError",
    "FamilyDefinition",
    "IndexDefinition",
    "IndexResult",
    "IndexSpec",
    "IndexsmithError",
    "Market",
    "MarketView",
    "Methodology",
    "OutputError",
    "PluginError",
    "Plugins",
    "PointInTimeError",
    "Ranking",
    "Schedule",
    "Screen",
    "ScreenUse",
    "TradingCalendar",
    "Use",
    "Weighting",
    "__version__",
    "build",
    "get_calendar",
    "hookimpl",
    "load_definition",
    "load_market",
    "nth_weekday_date",
]


def build(
    definition: str | Path | dict[str, Any] | FamilyDefinition | IndexDefinition | Methodology,
    market: Market | str | Path,
    *,
    plugins: Plugins | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    progress: Any = None,
    calculate: bool = True,
) -> BuildResult:
    """Build every index of a definition on a market.

    ``definition`` is a file path, a preset id, a mapping, a definition object or an
    already resolved :class:`Methodology`; ``market`` a :class:`Market` or a market-data
    directory. Returns a :class:`BuildResult`; nothing is written until you call
    ``result.write(out)``. With ``calculate`` (the default) every index also gets its
    daily levels, turnover and trades (:mod:`indexsmith.calculate`).
    """
    from indexsmith import engine, result

    methodology = definition if isinstance(definition, Methodology) else load_definition(definition, plugins)
    if not isinstance(market, Market):
        market = load_market(market, calendar=methodology.definition.calendar)
    reviews = engine.run(methodology, market, start=start, end=end, progress=progress)
    return result.assemble(methodology, market, reviews, calculate_levels=calculate)
