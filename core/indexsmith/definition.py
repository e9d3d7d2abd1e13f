"""Index definitions: files (TOML, YAML) and Python objects, validated and resolved.

A definition names one component per stage, each as ``{use = "name", params = {...}}``;
the universe stage is a list of screens. A *family* shares schedule, universe, ranking and
bucketing among several indices that differ in the buckets they take and in their
weighting and capping. A single ``[index]`` is a family of one.

Loading happens in two steps, both before any market data is read:

1. :func:`parse_definition` structures the raw mapping into :class:`FamilyDefinition`
   (unknown keys, missing keys and wrong types are reported with their path).
2. :func:`resolve` looks every component name up in the plugins' registry and structures
   its params against the component's attrs fields.

Every problem found in both steps is reported at once in one :class:`DefinitionError`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import importlib.resources
import tomllib
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import attrs
import cattrs
import yaml

from indexsmith.calculate import CalculationOptions
from indexsmith.components import Component
from indexsmith.errors import DefinitionError, Problem
from indexsmith.plugins import ComponentEntry, Plugins, UnknownComponent

AppliesTo = Literal["all", "additions", "incumbents"]


@attrs.frozen(kw_only=True)
class Use:
    """A component chosen for a stage: its registered name and its parameters."""

    use: str
    params: dict[str, Any] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class ScreenUse(Use):
    """A universe screen; ``applies_to`` separates addition from continued-membership rules.

    ``all``: every security must pass. ``additions``: only securities that were not in the
    family at the previous review must pass (incumbents are exempt). ``incumbents``: only
    incumbents must pass (continued-membership criteria).
    """

    applies_to: AppliesTo = "all"


@attrs.frozen(kw_only=True)
class IndexSpec:
    """One index of a family: the buckets it holds and how it is weighted."""

    id: str
    name: str = ""
    buckets: list[str] | None = None
    weighting: Use
    capping: Use | None = None
    calculation: dict[str, Any] | None = None


@attrs.frozen(kw_only=True)
class _Shared:
    """What the indices of a family share: identity, dates and the first four stages."""

    id: str
    name: str = ""
    description: str = ""
    calendar: str = "XNYS"
    start: dt.date | None = None
    end: dt.date | None = None
    schedule: Use
    universe: list[ScreenUse] = attrs.field(factory=list)
    ranking: Use
    bucketing: Use
    calculation: dict[str, Any] = attrs.field(factory=dict)
    #: Distributions the definition needs, as requirement strings ("indexsmith-example>=0.1").
    requires: list[str] = attrs.field(factory=list)


@attrs.frozen(kw_only=True)
class FamilyDefinition(_Shared):
    """Indices sharing schedule, universe, ranking and bucketing."""

    indices: list[IndexSpec]


@attrs.frozen(kw_only=True)
class IndexDefinition(_Shared):
    """A single index: the shared fields plus its own buckets and weighting."""

    buckets: list[str] | None = None
    weighting: Use
    capping: Use | None = None

    def to_family(self) -> FamilyDefinition:
        shared = {f.name: getattr(self, f.name) for f in attrs.fields(_Shared)}
        spec = IndexSpec(
            id=self.id, name=self.name, buckets=self.buckets, weighting=self.weighting, capping=self.capping
        )
        return FamilyDefinition(**shared, indices=[spec])


# -- structuring -------------------------------------------------------------------------


def _strict(kind: type, accept: tuple[type, ...], label: str) -> Any:
    def hook(value: Any, _: Any) -> Any:
        if isinstance(value, bool) and kind is not bool:
            raise ValueError(f"expected {label}, got {value!r}")
        if not isinstance(value, accept):
            raise ValueError(f"expected {label}, got {value!r}")
        return kind(value)

    return hook


def _date_hook(value: Any, _: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"expected a date (YYYY-MM-DD), got {value!r}")


def make_converter() -> cattrs.Converter:
    """The strict converter used for definitions and component params.

    Numbers are not read from strings and booleans are not numbers: a definition file says
    what it means.
    """
    converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    converter.register_structure_hook(float, _strict(float, (int, float), "a number"))
    converter.register_structure_hook(int, _strict(int, (int,), "an integer"))
    converter.register_structure_hook(str, _strict(str, (str,), "text"))
    converter.register_structure_hook(bool, _strict(bool, (bool,), "true or false"))
    converter.register_structure_hook(dt.date, _date_hook)
    converter.register_unstructure_hook(dt.date, lambda d: d.isoformat())
    return converter


CONVERTER = make_converter()


def _messages(exc: Exception, path: str) -> list[Problem]:
    problems = []
    for line in cattrs.transform_error(exc, path=path, format_exception=_format_exception):
        message, _, where = line.rpartition(" @ ")
        problems.append(Problem(message or line, where))
    return problems


def _format_exception(exc: BaseException, type_: Any) -> str:
    if isinstance(exc, KeyError):
        return "required key missing"
    if isinstance(exc, cattrs.ForbiddenExtraKeysError):
        return f"unknown key{'s' if len(exc.extra_fields) > 1 else ''} {', '.join(sorted(exc.extra_fields))}"
    if isinstance(exc, ValueError) and exc.args:
        return str(exc.args[0])
    name = getattr(type_, "__name__", None) or str(type_)
    return f"invalid value, expected {name}"


# -- parsing files -------------------------------------------------------------------------


def parse_text(text: str, fmt: str, source: str) -> dict[str, Any]:
    """Parse TOML or YAML text; syntax errors name the line and column."""
    if fmt == "toml":
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise DefinitionError(
                [Problem(f"malformed TOML: {exc}", hint="fix the syntax")], source
            ) from None
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise DefinitionError(
            [Problem(f"malformed YAML: {exc.problem}", where, "fix the syntax")], source
        ) from None
    except yaml.YAMLError as exc:
        raise DefinitionError([Problem(f"malformed YAML: {exc}")], source) from None
    if not isinstance(data, dict):
        raise DefinitionError(
            [Problem("a definition must be a mapping with an 'index' or 'family' table")], source
        )
    return data


def read_definition_file(path: str | Path) -> tuple[dict[str, Any], str]:
    """The raw mapping in a definition file, and the name to report it by."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".toml", ".yaml", ".yml"):
        raise DefinitionError(
            [Problem(f"definition file {path} has an unknown extension", hint="use .toml, .yaml or .yml")]
        )
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DefinitionError(
            [
                Problem(
                    f"definition file {path} does not exist",
                    hint="pass a file path or a preset id ('indexsmith presets' lists them)",
                )
            ]
        ) from None
    return parse_text(text, "toml" if suffix == ".toml" else "yaml", path.name), path.name


