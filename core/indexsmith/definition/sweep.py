"""Sweep definitions: a ``[sweep]`` table (TOML or YAML) over a definition or preset, read,
validated like a definition and expanded into its variants — whole definitions, as plain
data — before any market data is read.

A sweep names its base (``definition``: a file path or a preset id; or ``variants``: a
list of whole definitions) and the values to set at paths of it: ``[sweep.axes]`` (the
product of all axes) and ``[[sweep.zip]]`` (axes whose values go together, one group per
table). Every path is checked against the base (did-you-mean on each step), every value
against the definition model and the component it reaches, and every problem is reported
at once with its ``$.sweep`` path. Nothing here builds anything: that is
:mod:`indexsmith.runners.sweep`.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import itertools
import json
import re
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from indexsmith.definition.model import CONVERTER, _short, structure_problems
from indexsmith.definition.parse import parse_text
from indexsmith.definition.presets import read_definition
from indexsmith.definition.resolve import load, relative_to
from indexsmith.errors import DefinitionError, Problem
from indexsmith.plugin.manager import Plugins

#: A sweep with more variants than this needs ``--yes`` (``max_variants`` in ``[sweep]``).
MAX_VARIANTS = 500
_STEP = re.compile(r"\.?([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]")


@attrs.frozen(kw_only=True)
class SweepTable:
    """The ``[sweep]`` table as written."""

    definition: str | None = None
    variants: list[dict[str, Any]] | None = None
    axes: dict[str, list[Any]] = attrs.field(factory=dict)
    zip: list[dict[str, list[Any]]] = attrs.field(factory=list)
    #: The one index of the family whose statistics the summary reports (the others are
    #: not built); all of them when omitted.
    index: str | None = None
    max_variants: int = MAX_VARIANTS


@attrs.frozen
class Variant:
    """One definition of a sweep: its id (``v03``), its base, the values its axes set
    (path -> value), the definition as plain data, the folder its file params are read
    relative to, and the hash that names it (of the definition and the index kept)."""

    id: str
    base: str
    values: dict[str, Any]
    raw: dict[str, Any]
    folder: str | None
    digest: str
    index: str | None = None


@attrs.frozen
class Sweep:
    """A validated sweep: its variants in order and the columns its axes give the summary."""

    source: str
    variants: tuple[Variant, ...]
    axes: tuple[str, ...]
    index: str | None

    def __len__(self) -> int:
        return len(self.variants)


def parse_path(path: str) -> list[str | int] | None:
    """``family.index[2].capping.params.max_weight`` -> its keys and list positions
    (None when it is not written that way)."""
    text = path.removeprefix("$.")
    steps: list[str | int] = []
    at = 0
    while at < len(text):
        match = _STEP.match(text, at)
        if match is None or (at == 0 and match.group(0).startswith((".", "["))):
            return None
        steps.append(match.group(1) if match.group(1) is not None else int(match.group(2)))
        at = match.end()
    return steps or None


def _walk(raw: Any, steps: list[str | int], path: str) -> Problem | None:
    """Where ``path`` leaves ``raw``: None when every step but the last exists (the last
    key of a table may be new: a param left at its default)."""
    node, shown = raw, "$"
    for i, step in enumerate(steps):
        last = i == len(steps) - 1
        if isinstance(step, int):
            if not isinstance(node, list):
                return Problem(f"{shown} is not a list, so it has no item [{step}]", hint="check the path")
            if step >= len(node):
                return Problem(
                    f"{shown} has {len(node)} item(s), so there is no [{step}]",
                    hint=f"use [0]..[{len(node) - 1}]" if node else "check the path",
                )
            node, shown = node[step], f"{shown}[{step}]"
            continue
        if not isinstance(node, Mapping):
            return Problem(f"{shown} is not a table, so it has no key '{step}'", hint="check the path")
        if step not in node:
            if last:
                return None
            close = difflib.get_close_matches(step, [str(k) for k in node], n=1)
            hint = (
                f"did you mean '{close[0]}'? " if close else ""
            ) + f"{shown} has: {', '.join(map(str, node))}"
            return Problem(f"no key '{step}' at {shown}", hint=hint)
        node, shown = node[step], f"{shown}.{step}"
    return None


def _set(raw: dict[str, Any], steps: list[str | int], value: Any) -> None:
    node: Any = raw
    for step in steps[:-1]:
        node = node[step]
    node[steps[-1]] = copy.deepcopy(value)


def digest(raw: Mapping[str, Any], index: str | None) -> str:
    """The hash naming a variant: of its definition (as canonical JSON) and the index kept."""
    text = json.dumps({"definition": raw, "index": index}, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def read_sweep(spec: str | Path | Mapping[str, Any]) -> tuple[dict[str, Any], str | None, Path | None]:
    """The raw ``[sweep]`` mapping, the name to report it by (None for a mapping), and its folder."""
    if isinstance(spec, Mapping):
        return dict(spec), None, None
    path = Path(spec)
    if path.suffix.lower() not in (".toml", ".yaml", ".yml"):
        raise DefinitionError(
            [Problem(f"sweep file {path} has an unknown extension", hint="use .toml or .yaml")]
        )
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DefinitionError([Problem(f"sweep file {path} does not exist", hint="check the path")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DefinitionError([Problem(f"sweep file {path} cannot be read: {exc}")]) from None
    fmt = "toml" if path.suffix.lower() == ".toml" else "yaml"
    return parse_text(text, fmt, path.name), path.name, path.parent


def load_sweep(
    spec: str | Path | Mapping[str, Any], plugins: Plugins | None = None, *, yes: bool = False
) -> Sweep:
    """Read, validate and expand a sweep; every problem is raised at once in one
    :class:`DefinitionError`. More than ``max_variants`` variants need ``yes``."""
    plugins = plugins if plugins is not None else Plugins()
    raw, source, folder = read_sweep(spec)
    table, problems = _structure(raw)
    if table is None:
        raise DefinitionError(problems, source)
    bases = _bases(table, folder, plugins, problems)
    groups = _axis_groups(table, problems)
    for label, base, _ in bases:
        problems.extend(_check_paths(groups, base, label))
    count = len(bases) * _product(len(group[0][1]) for group in groups if group)
    if count > table.max_variants and not yes:
        problems.append(
            Problem(
                f"the sweep has {count:,} variants, more than max_variants = {table.max_variants:,}",
                "$.sweep",
                "pass --yes to run them all, or raise max_variants in [sweep]",
            )
        )
    if problems:
        raise DefinitionError(problems, source)
    for label, base, base_folder in bases:
        problems.extend(_check_values(groups, base, base_folder, label, table.index, plugins))
    if problems:
        raise DefinitionError(_unique(problems), source)
    return _expand(source or "sweep", table, bases, groups)


def _structure(raw: Mapping[str, Any]) -> tuple[SweepTable | None, list[Problem]]:
    if set(raw) != {"sweep"}:
        extra = ", ".join(sorted(str(k) for k in set(raw) - {"sweep"}))
        found = f"; found {extra}" if extra else ""
        return None, [Problem(f"a sweep file has one top-level table, 'sweep'{found}", "$")]
    body = raw["sweep"]
    if not isinstance(body, Mapping):
        return None, [Problem("'sweep' must be a table", "$.sweep")]
    try:
        table = CONVERTER.structure(dict(body), SweepTable)
    except Exception as exc:  # cattrs raises ClassValidationError/ExceptionGroup
        return None, structure_problems(exc, "$.sweep")
    problems = []
    if (table.definition is None) == (table.variants is None):
        problems.append(
            Problem(
                "a sweep needs exactly one of 'definition' (a file or preset id) and 'variants' "
                "(a list of whole definitions)",
                "$.sweep",
            )
        )
    if table.variants is not None and not table.variants:
        problems.append(Problem("'variants' is empty", "$.sweep.variants", "list at least one definition"))
    if table.max_variants < 1:
        problems.append(Problem("max_variants must be at least 1", "$.sweep.max_variants"))
    return table, problems


def _bases(
    table: SweepTable, folder: Path | None, plugins: Plugins, problems: list[Problem]
) -> list[tuple[str, dict[str, Any], str | None]]:
    """(label, raw definition, folder) of each base, each checked as a definition."""
    entries: list[tuple[str, Any, str]] = []
    if table.definition is not None:
        entries.append(("", table.definition, "$.sweep.definition"))
    for i, entry in enumerate(table.variants or []):
        entries.append((str(entry.get("name", "")), entry, f"$.sweep.variants[{i}]"))
    out = []
    for label, entry, where in entries:
        try:
            raw, name, base_folder = _read_base(entry, folder, plugins)
            with relative_to(base_folder):
                load(raw, plugins)
        except DefinitionError as exc:
            problems.extend(
                Problem(
                    p.message, f"{p.where} of {exc.source or label or where}" if p.where else where, p.hint
                )
                for p in exc.problems
            )
            continue
        out.append((label or name, raw, base_folder))
    return out


def _read_base(entry: Any, folder: Path | None, plugins: Plugins) -> tuple[dict[str, Any], str, str | None]:
    if isinstance(entry, Mapping) and "definition" not in entry:
        raw = {k: copy.deepcopy(v) for k, v in entry.items() if k != "name"}
        return raw, str(entry.get("name", "inline definition")), str(folder) if folder else None
    spec = entry["definition"] if isinstance(entry, Mapping) else entry
    if not isinstance(spec, str):
        raise DefinitionError([Problem(f"expected a file path or preset id, got {_short(spec)}")])
    candidate = (folder / spec) if folder is not None else Path(spec)
    if candidate.suffix.lower() in (".toml", ".yaml", ".yml") or candidate.exists():
        raw, name = read_definition(candidate, plugins)
        return raw, name, str(candidate.parent)
    raw, name = read_definition(spec, plugins)
    return raw, spec, None


Group = list[tuple[str, list[Any], list[str | int] | None, str]]


def _axis_groups(table: SweepTable, problems: list[Problem]) -> list[Group]:
    """The factors of the product: each axis alone, then each zip table; an entry is
    (path, values, steps, where)."""
    groups: list[Group] = []
    for path, values in table.axes.items():
        groups.append([(path, values, parse_path(path), f'$.sweep.axes."{path}"')])
    for i, zipped in enumerate(table.zip):
        group = [
            (path, values, parse_path(path), f'$.sweep.zip[{i}]."{path}"') for path, values in zipped.items()
        ]
        lengths = {path: len(values) for path, values, _, _ in group}
        if len(set(lengths.values())) > 1:
            shown = ", ".join(f"{p} has {n}" for p, n in lengths.items())
            problems.append(
                Problem(
                    f"the axes zipped together have different lengths: {shown}",
                    f"$.sweep.zip[{i}]",
                    "give every axis of a zip the same number of values",
                )
            )
        if not group:
            problems.append(Problem("a zip table holds no axes", f"$.sweep.zip[{i}]"))
        groups.append(group)
    seen: set[str] = set()
    for group in groups:
        for path, values, steps, where in group:
            if steps is None:
                problems.append(
                    Problem(
                        f"'{path}' is not a path into the definition",
                        where,
                        "write it like family.index[2].capping.params.max_weight",
                    )
                )
            if not values:
                problems.append(Problem(f"the axis '{path}' is empty", where, "give it at least one value"))
            if path in seen:
                problems.append(Problem(f"the path '{path}' is swept twice", where, "sweep each path once"))
            seen.add(path)
    return [g for g in groups if g and len({len(v) for _, v, _, _ in g}) == 1]


def _check_paths(groups: list[Group], base: dict[str, Any], label: str) -> list[Problem]:
    problems = []
    for group in groups:
        for path, _, steps, where in group:
            if steps is None:
                continue
            problem = _walk(base, steps, path)
            if problem is not None:
                problems.append(Problem(f"{problem.message} of {label}", where, problem.hint))
    return problems


def _check_values(
    groups: list[Group],
    base: dict[str, Any],
    folder: str | None,
    label: str,
    index: str | None,
    plugins: Plugins,
) -> list[Problem]:
    """Each value set alone in the base and the definition checked: a wrong type or a bad
    param is reported at the value's place in the sweep."""
    problems: list[Problem] = []
    family = base.get("family") if isinstance(base.get("family"), Mapping) else None
    ids = [str(i.get("id")) for i in (family or {}).get("index") or [] if isinstance(i, Mapping)]
    if index is not None and family is not None and index not in ids:
        close = difflib.get_close_matches(index, ids, n=1)
        problems.append(
            Problem(
                f"no index '{index}' in {label}",
                "$.sweep.index",
                (f"did you mean '{close[0]}'? " if close else "") + f"its indices: {', '.join(ids)}",
            )
        )
    for group in groups:
        for path, values, steps, where in group:
            assert steps is not None
            for j, value in enumerate(values):
                variant = copy.deepcopy(base)
                _set(variant, steps, value)
                try:
                    with relative_to(folder):
                        load(variant, plugins)
                except DefinitionError as exc:
                    problems.extend(
                        Problem(
                            p.message,
                            f"{where}[{j}]",
                            f"it sets {p.where or path} of {label}" + (f": {p.hint}" if p.hint else ""),
                        )
                        for p in exc.problems
                    )
    return problems


