"""The plugin manager: built-ins and installed plugins, registered through one call.

Built-in methodologies (:data:`DEFAULT_PLUGINS`) and third-party plugins found in the
``indexsmith`` entry-point group are registered the same way; each registration hook is
then called once per plugin, keywords only, from :class:`~indexsmith.plugin.registry.Registry`,
so every component is recorded with the plugin, distribution and version that provided it.
A :class:`Plugins` object is plain state passed to a build: nothing here is global.

Environment switches:

* ``INDEXSMITH_DISABLE_PLUGINS=name1,name2`` skips plugins by plugin name or
  distribution name (built-ins included).
* ``INDEXSMITH_DISABLE_PLUGIN_AUTOLOAD=1`` skips entry-point discovery altogether.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from types import ModuleType
from typing import Any

import pluggy

from indexsmith import hookspecs
from indexsmith.components import STAGES, Component
from indexsmith.errors import PluginError
from indexsmith.plugin.registry import (
    DISABLE_ENV,
    PRESET_HOOK,
    RUNNER_HOOK,
    RUNNER_KIND,
    SOURCE_HOOK,
    SOURCE_KIND,
    ComponentEntry,
    PluginInfo,
    PresetEntry,
    Registry,
)
from indexsmith.version import __version__

ENTRY_POINT_GROUP = "indexsmith"
AUTOLOAD_ENV = "INDEXSMITH_DISABLE_PLUGIN_AUTOLOAD"

DEFAULT_PLUGINS: tuple[str, ...] = (
    "indexsmith_plugins.schedules",
    "indexsmith_plugins.screens",
    "indexsmith_plugins.rankings",
    "indexsmith_plugins.bucketings",
    "indexsmith_plugins.committee",
    "indexsmith_plugins.weightings",
    "indexsmith_plugins.cappings",
    "indexsmith_plugins.replacements",
    "indexsmith_plugins.presets",
    "indexsmith_plugins.sources.basic",
    "indexsmith_plugins.sources.panel",
    "indexsmith_plugins.sources.yahoo",
    "indexsmith_plugins.sources.crsp",
    "indexsmith_plugins.runners",
    "indexsmith_plugins.dask_runner",
)

#: Stage -> registration hook name.
HOOKS: dict[str, str] = {stage.kind: stage.hook for stage in STAGES}

hookimpl = pluggy.HookimplMarker("indexsmith")


class Plugins:
    """A plugin manager with the component registry built from it.

    >>> plugins = Plugins()               # built-ins + installed plugins
    >>> plugins.add("weighting", "sqrt-cap", SqrtCap)   # from a script  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        builtins: bool = True,
        autoload: bool | None = None,
        disabled: Iterable[str] | None = None,
    ) -> None:
        self.pm = pluggy.PluginManager("indexsmith")
        self.pm.add_hookspecs(hookspecs)
        if disabled is None:
            disabled = [n for n in os.environ.get(DISABLE_ENV, "").split(",") if n.strip()]
        self.disabled = frozenset(n.strip() for n in disabled)
        if autoload is None:
            autoload = os.environ.get(AUTOLOAD_ENV, "") in ("", "0", "false", "no")
        self.autoload = autoload
        self.info: dict[str, PluginInfo] = {}
        self.skipped: list[PluginInfo] = []
        self._registry: Registry | None = None
        if builtins:
            for module_name in DEFAULT_PLUGINS:
                info = PluginInfo(module_name, "indexsmith", __version__, True)
                if self._is_disabled(info):
                    self.skipped.append(info)
                    continue
                self.register(importlib.import_module(module_name), info=info)
        if autoload:
            self._load_entry_points()
        self.check_pending()

    # -- registration --------------------------------------------------------------------

    def _is_disabled(self, info: PluginInfo) -> bool:
        return info.name in self.disabled or (info.distribution or "") in self.disabled

    def _load_entry_points(self) -> None:
        entry_points = sorted(
            importlib.metadata.entry_points(group=ENTRY_POINT_GROUP),
            key=lambda ep: (ep.name, ep.value),
        )
        for ep in entry_points:
            dist = ep.dist
            info = PluginInfo(
                ep.name,
                dist.name if dist else None,
                dist.version if dist else None,
            )
            if self._is_disabled(info):
                self.skipped.append(info)
                continue
            if self.pm.get_plugin(ep.name) is not None:
                # The same distribution seen twice on sys.path: keep the first.
                continue
            try:
                plugin = ep.load()
            except Exception as exc:
                raise PluginError(
                    f"plugin {info.label()} failed to import from entry point "
                    f"'{ep.name} = {ep.value}': {type(exc).__name__}: {exc} — fix or "
                    f"uninstall {info.distribution}, or set {DISABLE_ENV}={ep.name}"
                ) from exc
            self.register(plugin, info=info)

    def register(
        self, plugin: object, name: str | None = None, *, info: PluginInfo | None = None
    ) -> PluginInfo:
        """Register a plugin object (a module or an instance with hook implementations).

        ``name`` defaults to the module's name or the object's class name. Plugins
        registered this way (not from an installed distribution) record no distribution.
        """
        if info is None:
            if name is None:
                name = plugin.__name__ if isinstance(plugin, ModuleType) else type(plugin).__name__
            info = PluginInfo(name, None, None)
        if info.name in self.info:
            raise PluginError(
                f"a plugin named '{info.name}' is already registered "
                f"({self.info[info.name].provider()}); pass another name"
            )
        try:
            self.pm.register(plugin, name=info.name)
        except pluggy.PluginValidationError as exc:
            raise PluginError(f"plugin {info.label()} is invalid: {exc}") from exc
        self.info[info.name] = info
        self._registry = None
        return info

    def add(
        self,
        kind: str,
        name: str,
        cls: type[Component],
        *,
        aliases: Sequence[str] = (),
        plugin_name: str | None = None,
    ) -> ComponentEntry:
        """Register one component class (or, with kind ``market-source``, a market
        source) from Python code, without packaging a plugin."""
        hooks = {**HOOKS, SOURCE_KIND: SOURCE_HOOK}
        if kind not in hooks:
            raise PluginError(f"unknown stage '{kind}'; use one of {', '.join(hooks)}")
        hook_name = hooks[kind]

        def register_hook(register: Callable[..., None]) -> None:
            register(name, cls, aliases=tuple(aliases))

        register_hook.__name__ = hook_name
        holder = type(f"ScriptPlugin_{name}", (), {hook_name: staticmethod(hookimpl(register_hook))})
        self.register(holder(), name=plugin_name or f"script:{name}")
        return self.lookup(kind, name)

    def check_pending(self) -> None:
        """Fail on hook implementations that match no hook spec (misspelled hook names)."""
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            plugin_name = self.pm.get_name(exc.plugin) or "?"
            info = self.info.get(plugin_name, PluginInfo(plugin_name, None, None))
            raise PluginError(
                f"plugin {info.label()} implements an unknown hook: {exc} — known hooks: "
                f"{', '.join([*HOOKS.values(), PRESET_HOOK, SOURCE_HOOK, RUNNER_HOOK])}"
            ) from exc

    # -- the registry --------------------------------------------------------------------

    def _hooks(self, hook_name: str) -> Iterator[tuple[PluginInfo, Callable[..., Any]]]:
        hook = getattr(self.pm.hook, hook_name)
        impls = hook.get_hookimpls()
        for impl in impls:
            others = [i.plugin for i in impls if i is not impl]
            yield self.info[impl.plugin_name], self.pm.subset_hook_caller(hook_name, remove_plugins=others)

    @property
    def registry(self) -> Registry:
        """Every registered component and preset, built on first use."""
        if self._registry is None:
            self._registry = Registry(self._hooks)
        return self._registry

    def lookup(self, kind: str, name: str) -> ComponentEntry:
        """The entry registered as ``name`` for stage ``kind`` (see :meth:`Registry.lookup`)."""
        return self.registry.lookup(kind, name, self.skipped)

    def available(self, kind: str) -> str:
        return self.registry.available(kind)

    def entries(self, kind: str | None = None) -> list[ComponentEntry]:
        return self.registry.entries(kind)

    def source(self, name: str) -> ComponentEntry:
        """The market source registered as ``name`` (did-you-mean and the names available
        when there is none)."""
        return self.registry.lookup(SOURCE_KIND, name, self.skipped)

    def sources(self) -> list[ComponentEntry]:
        """Every registered market source, by name."""
        return self.registry.entries(SOURCE_KIND)

    def runner(self, name: str) -> ComponentEntry:
        """The runner registered as ``name`` (did-you-mean and the names available when
        there is none)."""
        return self.registry.lookup(RUNNER_KIND, name, self.skipped)

    def runners(self) -> list[ComponentEntry]:
        """Every registered runner, by name."""
        return self.registry.entries(RUNNER_KIND)

    def presets(self) -> dict[str, PresetEntry]:
        """Preset id -> the definition file a plugin registered under it."""
        return dict(sorted(self.registry.presets.items()))

    def describe(self) -> list[dict[str, Any]]:
        """Every plugin with its distribution, version, component names per stage and presets."""
        out = []
        for name, info in self.info.items():
            provides: dict[str, list[str]] = {}
            for entry in self.entries():
                if entry.plugin.name == name:
                    provides.setdefault(entry.kind, []).append(entry.name)
            out.append(
                {
                    "name": name,
                    "distribution": info.distribution,
                    "version": info.version,
                    "builtin": info.builtin,
                    "components": provides,
                    "sources": [e.name for e in self.sources() if e.plugin.name == name],
                    "runners": [e.name for e in self.runners() if e.plugin.name == name],
                    "presets": [p.name for p in self.presets().values() if p.plugin.name == name],
                }
            )
        return out
