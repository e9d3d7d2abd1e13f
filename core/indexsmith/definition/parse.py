"""Reading definitions: TOML and YAML text, files, and the outer structure of a
definition (unknown keys, missing keys and wrong types reported with their ``$.path``).

Nothing here looks a component up: that is :mod:`indexsmith.definition.resolve`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from indexsmith.definition.model import (
    CONVERTER,
    FamilyDefinition,
    IndexDefinition,
    RawFamily,
    structure_problems,
)
from indexsmith.errors import DefinitionError, Problem


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


def parse_definition(
    raw: Mapping[str, Any], source: str | None = None
) -> tuple[FamilyDefinition | IndexDefinition | None, list[Problem]]:
    """Structure a raw mapping (``{"index": ...}`` or ``{"family": ...}``)."""
    keys = set(raw)
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
    try:
        parsed = CONVERTER.structure(dict(body), cls)
    except Exception as exc:  # cattrs raises ClassValidationError/ExceptionGroup
        return None, structure_problems(exc, f"$.{root}")
    if isinstance(parsed, IndexDefinition):
        return parsed, []
    return parsed.to_family(), []
