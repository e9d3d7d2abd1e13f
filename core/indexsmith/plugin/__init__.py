"""Plugins: the pluggy manager (built-ins, entry points, switches) and the registry of
named components and presets it builds."""

from __future__ import annotations

from indexsmith.plugin.manager import (
    AUTOLOAD_ENV,
    DEFAULT_PLUGINS,
    ENTRY_POINT_GROUP,
    HOOKS,
    Plugins,
    hookimpl,
)
from indexsmith.plugin.registry import (
    DISABLE_ENV,
    RUNNER_HOOK,
    RUNNER_KIND,
    SOURCE_HOOK,
    SOURCE_KIND,
    ComponentEntry,
    PluginInfo,
    PresetEntry,
    Registry,
)

__all__ = [
    "AUTOLOAD_ENV",
    "DEFAULT_PLUGINS",
    "DISABLE_ENV",
    "ENTRY_POINT_GROUP",
    "HOOKS",
    "RUNNER_HOOK",
    "RUNNER_KIND",
    "SOURCE_HOOK",
    "SOURCE_KIND",
    "ComponentEntry",
    "PluginInfo",
    "Plugins",
    "PresetEntry",
    "Registry",
    "hookimpl",
]
