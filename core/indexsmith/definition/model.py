"""The definition model: what an index definition says, as attrs records, and the strict
converter that structures it from plain data (TOML, YAML, dicts) and back.

A definition names one component per stage, each as ``{use = "name", params = {...}}``;
the universe stage is a list of screens. A *family* shares schedule, universe, ranking and
bucketing among several indices that differ in the buckets they take and in their
weighting and capping. A single ``[index]`` is a family of one. :class:`Methodology` is a
definition with every component looked up and instantiated (see
:mod:`indexsmith.definition.resolve`).
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import os
import re
import typing
from collections.abc import Mapping
from typing import Any, Literal

import attrs
import cattrs
from cattrs.cols import homogenous_tuple_structure_factory, list_structure_factory
from cattrs.gen import make_dict_structure_fn, override

from indexsmith.calculation.options import CalculationOptions, MaintenanceOptions
from indexsmith.components import Component
from indexsmith.data.schema import VOCABULARY
from indexsmith.errors import Problem
from indexsmith.plugin.registry import ComponentEntry

AppliesTo = Literal["all", "additions", "incumbents"]
#: What a review does with a listed security the data lacks shares or a float factor for on
#: the rank date: stop with a data error naming it (``error``), or leave it out of the
#: universe with that reason (``exclude``).
MissingData = Literal["error", "exclude"]


def _vocabulary_columns(_: Any, __: Any, value: dict[str, list[str]]) -> None:
    unknown = sorted(set(value) - set(VOCABULARY))
    if unknown:
        raise ValueError(
            f"vocabulary has column(s) {', '.join(unknown)}; a definition may declare {', '.join(VOCABULARY)}"
        )


#: An index or family id: it names the index's results folder, so it is a safe slug.
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def _safe_id(_: Any, attribute: Any, value: str) -> None:
    if isinstance(value, str) and ID_PATTERN.fullmatch(value) and ".." not in value:
        return
    shown = value if len(value) <= 40 else value[:40] + "..."
    raise ValueError(
        f"id {shown!r} is not a safe name: use 1-100 letters, digits, '.', '_' or '-', starting with a letter "
        "or digit (it names the results folder)"
    )


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

    id: str = attrs.field(validator=_safe_id)
    name: str = ""
    buckets: list[str] | None = None
    weighting: Use
    capping: Use | None = None
    calculation: dict[str, Any] | None = None


@attrs.frozen(kw_only=True)
class DataSpec:
    """Where the definition's market data is (a top-level ``[data]`` table), used when a
    command gets no ``--data``: a market source, its location (relative to the definition
    file) and the source's params."""

    source: str = "dir"
    path: str
    params: dict[str, Any] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class _Shared:
    """What the indices of a family share: identity, dates and the first four stages."""

    id: str = attrs.field(validator=_safe_id)
    name: str = ""
    description: str = ""
    calendar: str = "XNYS"
    start: dt.date | None = None
    end: dt.date | None = None
    schedule: Use
    universe: list[ScreenUse] = attrs.field(factory=list)
    ranking: Use
    bucketing: Use
    #: How places left between reviews are filled (``none`` when omitted).
    replacement: Use | None = None
    calculation: dict[str, Any] = attrs.field(factory=dict)
    maintenance: dict[str, Any] = attrs.field(factory=dict)
    #: Distributions the definition needs, as requirement strings ("indexsmith-example>=0.1").
    requires: list[str] = attrs.field(factory=list)
    #: The definition's own values of sector, exchange or security_type (replacing the
    #: documented lists of docs/data.md for the columns named).
    vocabulary: dict[str, list[str]] = attrs.field(factory=dict, validator=_vocabulary_columns)
    missing_data: MissingData = "error"
    #: The top-level ``[data]`` table (set by the parser, not written inside the index).
    data: DataSpec | None = None


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


