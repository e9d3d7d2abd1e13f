"""Resolving a definition: every component name looked up in the plugins' registry and
its params structured against the component's attrs fields, every problem reported at
once (with the parse problems of :mod:`indexsmith.definition.parse`) before any market
data is read.
"""

from __future__ import annotations

import contextvars
import difflib
import os
import typing
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs

from indexsmith.calculation.options import CalculationOptions, MaintenanceOptions
from indexsmith.components import Component
from indexsmith.definition.model import (
    CONVERTER,
    FamilyDefinition,
    IndexDefinition,
    Methodology,
    Resolved,
    ResolvedIndex,
    Use,
    structure_problems,
)
from indexsmith.definition.parse import parse_definition
from indexsmith.definition.presets import read_definition
from indexsmith.errors import DefinitionError, Problem, ProblemsError, UnknownComponent
from indexsmith.plugin.manager import Plugins
from indexsmith.plugin.registry import ComponentEntry

#: The folder of the definition file being resolved: a component field marked
#: ``metadata={"path": True}`` (a membership file, an exclusion list) that holds a relative
#: path is read relative to it, not to the working directory.
_BASE: contextvars.ContextVar[Path | None] = contextvars.ContextVar(
    "indexsmith_definition_base", default=None
)


@contextmanager
def relative_to(folder: str | Path | None) -> Iterator[None]:
    """Resolve file params of the definitions loaded inside against ``folder``."""
    token = _BASE.set(Path(os.path.abspath(folder)) if folder is not None else None)
    try:
        yield
    finally:
        _BASE.reset(token)


#: Folders besides the definition's own that its file params may name (``--allow-path``).
_ALLOWED: contextvars.ContextVar[tuple[Path, ...]] = contextvars.ContextVar(
    "indexsmith_allowed_paths", default=()
)


@contextmanager
def allow_paths(folders: Iterable[str | Path]) -> Iterator[None]:
    """Let the definitions loaded inside name files below ``folders`` too."""
    token = _ALLOWED.set(tuple(Path(os.path.realpath(Path(f).expanduser())) for f in folders))
    try:
        yield
    finally:
        _ALLOWED.reset(token)


def _resolve_path(field: Any, value: Any) -> Any:
    """A relative file param against the definition's folder; a file outside that folder
    (and the ``--allow-path`` folders) is refused, so a definition reads only what its
    user named."""
    base = _BASE.get()
    if not field.metadata.get("path") or base is None or not isinstance(value, str) or not value:
        return value
    given = Path(value).expanduser()
    resolved = given if given.is_absolute() else base / given
    real = Path(os.path.realpath(resolved))
    roots = (Path(os.path.realpath(base)), *_ALLOWED.get())
    if not any(real == root or root in real.parents for root in roots):
        shown = value if len(value) <= 200 else value[:197] + "..."
        raise ValueError(
            f"file {shown!r} is outside the definition's folder {base} — put it beside the definition, "
            f"or allow its folder with --allow-path {real.parent}"
        )
    return str(resolved)


def _data(definition: FamilyDefinition, plugins: Plugins, problems: list[Problem]) -> FamilyDefinition:
    """The definition with its ``[data]`` path resolved against its folder; an unknown
    source, a bad param, a missing folder or one outside the definition's folder (and the
    ``--allow-path`` folders) is a problem at its ``$.data`` path."""
    spec = definition.data
    if spec is None:
        return definition
    try:
        entry = plugins.source(spec.source)
    except UnknownComponent as exc:
        problems.append(Problem(exc.message, "$.data.source", exc.hint))
    else:
        problems.extend(structure_params(entry.cls, spec.params, "$.data.params")[1])
    base = _BASE.get()
    given = Path(spec.path).expanduser()
    resolved = given if given.is_absolute() or base is None else base / given
    if not resolved.exists():
        problems.append(
            Problem(
                f"market data {spec.path!r} does not exist",
                "$.data.path",
                "write the folder of the data, relative to the definition file",
            )
        )
    elif base is not None:
        real = Path(os.path.realpath(resolved))
        roots = (Path(os.path.realpath(base)), *_ALLOWED.get())
        if not any(real == root or root in real.parents for root in roots):
            problems.append(
                Problem(
                    f"market data {spec.path!r} is outside the definition's folder {base}",
                    "$.data.path",
                    f"put it beside the definition, or allow its folder with --allow-path {real.parent}",
                )
            )
    return attrs.evolve(definition, data=attrs.evolve(spec, path=str(resolved)))