def _expand(
    source: str, table: SweepTable, bases: list[tuple[str, dict[str, Any], str | None]], groups: list[Group]
) -> Sweep:
    total = len(bases) * _product(len(group[0][1]) for group in groups)
    width = max(2, len(str(total)))
    variants: list[Variant] = []
    for label, base, folder in bases:
        for choice in itertools.product(*(range(len(group[0][1])) for group in groups)):
            raw = copy.deepcopy(base)
            values: dict[str, Any] = {}
            for group, j in zip(groups, choice, strict=True):
                for path, axis_values, steps, _ in group:
                    _set(raw, typing.cast(list[str | int], steps), axis_values[j])
                    values[path] = axis_values[j]
            if table.index is not None and "family" in raw:
                raw["family"]["index"] = [i for i in raw["family"]["index"] if i.get("id") == table.index]
            number = len(variants) + 1
            variants.append(
                Variant(
                    f"v{number:0{width}d}", label, values, raw, folder, digest(raw, table.index), table.index
                )
            )
    axes = tuple(path for group in groups for path, _, _, _ in group)
    if len(bases) > 1:
        axes = ("base", *axes)
    return Sweep(source, tuple(variants), axes, table.index)


def _product(counts: Iterable[int]) -> int:
    total = 1
    for count in counts:
        total *= count
    return total


def _unique(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))
