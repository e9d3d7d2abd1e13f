"""indexsmith: define, build and analyse stock-market indices from pluggable methodology rules.

The public API. Built-in and third-party methodology plugins import only what is named
here and the public submodules listed in :data:`PUBLIC_MODULES`; everything else is
internal and may move between releases.
"""

from __future__ import annotations

from indexsmith.components import (
    Bucketing,
    Capping,
    Component,
    Ranking,
    Replacement,
    Review,
    Schedule,
    Screen,
    Weighting,
)
from indexsmith.data.calendars import TradingCalendar, get_calendar, nth_weekday_date
from indexsmith.data.market import Market
from indexsmith.data.sources import MarketSource, load_market
from indexsmith.data.view import MarketView
from indexsmith.definition.model import (
    FamilyDefinition,
    IndexDefinition,
    IndexSpec,
    Methodology,
    ScreenUse,
    Use,
)
from indexsmith.definition.resolve import load as load_definition
from indexsmith.demo.source import DemoSource
from indexsmith.errors import (
    ComponentError,
    DataError,
    DefinitionError,
    IndexsmithError,
    OutputError,
    PluginError,
    PointInTimeError,
    RunnerError,
)
from indexsmith.hookspecs import Register, RegisterPreset, RegisterRunner
from indexsmith.pipeline import build, open_market
from indexsmith.plugin.manager import DEFAULT_PLUGINS, Plugins, hookimpl
from indexsmith.prediction import BubbleOptions, Preview, preview
from indexsmith.results.model import BuildResult, IndexResult
from indexsmith.runners import Runner
from indexsmith.runners.api import sweep
from indexsmith.version import __version__

#: The submodules plugins may import, besides this package itself (a meta-test holds the
#: built-in plugins to it).
PUBLIC_MODULES = (
    "indexsmith",
    "indexsmith.calendars",
    "indexsmith.components",
    "indexsmith.errors",
    "indexsmith.frames",
    "indexsmith.hookspecs",
    "indexsmith.market",
    "indexsmith.runners",
    "indexsmith.testing",
    "indexsmith.units",
)

__all__ = [
    "DEFAULT_PLUGINS",
    "PUBLIC_MODULES",
    "BubbleOptions",
    "Bucketing",
    "BuildResult",
    "Capping",
    "Component",
    "ComponentError",
    "DataError",
    "DefinitionError",
    "DemoSource",
    "FamilyDefinition",
    "IndexDefinition",
    "IndexResult",
    "IndexSpec",
    "IndexsmithError",
    "Market",
    "MarketSource",
    "MarketView",
    "Methodology",
    "OutputError",
    "PluginError",
    "Plugins",
    "PointInTimeError",
    "Preview",
    "Ranking",
    "Register",
    "RegisterPreset",
    "RegisterRunner",
    "Replacement",
    "Review",
    "Runner",
    "RunnerError",
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
    "open_market",
    "preview",
    "sweep",
]
