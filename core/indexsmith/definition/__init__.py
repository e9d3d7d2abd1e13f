"""Index definitions: the model, reading files and presets, and resolving components.

Loading happens in two steps, both before any market data is read:

1. :func:`~indexsmith.definition.parse.parse_definition` structures the raw mapping into
   :class:`FamilyDefinition` (unknown keys, missing keys and wrong types are reported with
   their path).
2. :func:`resolve` looks every component name up in the plugins' registry and structures
   its params against the component's attrs fields.

Every problem found in both steps is reported at once in one :class:`DefinitionError`.
"""

from __future__ import annotations

from indexsmith.definition.model import (
    CONVERTER,
    AppliesTo,
    FamilyDefinition,
    IndexDefinition,
    IndexSpec,
    Methodology,
    Resolved,
    ResolvedIndex,
    ScreenUse,
    Use,
    component_params,
    make_converter,
)
from indexsmith.definition.parse import parse_definition, parse_text, read_definition_file
from indexsmith.definition.presets import preset_catalogue, preset_ids, read_definition, read_preset
from indexsmith.definition.resolve import load, resolve, structure_params, unmet_requirements

__all__ = [
    "CONVERTER",
    "AppliesTo",
    "FamilyDefinition",
    "IndexDefinition",
    "IndexSpec",
    "Methodology",
    "Resolved",
    "ResolvedIndex",
    "ScreenUse",
    "Use",
    "component_params",
    "load",
    "make_converter",
    "parse_definition",
    "parse_text",
    "preset_catalogue",
    "preset_ids",
    "read_definition",
    "read_definition_file",
    "read_preset",
    "resolve",
    "structure_params",
    "unmet_requirements",
]
