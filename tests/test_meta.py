"""Tests about the project itself: hooks documented and tested, built-ins referenced and
conforming, plugins using only the public API."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

from indexsmith import hookspecs
from indexsmith.plugins import HOOKS, Plugins

ROOT = Path(__file__).resolve().parents[1]
HOOK_NAMES = sorted(
    n for n, f in inspect.getmembers(hookspecs, inspect.isfunction) if n.startswith("indexsmith_")
)


def test_every_hook_spec_is_documented_with_its_version() -> None:
    assert sorted(HOOKS.values()) == HOOK_NAMES
    for name in HOOK_NAMES:
        doc = inspect.getdoc(getattr(hookspecs, name)) or ""
        assert ":param register:" in doc, name
        assert re.search(r"\.\. versionadded:: \d+\.\d+", doc), name


def test_every_hook_spec_has_a_test() -> None:
    # A test registers a component through each stage's hook: by name, or through
    # Plugins.add(<stage>, ...), which calls that hook.
    tests = "\n".join(
        p.read_text(encoding="utf-8") for p in (ROOT / "tests").glob("test_*.py") if p.name != "test_meta.py"
    )
    for stage, hook in HOOKS.items():
        assert hook in tests or f'add("{stage}"' in tests, f"no test exercises {hook}"


def test_every_built_in_is_in_the_reference_and_the_conformance_table() -> None:
    reference = (ROOT / "docs" / "components.md").read_text(encoding="utf-8")
    from test_conformance import BUILT_INS

    for entry in Plugins(autoload=False).entries():
        assert f"### `{entry.name}`" in reference, entry.name
        assert entry.name in BUILT_INS[entry.kind], f"{entry.kind} '{entry.name}' has no conformance test"


def test_built_in_plugins_import_only_public_names() -> None:
    for path in sorted((ROOT / "plugins" / "indexsmith_plugins").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("indexsmith"):
                module = node.module or ""
                if module.startswith("indexsmith_plugins"):
                    continue
                assert not any(part.startswith("_") for part in module.split(".")), f"{path.name}: {module}"
                for alias in node.names:
                    assert not alias.name.startswith("_"), f"{path.name} imports {module}.{alias.name}"
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "indexsmith"
            ):
                assert not node.attr.startswith("_"), f"{path.name} uses indexsmith.{node.attr}"
