"""Presets: definition files that plugins register under an id
(``indexsmith_register_presets``), and the catalogue of ids users can build.

A family file is a preset under its own id and each index inside it under the index's id
(that index alone).
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from indexsmith.definition.parse import parse_text, read_definition_file
from indexsmith.errors import DefinitionError, Problem
from indexsmith.plugin.manager import Plugins


def _preset_files(plugins: Plugins) -> dict[str, tuple[str, str]]:
    """File id -> (format, text) of every definition file a plugin registered."""
    return {
        name: ("toml" if str(entry.source).endswith(".toml") else "yaml", entry.read_text())
        for name, entry in plugins.presets().items()
    }


def preset_catalogue(plugins: Plugins | None = None) -> dict[str, tuple[str, str | None]]:
    """Preset id -> (file id, index id). A family file is a preset under its file id (the
    whole family) and each of its indices under the index's own id (that index alone)."""
    catalogue: dict[str, tuple[str, str | None]] = {}
    for file_id, (fmt, text) in _preset_files(plugins or Plugins()).items():
        catalogue[file_id] = (file_id, None)
        family = parse_text(text, fmt, f"preset {file_id}").get("family")
        if isinstance(family, dict):
            for index in family.get("index", []):
                if isinstance(index, dict) and index.get("id") and index["id"] != file_id:
                    catalogue[str(index["id"])] = (file_id, str(index["id"]))
    return catalogue


def preset_ids(plugins: Plugins | None = None) -> list[str]:
    """Ids of the registered presets: definition files and the indices inside family files."""
    return sorted(preset_catalogue(plugins))


def read_preset(preset_id: str, plugins: Plugins | None = None) -> tuple[dict[str, Any], str]:
    """The raw definition of a preset; an index id gives its family with that index only."""
    plugins = plugins or Plugins()
    catalogue = preset_catalogue(plugins)
    if preset_id not in catalogue:
        ids = sorted(catalogue)
        close = difflib.get_close_matches(preset_id, ids, n=1)
        hint = (f"did you mean '{close[0]}'? " if close else "") + f"Presets: {', '.join(ids)}"
        raise DefinitionError(
            [Problem(f"'{preset_id}' is neither a definition file nor a preset id", hint=hint)]
        )
    file_id, index_id = catalogue[preset_id]
    source = f"preset {file_id}"
    fmt, text = _preset_files(plugins)[file_id]
    raw = parse_text(text, fmt, source)
    if index_id is not None:
        raw["family"]["index"] = [i for i in raw["family"]["index"] if i.get("id") == index_id]
        source = f"preset {index_id} (from {file_id})"
    return raw, source


def read_definition(spec: str | Path, plugins: Plugins | None = None) -> tuple[dict[str, Any], str]:
    """Read a definition from a file path, or from a preset id when no such file exists."""
    path = Path(spec)
    if path.suffix.lower() in (".toml", ".yaml", ".yml") or path.exists():
        return read_definition_file(path)
    return read_preset(str(spec), plugins)