def _shared_problems(definition: FamilyDefinition, root: str) -> list[Problem]:
    """What cannot build whatever the data: dates out of order, an unknown calendar, a
    family without indices."""
    import exchange_calendars as xcals

    problems = []
    if definition.start and definition.end and definition.start > definition.end:
        problems.append(
            Problem(
                f"start {definition.start} is after end {definition.end}",
                f"{root}.start",
                "swap them, or leave one out",
            )
        )
    names = xcals.get_calendar_names(include_aliases=True)
    if definition.calendar not in names:
        close = difflib.get_close_matches(definition.calendar, names, n=1)
        problems.append(
            Problem(
                f"no exchange calendar named {definition.calendar[:40]!r}",
                f"{root}.calendar",
                (f"did you mean '{close[0]}'? " if close else "")
                + "use an exchange_calendars code such as XNYS, XLON or XTKS",
            )
        )
    if root == "$.family" and not definition.indices:
        problems.append(
            Problem("a family needs at least one index", f"{root}.index", "add a [[family.index]] table")
        )
    return problems


def structure_params(cls: type[Component], params: Any, path: str) -> tuple[Component | None, list[Problem]]:
    """Build a component from its params, reporting every bad param with its path."""
    if not isinstance(params, Mapping):
        shown = repr(params) if len(repr(params)) <= 60 else repr(params)[:57] + "..."
        return None, [Problem(f"params must be a table, got {shown}", path)]
    attrs_cls = typing.cast(Any, cls)
    attrs.resolve_types(attrs_cls)
    fields = {f.alias or f.name: f for f in attrs.fields(attrs_cls)}
    problems: list[Problem] = []
    for key in params:
        if key not in fields:
            close = difflib.get_close_matches(str(key), list(fields), n=1)
            hint = (f"did you mean '{close[0]}'? " if close else "") + (
                f"Params: {', '.join(fields)}" if fields else "this component takes no params"
            )
            problems.append(Problem(f"unknown param '{key}'", f"{path}.{key}", hint))
    kwargs: dict[str, Any] = {}
    for name, field in fields.items():
        if name not in params:
            if field.default is attrs.NOTHING:
                problems.append(
                    Problem(f"missing required param '{name}'", f"{path}.{name}", _param_help(field))
                )
            continue
        try:
            value = CONVERTER.structure(params[name], field.type)
        except Exception as exc:
            problems.extend(structure_problems(exc, f"{path}.{name}"))
            continue
        if field.validator is not None:
            try:
                field.validator(None, field, value)
            except (ValueError, TypeError) as exc:
                problems.append(Problem(str(exc), f"{path}.{name}", _param_help(field)))
                continue
        try:
            kwargs[name] = _resolve_path(field, value)
        except ValueError as exc:
            problems.append(Problem(str(exc), f"{path}.{name}"))
    if problems:
        return None, problems
    try:
        return cls(**kwargs), []
    except ProblemsError as exc:
        # A component that read a file (a membership list) reports each of its problems.
        return None, [
            Problem(p.message, f"{p.where + ' of ' if p.where else ''}{exc.source}, {path}", p.hint)
            for p in exc.problems
        ]
    except (ValueError, TypeError) as exc:
        return None, [Problem(str(exc), path)]


def lookup_component(
    plugins: Plugins, kind: str, name: str, params: Any, path: str, problems: list[Problem]
) -> tuple[ComponentEntry, Component] | None:
    """The registry entry named ``name`` for stage ``kind`` and a component built from
    ``params``; problems (unknown name at ``path.use``, bad params at ``path.params``) are
    added to ``problems`` and give None."""
    try:
        entry = plugins.lookup(kind, name)
    except UnknownComponent as exc:
        problems.append(Problem(exc.message, f"{path}.use", exc.hint))
        return None
    component, param_problems = structure_params(entry.cls, params, f"{path}.params")
    problems.extend(param_problems)
    return (entry, component) if component is not None else None


def _param_help(field: attrs.Attribute[Any]) -> str:
    return str(field.metadata.get("help", ""))


def unmet_requirements(requires: list[str], root: str = "$") -> list[Problem]:
    """One problem per requirement (PEP 508 string) that the installed distributions do not
    meet: a plugin the definition needs is missing or too old."""
    from importlib import metadata

    from packaging.requirements import InvalidRequirement, Requirement

    problems = []
    for i, text in enumerate(requires):
        where = f"{root}.requires[{i}]"
        try:
            requirement = Requirement(text)
        except InvalidRequirement as exc:
            problems.append(
                Problem(
                    f"requirement {text!r} is not valid: {exc}",
                    where,
                    'write it like "indexsmith-example>=0.1"',
                )
            )
            continue
        try:
            installed = metadata.version(requirement.name)
        except metadata.PackageNotFoundError:
            problems.append(
                Problem(
                    f"the definition requires {text}, which is not installed",
                    where,
                    f"pip install '{text}'",
                )
            )
            continue
        if requirement.specifier and not requirement.specifier.contains(installed, prereleases=True):
            problems.append(
                Problem(
                    f"the definition requires {text}, but {requirement.name} {installed} is installed",
                    where,
                    f"pip install --upgrade '{text}'",
                )
            )
    return problems