def _preset_files() -> dict[str, str]:
    """File id -> TOML text of the definitions shipped in ``indexsmith_plugins/presets``."""
    root = importlib.resources.files("indexsmith_plugins") / "presets"
    return {
        p.name.rsplit(".", 1)[0]: p.read_text(encoding="utf-8")
        for p in sorted(root.iterdir(), key=lambda p: p.name)
        if p.name.endswith(".toml")
    }


def preset_catalogue() -> dict[str, tuple[str, str | None]]:
    """Preset id -> (file id, index id). A family file is a preset under its file id (the
    whole family) and each of its indices under the index's own id (that index alone)."""
    catalogue: dict[str, tuple[str, str | None]] = {}
    for file_id, text in _preset_files().items():
        catalogue[file_id] = (file_id, None)
        family = parse_text(text, "toml", f"preset {file_id}").get("family")
        if isinstance(family, dict):
            for index in family.get("index", []):
                if isinstance(index, dict) and index.get("id") and index["id"] != file_id:
                    catalogue[str(index["id"])] = (file_id, str(index["id"]))
    return catalogue


def preset_ids() -> list[str]:
    """Ids of the shipped presets: definition files and the indices inside family files."""
    return sorted(preset_catalogue())


def read_preset(preset_id: str) -> tuple[dict[str, Any], str]:
    """The raw definition of a preset; an index id gives its family with that index only."""
    catalogue = preset_catalogue()
    if preset_id not in catalogue:
        ids = sorted(catalogue)
        close = difflib.get_close_matches(preset_id, ids, n=1)
        hint = (f"did you mean '{close[0]}'? " if close else "") + f"Presets: {', '.join(ids)}"
        raise DefinitionError(
            [Problem(f"'{preset_id}' is neither a definition file nor a preset id", hint=hint)]
        )
    file_id, index_id = catalogue[preset_id]
    source = f"preset {file_id}"
    raw = parse_text(_preset_files()[file_id], "toml", source)
    if index_id is not None:
        raw["family"]["index"] = [i for i in raw["family"]["index"] if i.get("id") == index_id]
        source = f"preset {index_id} (from {file_id})"
    return raw, source


