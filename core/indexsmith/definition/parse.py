"""Reading definitions: TOML and YAML text, files, and the outer structure of a
definition (unknown keys, missing keys and wrong types reported with their ``$.path``).

Nothing here looks a component up: that is :mod:`indexsmith.definition.resolve`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import yaml

from indexsmith.definition.model import (
    CONVERTER,
    DataSpec,
    FamilyDefinition,
    IndexDefinition,
    RawFamily,
    structure_problems,
)
from indexsmith.errors import DefinitionError, Problem

#: Bounds on a definition: its file size, how deep its tables nest, and how many values
#: it holds once YAML aliases are expanded.
MAX_BYTES = 1_000_000
MAX_DEPTH = 50
MAX_VALUES = 100_000


class _Loader(yaml.SafeLoader):
    """YAML's safe loader, refusing duplicate keys (YAML would keep the last silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:
                continue  # an unhashable key: the constructor reports it
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {str(key)[:60]!r}", key_node.start_mark
                )
        return super().construct_mapping(node, deep=deep)


def _bounded(data: Any, source: str) -> None:
    """Refuse nesting deeper than :data:`MAX_DEPTH` or more than :data:`MAX_VALUES` values
    (YAML aliases share values; counting them expanded bounds the work every later step does)."""
    stack = [(data, 0)]
    count = 0
    while stack:
        value, depth = stack.pop()
        count += 1
        if depth > MAX_DEPTH:
            raise DefinitionError(
                [Problem(f"the definition nests deeper than {MAX_DEPTH} levels", hint="flatten it")], source
            )
        if count > MAX_VALUES:
            raise DefinitionError(
                [
                    Problem(
                        f"the definition holds more than {MAX_VALUES:,} values (with YAML aliases expanded)",
                        hint="a definition is a few dozen tables: remove the repeated aliases",
                    )
                ],
                source,
            )
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)


def parse_text(text: str, fmt: str, source: str) -> dict[str, Any]:
    """Parse TOML or YAML text; syntax errors name the line and column."""
    if len(text) > MAX_BYTES:
        raise DefinitionError(
            [
                Problem(
                    f"the definition is {len(text):,} characters; at most {MAX_BYTES:,} are read",
                    hint="is this the right file?",
                )
            ],
            source,
        )
    text = text.removeprefix("\ufeff")  # a byte-order mark is not part of the text
    try:
        data = _parse(text, fmt, source)
    except RecursionError:
        raise DefinitionError(
            [Problem(f"the definition nests deeper than {MAX_DEPTH} levels", hint="flatten it")], source
        ) from None
    except ValueError as exc:  # an integer of thousands of digits (TOML and YAML alike)
        raise DefinitionError(
            [Problem(f"unreadable {fmt.upper()}: {str(exc)[:80]}", hint="write numbers of a sensible size")],
            source,
        ) from None
    _bounded(data, source)
    return data


def _parse(text: str, fmt: str, source: str) -> dict[str, Any]:
    if fmt == "toml":
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise DefinitionError(
                [Problem(f"malformed TOML: {exc}", hint="fix the syntax")], source
            ) from None

    try:
        data = yaml.load(text, Loader=_Loader)
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
        if path.is_dir():
            raise DefinitionError(
                [
                    Problem(
                        f"definition file {path} is a folder", hint="pass the .toml or .yaml file inside it"
                    )
                ]
            )
        if path.stat().st_size > MAX_BYTES:
            raise DefinitionError(
                [
                    Problem(
                        f"definition file {path} is {path.stat().st_size:,} bytes; at most {MAX_BYTES:,} are read",
                        hint="is this the right file?",
                    )
                ]
            )
        data = path.read_bytes()
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DefinitionError(
            [
                Problem(
                    f"definition file {path} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})",
                    hint="save it as UTF-8 (not UTF-16 or Latin-1)",
                )
            ]
        ) from None
    except PermissionError:
        raise DefinitionError(
            [
                Problem(
                    f"definition file {path} cannot be read (permission denied)", hint="check its permissions"
                )
            ]
        ) from None
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


def parse_definition(
    raw: Mapping[str, Any], source: str | None = None
) -> tuple[FamilyDefinition | IndexDefinition | None, list[Problem]]:
    """Structure a raw mapping (``{"index": ...}`` or ``{"family": ...}``, and an optional
    top-level ``data`` table)."""
    keys = set(raw) - {"data"}
    cls: type[Any]
    if keys == {"index"}:
        root, cls = "index", IndexDefinition
    elif keys == {"family"}:
        root, cls = "family", RawFamily
    else:
        extra = sorted(keys - {"index", "family"})
        message = "a definition has exactly one top-level table, 'index' or 'family'"
        if extra:
            message += f"; found {', '.join(extra)}"
        return None, [Problem(message, "$")]
    body = raw[root]
    if not isinstance(body, Mapping):
        return None, [Problem(f"'{root}' must be a table", f"$.{root}")]
    problems = []
    if "data" in body:
        problems.append(
            Problem(
                f"'data' is a top-level table, not a key of '{root}'", f"$.{root}.data", "write it as [data]"
            )
        )
    data = None
    if "data" in raw:
        if not isinstance(raw["data"], Mapping):
            problems.append(Problem("'data' must be a table (source, path, params)", "$.data"))
        else:
            try:
                data = CONVERTER.structure(dict(raw["data"]), DataSpec)
            except Exception as exc:  # cattrs raises ClassValidationError/ExceptionGroup
                problems.extend(structure_problems(exc, "$.data"))
    try:
        parsed = CONVERTER.structure({k: v for k, v in body.items() if k != "data"}, cls)
    except Exception as exc:  # cattrs raises ClassValidationError/ExceptionGroup
        return None, [*problems, *structure_problems(exc, f"$.{root}")]
    if problems:
        return None, problems
    parsed = attrs.evolve(parsed, data=data)
    if isinstance(parsed, IndexDefinition):
        return parsed, []
    return parsed.to_family(), []