def resolve(
    definition: FamilyDefinition | IndexDefinition, plugins: Plugins, source: str | None = None
) -> Methodology:
    """Look up every component and structure its params; raise all problems at once."""
    unmet = unmet_requirements(
        definition.requires, "$.index" if isinstance(definition, IndexDefinition) else "$.family"
    )
    if unmet:
        raise DefinitionError(unmet, source)
    if isinstance(definition, IndexDefinition):
        definition = definition.to_family()
        root = "$.index"
    else:
        root = "$.family"
    problems: list[Problem] = []
    definition = _data(definition, plugins, problems)
    index_path = (lambda i: root) if root == "$.index" else (lambda i: f"{root}.index[{i}]")

    def one(kind: str, use: Use | None, path: str, applies_to: str = "all") -> Resolved | None:
        if use is None:
            return None
        found = lookup_component(plugins, kind, use.use, use.params, path, problems)
        return Resolved(found[0], found[1], applies_to) if found is not None else None

    schedule = one("schedule", definition.schedule, f"{root}.schedule")
    screens = [
        one("screen", s, f"{root}.universe[{i}]", s.applies_to) for i, s in enumerate(definition.universe)
    ]
    ranking = one("ranking", definition.ranking, f"{root}.ranking")
    bucketing = one("bucketing", definition.bucketing, f"{root}.bucketing")
    replacement = one("replacement", definition.replacement or Use(use="none"), f"{root}.replacement")
    maintenance, maintenance_problems = structure_params(
        MaintenanceOptions,  # type: ignore[arg-type]
        definition.maintenance,
        f"{root}.maintenance",
    )
    problems.extend(maintenance_problems)

    available_buckets: tuple[str, ...] | None = None
    if bucketing is not None:
        available_buckets = tuple(bucketing.component.bucket_names())  # type: ignore[attr-defined]
    problems.extend(_shared_problems(definition, root))
    ids_seen: set[str] = set()
    indices = []
    for i, spec in enumerate(definition.indices):
        path = index_path(i)
        if spec.id in ids_seen:
            problems.append(
                Problem(
                    f"index id '{spec.id}' is used twice",
                    f"{path}.id",
                    "give each index of a family its own id",
                )
            )
        ids_seen.add(spec.id)
        weighting = one("weighting", spec.weighting, f"{path}.weighting")
        capping = one("capping", spec.capping, f"{path}.capping")
        buckets: tuple[str, ...] = ()
        if available_buckets is not None:
            if spec.buckets is None:
                buckets = available_buckets
            else:
                buckets = tuple(spec.buckets)
                for j, bucket in enumerate(spec.buckets):
                    if bucket not in available_buckets:
                        close = difflib.get_close_matches(bucket, available_buckets, n=1)
                        hint = (
                            f"did you mean '{close[0]}'? " if close else ""
                        ) + f"it produces: {', '.join(available_buckets)}"
                        problems.append(
                            Problem(
                                f"bucket '{bucket}' is not produced by bucketing '{definition.bucketing.use}'",
                                f"{path}.buckets[{j}]",
                                hint,
                            )
                        )
                if not spec.buckets:
                    problems.append(
                        Problem(
                            "an index must take at least one bucket",
                            f"{path}.buckets",
                            f"choose from: {', '.join(available_buckets)}",
                        )
                    )
        settings = {**definition.calculation, **(spec.calculation or {})}
        if weighting is not None and getattr(weighting.component, "unit_holdings", False):
            settings.setdefault("unit_holdings", True)
        if weighting is not None and getattr(weighting.component, "share_basis", "float") != "float":
            settings.setdefault("share_basis", weighting.component.share_basis)  # type: ignore[attr-defined]
        if (
            weighting is not None
            and getattr(weighting.component, "holding", "weights") == "shares"
            and capping is None
        ):
            settings.setdefault("holding", "shares")
        elif settings.get("holding") == "shares":
            why = (
                "a capping sets weights" if capping is not None else "its weighting sets weights, not shares"
            )
            problems.append(
                Problem(
                    f"holding = 'shares' cannot be used here: {why}",
                    f"{path}.calculation.holding" if spec.calculation else f"{root}.calculation.holding",
                    "leave holding out (the index holds weights at the reference price)",
                )
            )
            settings = {k: v for k, v in settings.items() if k != "holding"}
        calc, calc_problems = structure_params(
            CalculationOptions,  # type: ignore[arg-type]
            settings,
            f"{path}.calculation" if spec.calculation else f"{root}.calculation",
        )
        problems.extend(calc_problems)
        if weighting is not None and calc is not None:
            indices.append(
                ResolvedIndex(spec, buckets, weighting, capping, typing.cast(CalculationOptions, calc))
            )

    if not problems:
        stages = {
            "schedule": schedule,
            "ranking": ranking,
            "bucketing": bucketing,
            "replacement": replacement,
        }
        for i, index in enumerate(indices):
            chosen = {k: v.component for k, v in stages.items() if v is not None}
            chosen["weighting"] = index.weighting.component
            if index.capping:
                chosen["capping"] = index.capping.component
            for stage_name, component in chosen.items():
                reason = component.check_compatible(chosen)
                if reason:
                    problems.append(
                        Problem(
                            reason,
                            f"{index_path(i)}.{stage_name}"
                            if stage_name in ("weighting", "capping")
                            else f"{root}.{stage_name}",
                        )
                    )
    if problems:
        raise DefinitionError(_unique(problems), source)
    assert schedule and ranking and bucketing and replacement
    return Methodology(
        definition=definition,
        schedule=schedule,
        screens=tuple(s for s in screens if s is not None),
        ranking=ranking,
        bucketing=bucketing,
        indices=tuple(indices),
        replacement=replacement,
        maintenance=typing.cast(MaintenanceOptions, maintenance),
        source=source,
        base=str(_BASE.get()) if _BASE.get() is not None else None,
    )