def read_definition(spec: str | Path) -> tuple[dict[str, Any], str]:
    """Read a definition from a file path, or from a preset id when no such file exists."""
    path = Path(spec)
    if path.suffix.lower() in (".toml", ".yaml", ".yml") or path.exists():
        return read_definition_file(path)
    return read_preset(str(spec))


def parse_definition(
    raw: Mapping[str, Any], source: str | None = None
) -> tuple[FamilyDefinition | IndexDefinition | None, list[Problem]]:
    """Structure a raw mapping (``{"index": ...}`` or ``{"family": ...}``)."""
    keys = set(raw)
    cls: type[Any]
    if keys == {"index"}:
        root, cls = "index", IndexDefinition
    elif keys == {"family"}:
        root, cls = "family", _RawFamily
    else:
        extra = sorted(keys - {"index", "family"})
        message = "a definition has exactly one top-level table, 'index' or 'family'"
        if extra:
            message += f"; found {', '.join(extra)}"
        return None, [Problem(message, "$")]
    body = raw[root]
    if not isinstance(body, Mapping):
        return None, [Problem(f"'{root}' must be a table", f"$.{root}")]
    try:
        parsed = CONVERTER.structure(dict(body), cls)
    except Exception as exc:  # cattrs raises ClassValidationError/ExceptionGroup
        return None, _messages(exc, f"$.{root}")
    if isinstance(parsed, IndexDefinition):
        return parsed, []
    return parsed.to_family(), []


@attrs.frozen(kw_only=True)
class _RawFamily(_Shared):
    """A family as written in files: ``[[family.index]]`` holds the indices."""

    index: list[IndexSpec]

    def to_family(self) -> FamilyDefinition:
        values = attrs.asdict(self, recurse=False)
        values["indices"] = values.pop("index")
        return FamilyDefinition(**values)


# -- resolving components ------------------------------------------------------------------


@attrs.frozen
class Resolved:
    """A component instance with the registry entry it came from."""

    entry: ComponentEntry
    component: Component
    applies_to: str = "all"

    @property
    def label(self) -> str:
        return f"{self.entry.kind} '{self.entry.name}'"

    def provenance(self) -> dict[str, Any]:
        return self.entry.provenance()


@attrs.frozen
class ResolvedIndex:
    spec: IndexSpec
    buckets: tuple[str, ...]
    weighting: Resolved
    capping: Resolved | None
    calculation: CalculationOptions = attrs.field(factory=CalculationOptions)


