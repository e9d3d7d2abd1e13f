"""The component registry: every name a plugin registered, with where it came from.

:class:`Registry` is built once per plugin manager by calling each registration hook per
plugin (keywords only), so every entry records the plugin, distribution and version that
provided it. Lookups give a did-you-mean and the names available; a name registered twice
for one stage is an error naming both providers. Nothing is renamed or overridden
silently.
"""

from __future__ import annotations

import difflib
import re
import typing
from collections.abc import Callable, Iterable, Sequence
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import attrs

from indexsmith.components import STAGE_BASES, STAGES, Component
from indexsmith.data.sources import MarketSource
from indexsmith.errors import PluginError, UnknownComponent

DISABLE_ENV = "INDEXSMITH_DISABLE_PLUGINS"
_NAME_RE = re.compile(r"^[a-z0-9]+(?:[-.][a-z0-9]+)*$")


@attrs.frozen
class PluginInfo:
    """Where a plugin comes from."""

    name: str
    distribution: str | None
    version: str | None
    builtin: bool = False

    def label(self) -> str:
        """``'name' (dist version)`` for messages."""
        if self.distribution:
            return f"'{self.name}' ({self.distribution} {self.version})"
        return f"'{self.name}' (registered from Python code)"

    def provider(self) -> str:
        """The distribution and version, or the plugin name when there is none."""
        if self.distribution:
            return f"{self.distribution} {self.version}"
        return f"plugin '{self.name}'"


@attrs.frozen
class ComponentEntry:
    """A component class registered under a name for one stage."""

    kind: str
    name: str
    cls: type[Component]
    plugin: PluginInfo
    aliases: tuple[str, ...] = ()

    def provenance(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "class": f"{self.cls.__module__}.{self.cls.__qualname__}",
            "plugin": self.plugin.name,
            "distribution": self.plugin.distribution,
            "version": self.plugin.version,
        }


@attrs.frozen
class PresetEntry:
    """A definition file shipped by a plugin under a preset id."""

    name: str
    source: Traversable | Path
    plugin: PluginInfo

    def read_text(self) -> str:
        return self.source.read_text(encoding="utf-8")


#: The hook that registers presets (definition files), beside the stage hooks.
PRESET_HOOK = "indexsmith_register_presets"
#: The hook that registers market sources, and the kind their entries carry.
SOURCE_HOOK = "indexsmith_register_market_sources"
SOURCE_KIND = MarketSource.kind
#: The hook that registers runners (what runs many builds: processes, a cluster), and the
#: kind their entries carry.
RUNNER_HOOK = "indexsmith_register_runners"
RUNNER_KIND = "runner"