def _unique(problems: list[Problem]) -> list[Problem]:
    """Each problem once; where the structuring pass said only "expected a table" at a path
    that the component pass explains better ("params must be a table, got [1]"), the
    better line alone (one mistake, one line)."""
    seen: dict[Problem, None] = {}
    for problem in problems:
        seen.setdefault(problem, None)
    explained = {p.where for p in seen if p.message != "expected a table"}
    return [p for p in seen if not (p.message == "expected a table" and p.where in explained)]


def load(
    spec: str | Path | Mapping[str, Any] | FamilyDefinition | IndexDefinition, plugins: Plugins | None = None
) -> Methodology:
    """Read (file, preset id, mapping or object), validate and resolve a definition."""
    plugins = plugins if plugins is not None else Plugins()
    if isinstance(spec, (FamilyDefinition, IndexDefinition)):
        return resolve(spec, plugins)
    if isinstance(spec, Mapping):
        raw, source = dict(spec), None
    else:
        raw, source = read_definition(spec, plugins)
        if Path(spec).is_file():  # file params are relative to the definition's folder
            with relative_to(Path(spec).parent):
                return _load_raw(raw, plugins, source)
    return _load_raw(raw, plugins, source)


def _load_raw(raw: dict[str, Any], plugins: Plugins, source: str | None) -> Methodology:
    definition, problems = parse_definition(raw, source)
    if definition is None:
        problems.extend(_resolve_raw(raw, plugins))
        raise DefinitionError(_unique(problems), source)
    return resolve(definition, plugins, source)


def _resolve_raw(raw: Mapping[str, Any], plugins: Plugins) -> list[Problem]:
    """Component problems in a definition whose outer shape is broken, so that one run
    reports both kinds."""
    problems: list[Problem] = []
    root = "index" if "index" in raw else "family"
    body = raw.get(root)
    if not isinstance(body, Mapping):
        return problems

    def check(kind: str, value: Any, path: str) -> None:
        if isinstance(value, Mapping) and isinstance(value.get("use"), str):
            lookup_component(plugins, kind, value["use"], value.get("params", {}), path, problems)

    for kind in ("schedule", "ranking", "bucketing", "replacement"):
        check(kind, body.get(kind), f"$.{root}.{kind}")
    universe = body.get("universe")
    if isinstance(universe, list):
        for i, screen in enumerate(universe):
            check("screen", screen, f"$.{root}.universe[{i}]")
    specs = [body] if root == "index" else body.get("index") or []
    if isinstance(specs, list):
        for i, spec in enumerate(specs):
            if isinstance(spec, Mapping):
                path = f"$.{root}" if root == "index" else f"$.{root}.index[{i}]"
                check("weighting", spec.get("weighting"), f"{path}.weighting")
                check("capping", spec.get("capping"), f"{path}.capping")
    return problems