@attrs.frozen(kw_only=True)
class RawFamily(_Shared):
    """A family as written in files: ``[[family.index]]`` holds the indices."""

    index: list[IndexSpec]

    def to_family(self) -> FamilyDefinition:
        values = attrs.asdict(self, recurse=False)
        values["indices"] = values.pop("index")
        return FamilyDefinition(**values)


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
    replacement: Resolved
    maintenance: MaintenanceOptions = attrs.field(factory=MaintenanceOptions)
    source: str | None = None
    #: The folder relative file params were read from (recorded relative to it, so a
    #: build's run.json does not depend on where the definition lies).
    base: str | None = None

    def components(self) -> list[Resolved]:
        out = [self.schedule, *self.screens, self.ranking, self.bucketing, self.replacement]
        for index in self.indices:
            out.append(index.weighting)
            if index.capping:
                out.append(index.capping)
        return out

    def normalised(self) -> dict[str, Any]:
        """The definition with every param filled in (defaults included), as plain data."""

        def stage(resolved: Resolved) -> dict[str, Any]:
            params = component_params(resolved.component)
            for field in attrs.fields(type(resolved.component)):  # type: ignore[arg-type]
                value = params.get(field.alias or field.name)
                inside = (
                    field.metadata.get("path")
                    and self.base
                    and isinstance(value, str)
                    and os.path.commonpath([self.base, os.path.abspath(value)]) == self.base
                )
                if inside:
                    params[field.alias or field.name] = os.path.relpath(str(value), str(self.base))
            out: dict[str, Any] = {"use": resolved.entry.name, "params": params}
            if resolved.entry.kind == "screen":
                out["applies_to"] = resolved.applies_to
            return out

        d = self.definition
        # Options added after 0.2 appear only when set, so earlier builds record the same.
        added: dict[str, Any] = {}
        if d.vocabulary:
            added["vocabulary"] = {k: list(v) for k, v in sorted(d.vocabulary.items())}
        if d.missing_data != "error":
            added["missing_data"] = d.missing_data
        return {
            "family": {
                "id": d.id,
                "name": d.name,
                "description": d.description,
                "calendar": d.calendar,
                "requires": list(d.requires),
                **added,
                "start": d.start.isoformat() if d.start else None,
                "end": d.end.isoformat() if d.end else None,
                "schedule": stage(self.schedule),
                "universe": [stage(s) for s in self.screens],
                "ranking": stage(self.ranking),
                "bucketing": stage(self.bucketing),
                "replacement": stage(self.replacement),
                "maintenance": CONVERTER.unstructure(attrs.asdict(self.maintenance, recurse=False)),
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


# -- structuring -------------------------------------------------------------------------


def _strict(kind: type, accept: tuple[type, ...], label: str) -> Any:
    def hook(value: Any, _: Any) -> Any:
        if isinstance(value, bool) and kind is not bool:
            raise ValueError(f"expected {label}, got {_short(value)}")
        if not isinstance(value, accept):
            raise ValueError(f"expected {label}, got {_short(value)}")
        if kind is float and not math.isfinite(typing.cast(float, value)):
            raise ValueError(f"expected a finite number, got {_short(value)}")
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
    raise ValueError(f"expected a date (YYYY-MM-DD), got {_short(value)}")


def _id_hook(value: Any, _: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {_short(value)}")
    _safe_id(None, None, value)
    return value


def _short(value: Any, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters: an error quotes a prefix, never a whole value."""
    try:
        text = repr(value)
    except ValueError:  # an integer too long to print
        return f"an integer of about {int(value.bit_length() * 0.30103)} digits"
    return text if len(text) <= limit else text[: limit - 3] + "..."


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
    converter.register_structure_hook_factory(_is_list, lambda type_, conv: _strict_list(type_, conv))
    return converter


def _is_list(type_: Any) -> bool:
    args = typing.get_args(type_)
    return typing.get_origin(type_) is list or (
        typing.get_origin(type_) is tuple and len(args) == 2 and args[1] is Ellipsis
    )


def _strict_list(type_: Any, converter: cattrs.Converter) -> Any:
    """Lists are lists: ``buckets = "top"`` is not the list ``["t", "o", "p"]``."""
    if typing.get_origin(type_) is list:
        inner = list_structure_factory(type_, converter)
    else:
        inner = homogenous_tuple_structure_factory(type_, converter)

    def hook(value: Any, _: Any) -> Any:
        if not isinstance(value, (list, tuple)):
            raise ValueError(f"expected a list, got {_short(value)}")
        return inner(value, type_)

    return hook


CONVERTER = make_converter()
# Ids are checked as their field is structured, so an error names ``$.index.id``.
for _cls in (IndexSpec, IndexDefinition, RawFamily, FamilyDefinition):
    CONVERTER.register_structure_hook(
        _cls,
        make_dict_structure_fn(
            _cls,
            CONVERTER,
            _cattrs_forbid_extra_keys=True,
            _cattrs_detailed_validation=True,
            id=override(struct_hook=_id_hook),
        ),
    )


def structure_problems(exc: Exception, path: str) -> list[Problem]:
    problems = []
    for line in cattrs.transform_error(exc, path=path, format_exception=_format_exception):
        message, _, where = line.rpartition(" @ ")
        problems.append(Problem(message or line, where))
    return problems


def _format_exception(exc: BaseException, type_: Any) -> str:
    if isinstance(exc, KeyError):
        return "required key missing"
    if isinstance(exc, cattrs.ForbiddenExtraKeysError):
        extra = sorted(str(k) for k in exc.extra_fields)
        text = f"unknown key{'s' if len(extra) > 1 else ''} {', '.join(k[:40] for k in extra[:10])}"
        known = [f.alias or f.name for f in attrs.fields(exc.cl)] if attrs.has(exc.cl) else []
        if exc.cl is RawFamily:
            known = [k if k != "indices" else "index" for k in known]
        close = [difflib.get_close_matches(k, known, n=1) for k in extra[:10]]
        hints = [
            f"'{c[0]}'" + (f" for {k}" if len(extra) > 1 else "")
            for k, c in zip(extra, close, strict=False)
            if c
        ]
        return text + (f" (did you mean {', '.join(hints)}?)" if hints else "")
    if isinstance(exc, ValueError) and exc.args:
        return str(exc.args[0])
    if typing.get_origin(type_) is Literal:
        return "expected one of " + ", ".join(repr(a) for a in typing.get_args(type_))
    if type_ in (Use, ScreenUse) or set(typing.get_args(type_)) in (
        {Use, type(None)},
        {ScreenUse, type(None)},
    ):
        return 'expected a table such as { use = "name", params = { ... } }'
    if typing.get_origin(type_) in (dict, Mapping) or type_ is dict:
        return "expected a table"
    name = getattr(type_, "__name__", None) or str(type_)
    return f"invalid value, expected {name}"