class Registry:
    """Stage -> name (and alias) -> entry, preset id -> entry, and market-source name
    (and alias) -> entry (under the kind ``market-source``).

    ``hooks(hook_name)`` yields ``(plugin info, caller)`` pairs, one per plugin that
    implements the hook, in registration order (built-ins first, so errors name the earlier
    provider first); ``caller(register=...)`` calls that plugin's implementation only.
    """

    def __init__(self, hooks: Callable[[str], Iterable[tuple[PluginInfo, Callable[..., Any]]]]) -> None:
        self.components: dict[str, dict[str, ComponentEntry]] = {stage.kind: {} for stage in STAGES}
        self.presets: dict[str, PresetEntry] = {}
        self.sources: dict[str, ComponentEntry] = {}
        self.runners: dict[str, ComponentEntry] = {}
        for stage in STAGES:
            for info, caller in hooks(stage.hook):
                caller(register=self._registrar(stage.kind, info))
        for info, caller in hooks(PRESET_HOOK):
            caller(register=self._preset_registrar(info))
        for info, caller in hooks(SOURCE_HOOK):
            caller(register=self._registrar(SOURCE_KIND, info))
        for info, caller in hooks(RUNNER_HOOK):
            caller(register=self._runner_registrar(info))

    def _registrar(self, kind: str, info: PluginInfo) -> Callable[..., None]:
        base = STAGE_BASES.get(kind, MarketSource)
        table = self.components.get(kind, self.sources)

        def register(name: str, cls: type[Component], *, aliases: Sequence[str] = ()) -> None:
            if not (isinstance(cls, type) and issubclass(cls, base)):
                raise PluginError(
                    f"plugin {info.label()} registered {kind} '{name}' as {cls!r}, which is "
                    f"not a subclass of indexsmith.{base.__name__}"
                )
            if not attrs.has(cls):
                raise PluginError(
                    f"plugin {info.label()} registered {kind} '{name}' as "
                    f"{cls.__qualname__}, which is not an attrs class; decorate it with "
                    f"@attrs.frozen(kw_only=True)"
                )
            entry = ComponentEntry(kind, name, typing.cast(type[Component], cls), info, tuple(aliases))
            for key in (name, *aliases):
                _check_name(info, kind, key)
                if key in table:
                    first = table[key].plugin
                    raise PluginError(
                        f"{kind} name '{key}' is registered twice: by plugin {first.label()} "
                        f"and by plugin {info.label()} — uninstall one, or disable it with "
                        f"{DISABLE_ENV}"
                    )
                table[key] = entry

        return register

    def _runner_registrar(self, info: PluginInfo) -> Callable[..., None]:
        def register(name: str, cls: type, *, aliases: Sequence[str] = ()) -> None:
            if not (isinstance(cls, type) and callable(getattr(cls, "map", None))):
                raise PluginError(
                    f"plugin {info.label()} registered runner '{name}' as {cls!r}, which is not a "
                    "class with a map(function, tasks) method (subclass indexsmith.runners.Runner)"
                )
            entry = ComponentEntry(RUNNER_KIND, name, typing.cast(type[Component], cls), info, tuple(aliases))
            for key in (name, *aliases):
                _check_name(info, RUNNER_KIND, key)
                if key in self.runners:
                    raise PluginError(
                        f"runner name '{key}' is registered twice: by plugin {self.runners[key].plugin.label()} "
                        f"and by plugin {info.label()} — uninstall one, or disable it with {DISABLE_ENV}"
                    )
                self.runners[key] = entry

        return register

    def _preset_registrar(self, info: PluginInfo) -> Callable[..., None]:
        def register(name: str, source: Traversable | Path) -> None:
            _check_name(info, "preset", name)
            if name in self.presets:
                first = self.presets[name].plugin
                raise PluginError(
                    f"preset '{name}' is registered twice: by plugin {first.label()} and by plugin "
                    f"{info.label()} — uninstall one, or disable it with {DISABLE_ENV}"
                )
            self.presets[name] = PresetEntry(name, source, info)

        return register

    def lookup(self, kind: str, name: str, skipped: Sequence[PluginInfo] = ()) -> ComponentEntry:
        """The entry registered as ``name`` for stage ``kind``.

        Raises :class:`~indexsmith.errors.UnknownComponent` with a did-you-mean and the
        available names (and the plugins disabled, which may be where the name went).
        """
        table = {SOURCE_KIND: self.sources, RUNNER_KIND: self.runners}.get(kind) or self.components.get(
            kind, {}
        )
        if name in table:
            return table[name]
        close = difflib.get_close_matches(name, list(table), n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'? " if close else ""
        hint += f"Available: {self.available(kind) or 'none'}"
        if kind == SOURCE_KIND:
            hint += " (list them with 'indexsmith market sources')"
        if skipped:
            names = ", ".join(info.label() for info in skipped)
            hint += f"; disabled by {DISABLE_ENV}: {names}"
        raise UnknownComponent(f"no {kind} named '{name}'", hint)

    def available(self, kind: str) -> str:
        """``cap, equal (indexsmith 0.1.0); sqrt-cap (indexsmith-demo 0.1.0)``."""
        by_provider: dict[str, list[str]] = {}
        for entry in self.entries(kind):
            by_provider.setdefault(entry.plugin.provider(), []).append(entry.name)
        return "; ".join(
            f"{', '.join(sorted(names))} ({provider})" for provider, names in sorted(by_provider.items())
        )

    def entries(self, kind: str | None = None) -> list[ComponentEntry]:
        """Unique entries (aliases folded), sorted by stage then name."""
        order = [stage.kind for stage in STAGES]
        if kind in (SOURCE_KIND, RUNNER_KIND):
            table = self.sources if kind == SOURCE_KIND else self.runners
            return sorted({e.name: e for e in table.values()}.values(), key=lambda e: e.name)
        kinds = [kind] if kind else order
        seen: dict[tuple[str, str], ComponentEntry] = {}
        for k in kinds:
            for entry in self.components[k].values():
                seen[(k, entry.name)] = entry
        return [seen[key] for key in sorted(seen, key=lambda kn: (order.index(kn[0]), kn[1]))]


def _check_name(info: PluginInfo, kind: str, key: str) -> None:
    if not _NAME_RE.match(key):
        raise PluginError(
            f"plugin {info.label()} registered {kind} name '{key}'; names are "
            f"lower-case words joined by '-' (e.g. 'float-cap')"
        )