@attrs.frozen
class Methodology:
    """A definition with every component looked up and instantiated."""

    definition: FamilyDefinition
    schedule: Resolved
    screens: tuple[Resolved, ...]
    ranking: Resolved
    bucketing: Resolved
    indices: tuple[ResolvedIndex, ...]
    source: str | None = None

    def components(self) -> list[Resolved]:
        out = [self.schedule, *self.screens, self.ranking, self.bucketing]
        for index in self.indices:
            out.append(index.weighting)
            if index.capping:
                out.append(index.capping)
        return out

    def normalised(self) -> dict[str, Any]:
        """The definition with every param filled in (defaults included), as plain data."""

        def stage(resolved: Resolved) -> dict[str, Any]:
            out: dict[str, Any] = {"use": resolved.entry.name, "params": component_params(resolved.component)}
            if resolved.entry.kind == "screen":
                out["applies_to"] = resolved.applies_to
            return out

        d = self.definition
        return {
            "family": {
                "id": d.id,
                "name": d.name,
                "description": d.description,
                "calendar": d.calendar,
                "requires": list(d.requires),
                "start": d.start.isoformat() if d.start else None,
                "end": d.end.isoformat() if d.end else None,
                "schedule": stage(self.schedule),
                "universe": [stage(s) for s in self.screens],
                "ranking": stage(self.ranking),
                "bucketing": stage(self.bucketing),
                "index": [
                    {
                        "id": i.spec.id,
                        "name": i.spec.name,
                        "buckets": list(i.buckets),
                        "weighting": stage(i.weighting),
                        "capping": stage(i.capping) if i.capping else None,
                        "calculation": CONVERTER.unstructure(attrs.asdict(i.calculation, recurse=False)),
                    }
                    for i in self.indices
                ],
            }
        }


def component_params(component: Component) -> dict[str, Any]:
    """A component's parameters as plain data."""
    return typing.cast(
        dict[str, Any], CONVERTER.unstructure(attrs.asdict(typing.cast(Any, component), recurse=False))
    )


def structure_params(cls: type[Component], params: Any, path: str) -> tuple[Component | None, list[Problem]]:
    """Build a component from its params, reporting every bad param with its path."""
    if not isinstance(params, Mapping):
        return None, [Problem(f"params must be a table, got {params!r}", path)]
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
            problems.extend(_messages(exc, f"{path}.{name}"))
            continue
        if field.validator is not None:
            try:
                field.validator(None, field, value)
            except (ValueError, TypeError) as exc:
                problems.append(Problem(str(exc), f"{path}.{name}", _param_help(field)))
                continue
        kwargs[name] = value
    if problems:
        return None, problems
    try:
        return cls(**kwargs), []
    except (ValueError, TypeError) as exc:
        return None, [Problem(str(exc), path)]


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
    index_path = (lambda i: root) if root == "$.index" else (lambda i: f"{root}.index[{i}]")

    def one(kind: str, use: Use | None, path: str, applies_to: str = "all") -> Resolved | None:
        if use is None:
            return None
        try:
            entry = plugins.lookup(kind, use.use)
        except UnknownComponent as exc:
            problems.append(Problem(exc.message, f"{path}.use", exc.hint))
            return None
        component, param_problems = structure_params(entry.cls, use.params, f"{path}.params")
        problems.extend(param_problems)
        return Resolved(entry, component, applies_to) if component is not None else None

    schedule = one("schedule", definition.schedule, f"{root}.schedule")
    screens = [
        one("screen", s, f"{root}.universe[{i}]", s.applies_to) for i, s in enumerate(definition.universe)
    ]
    ranking = one("ranking", definition.ranking, f"{root}.ranking")
    bucketing = one("bucketing", definition.bucketing, f"{root}.bucketing")

    available_buckets: tuple[str, ...] | None = None
    if bucketing is not None:
        available_buckets = tuple(bucketing.component.bucket_names())  # type: ignore[attr-defined]
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
        stages = {"schedule": schedule, "ranking": ranking, "bucketing": bucketing}
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
    assert schedule and ranking and bucketing
    return Methodology(
        definition=definition,
        schedule=schedule,
        screens=tuple(s for s in screens if s is not None),
        ranking=ranking,
        bucketing=bucketing,
        indices=tuple(indices),
        source=source,
    )


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: dict[Problem, None] = {}
    for problem in problems:
        seen.setdefault(problem, None)
    return list(seen)


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
        raw, source = read_definition(spec)
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
        if not isinstance(value, Mapping) or not isinstance(value.get("use"), str):
            return
        try:
            entry = plugins.lookup(kind, value["use"])
        except UnknownComponent as exc:
            problems.append(Problem(exc.message, f"{path}.use", exc.hint))
            return
        problems.extend(structure_params(entry.cls, value.get("params", {}), f"{path}.params")[1])

    for kind in ("schedule", "ranking", "bucketing"):
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
