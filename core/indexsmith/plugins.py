"""Plugin manager and component registry.

Built-in methodologies (``DEFAULT_PLUGINS``) and third-party plugins found in the
``indexsmith`` entry-point group are registered through the same call. Each registration
hook is then called once per plugin (keywords only, from :meth:`Plugins._collect`), so
that every component is recorded with the plugin, distribution and version that provided
it. A :class:`Plugins` object is plain state passed to a build: nothing here is global.

Environment switches:

* ``INDEXSMITH_DISABLE_PLUGINS=name1,name2`` skips plugins by plugin name or
  distribution name (built-ins included).
* ``INDEXSMITH_DISABLE_PLUGIN_AUTOLOAD=1`` skips entry-point discovery altogether.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.metadata
import os
import re
import typing
from collections.abc import Callable, Iterable, Sequence
from types import ModuleType
from typing import Any

import attrs
import pluggy

from indexsmith import hookspecs
from indexsmith.components import STAGE_BASES, Component
from indexsmith.errors import PluginError

ENTRY_POINT_GROUP = "indexsmith"
DISABLE_ENV = "INDEXSMITH_DISABLE_PLUGINS"
AUTOLOAD_ENV = "INDEXSMITH_DISABLE_PLUGIN_AUTOLOAD"

DEFAULT_PLUGINS: tuple[str, ...] = (
    "indexsmith_plugins.schedules",
    "indexsmith_plugins.screens",
    "indexsmith_plugins.rankings",
    "indexsmith_plugins.bucketings",
    "indexsmith_plugins.weightings",
    "indexsmith_plugins.cappings",
)

#: Stage -> registration hook name.
HOOKS: dict[str, str] = {
    "schedule": "indexsmith_register_schedules",
    "screen": "indexsmith_register_screens",
    "ranking": "indexsmith_register_rankings",
    "bucketing": "indexsmith_register_bucketings",
    "weighting": "indexsmith_register_weightings",
    "capping": "indexsmith_register_cappings",
}

hookimpl = pluggy.HookimplMarker("indexsmith")

_NAME_RE = re.compile(r"^[a-z0-9]+(?:[-.][a-z0-9]+)*$")


def _indexsmith_version() -> str:
    from indexsmith import __version__

    return __version__


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


class UnknownComponent(LookupError):
    """Raised by :meth:`Plugins.lookup`: ``message`` says what is missing, ``hint`` the
    did-you-mean and the available names."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(f"{message} — {hint}")
        self.message = message
        self.hint = hint


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
        self._registry: dict[str, dict[str, ComponentEntry]] | None = None
        self._script_count = 0
        if builtins:
            for module_name in DEFAULT_PLUGINS:
                info = PluginInfo(module_name, "indexsmith", _indexsmith_version(), True)
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
        """Register one component class from Python code, without packaging a plugin."""
        if kind not in HOOKS:
            raise PluginError(f"unknown stage '{kind}'; use one of {', '.join(HOOKS)}")
        hook_name = HOOKS[kind]

        def register_hook(register: Callable[..., None]) -> None:
            register(name, cls, aliases=tuple(aliases))

        register_hook.__name__ = hook_name
        holder = type(f"ScriptPlugin_{name}", (), {hook_name: staticmethod(hookimpl(register_hook))})
        self._script_count += 1
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
                f"{', '.join(HOOKS.values())}"
            ) from exc

    # -- the registry --------------------------------------------------------------------

    @property
    def registry(self) -> dict[str, dict[str, ComponentEntry]]:
        """Stage -> name (and alias) -> entry, built on first use."""
        if self._registry is None:
            self._registry = self._collect()
        return self._registry

    def _collect(self) -> dict[str, dict[str, ComponentEntry]]:
        registry: dict[str, dict[str, ComponentEntry]] = {kind: {} for kind in HOOKS}
        for kind, hook_name in HOOKS.items():
            hook = getattr(self.pm.hook, hook_name)
            # Registration order (built-ins first), so errors name the earlier provider first.
            impls = hook.get_hookimpls()
            for impl in impls:
                info = self.info[impl.plugin_name]
                others = [i.plugin for i in impls if i is not impl]
                caller = self.pm.subset_hook_caller(hook_name, remove_plugins=others)
                caller(register=self._registrar(kind, info, registry[kind]))
        return registry

    def _registrar(
        self, kind: str, info: PluginInfo, table: dict[str, ComponentEntry]
    ) -> Callable[..., None]:
        base = STAGE_BASES[kind]

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
                if not _NAME_RE.match(key):
                    raise PluginError(
                        f"plugin {info.label()} registered {kind} name '{key}'; names are "
                        f"lower-case words joined by '-' (e.g. 'float-cap')"
                    )
                if key in table:
                    first = table[key].plugin
                    raise PluginError(
                        f"{kind} name '{key}' is registered twice: by plugin {first.label()} "
                        f"and by plugin {info.label()} — uninstall one, or disable it with "
                        f"{DISABLE_ENV}"
                    )
                table[key] = entry

        return register

    def lookup(self, kind: str, name: str) -> ComponentEntry:
        """The entry registered as ``name`` for stage ``kind``.

        Raises :class:`UnknownComponent` with a did-you-mean and the available names.
        """
        table = self.registry.get(kind, {})
        if name in table:
            return table[name]
        close = difflib.get_close_matches(name, list(table), n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'? " if close else ""
        hint += f"Available: {self.available(kind) or 'none'}"
        if self.skipped:
            names = ", ".join(info.label() for info in self.skipped)
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
        kinds = [kind] if kind else list(HOOKS)
        seen: dict[tuple[str, str], ComponentEntry] = {}
        for k in kinds:
            for entry in self.registry[k].values():
                seen[(k, entry.name)] = entry
        return [seen[key] for key in sorted(seen, key=lambda kn: (list(HOOKS).index(kn[0]), kn[1]))]

    def describe(self) -> list[dict[str, Any]]:
        """Every plugin with its distribution, version and component names per stage."""
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
                }
            )
        return out
