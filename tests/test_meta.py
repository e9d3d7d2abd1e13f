"""Tests about the project itself: hooks documented and tested, built-ins referenced and
conforming, plugins using only the public API, and the core's layers importing downwards
only."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import indexsmith
import pytest
from indexsmith import hookspecs
from indexsmith.plugin import HOOKS, Plugins
from indexsmith.plugin.registry import PRESET_HOOK, RUNNER_HOOK, SOURCE_HOOK

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "core" / "indexsmith"
PLUGINS = ROOT / "plugins" / "indexsmith_plugins"
HOOK_NAMES = sorted(
    n for n, f in inspect.getmembers(hookspecs, inspect.isfunction) if n.startswith("indexsmith_")
)

#: The core's layers, bottom up (docs/concepts.md draws them). A module may import only from
#: its own layer or below; ``if TYPE_CHECKING:`` imports (annotations only) are not counted.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "version", "frames", "units", "io", "drawdowns"),
    ("hookspecs", "components", "data.calendars", "data.schema", "calculation.options"),
    ("data", "plugin", "market", "calendars"),
    ("definition", "contracts", "demo"),
    ("engine",),
    ("calculation",),
    ("results",),
    ("analytics",),
    ("reporting",),
    ("pipeline",),
    ("prediction",),
    ("runners",),
    ("cli", "testing", "demo.showcase", "__init__"),
)
#: Where a module of the generator may import from: the data layer and below only.
GENERATOR = ("demo.profile", "demo.simulation", "demo.rows", "demo.generator")


def test_every_hook_spec_is_documented_with_its_version() -> None:
    assert sorted([*HOOKS.values(), PRESET_HOOK, SOURCE_HOOK, RUNNER_HOOK]) == HOOK_NAMES
    for name in HOOK_NAMES:
        doc = inspect.getdoc(getattr(hookspecs, name)) or ""
        assert ":param register:" in doc, name
        assert re.search(r"\.\. versionadded:: \d+\.\d+", doc), name


def _test_sources() -> str:
    return "\n".join(
        p.read_text(encoding="utf-8") for p in (ROOT / "tests").rglob("test_*.py") if p.name != "test_meta.py"
    )


def test_every_hook_spec_has_a_test() -> None:
    # A test registers a component through each stage's hook: by name, or through
    # Plugins.add(<stage>, ...), which calls that hook; presets through their hook by name.
    tests = _test_sources()
    for stage, hook in HOOKS.items():
        assert hook in tests or f'add("{stage}"' in tests, f"no test exercises {hook}"
    assert PRESET_HOOK in tests, f"no test exercises {PRESET_HOOK}"
    assert SOURCE_HOOK in tests, f"no test exercises {SOURCE_HOOK}"
    assert RUNNER_HOOK in tests, f"no test exercises {RUNNER_HOOK}"


def test_every_built_in_is_in_the_reference_and_the_conformance_table() -> None:
    reference = (ROOT / "docs" / "components.md").read_text(encoding="utf-8")
    from tests.plugins.test_conformance import BUILT_INS

    for entry in Plugins(autoload=False).entries():
        assert f"### `{entry.name}`" in reference, entry.name
        assert entry.name in BUILT_INS[entry.kind], f"{entry.kind} '{entry.name}' has no conformance test"


# -- imports -------------------------------------------------------------------------------


def _module_name(path: Path, root: Path, package: str) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join([package, *parts])


def _runtime_imports(tree: ast.Module) -> list[tuple[int, str, list[str]]]:
    """(line, module, names) of every import not guarded by ``if TYPE_CHECKING:``."""
    guarded: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in ast.walk(node):
                guarded.add(id(inner))
    out = []
    for node in ast.walk(tree):
        if id(node) in guarded:
            continue
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append((node.lineno, node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            out.extend((node.lineno, a.name, []) for a in node.names)
    return out


def _targets(module: str, names: list[str]) -> list[str]:
    """The indexsmith modules an import reaches: ``from indexsmith import engine`` reaches
    indexsmith.engine, ``from indexsmith import build`` the package itself."""
    if module != "indexsmith" and not module.startswith("indexsmith."):
        return []
    out = []
    for name in names or [""]:
        candidate = f"{module}.{name}" if name else module
        base = CORE.joinpath(*candidate.split(".")[1:])
        out.append(candidate if base.with_suffix(".py").exists() or base.is_dir() else module)
    return out


def layer_of(module: str) -> int:
    """The layer of an indexsmith module (the longest matching prefix in :data:`LAYERS`)."""
    name = module.removeprefix("indexsmith").removeprefix(".") or "__init__"
    best, found = -1, -1
    for i, layer in enumerate(LAYERS):
        for prefix in layer:
            if (name == prefix or name.startswith(prefix + ".")) and len(prefix) > best:
                best, found = len(prefix), i
    assert found >= 0, f"{module} is in no layer of tests/test_meta.py LAYERS: add it"
    return found


def layering_violations(files: dict[str, str]) -> list[str]:
    """``module:line imports target (layer a -> b)`` for every import that points up."""
    problems = []
    for module, text in sorted(files.items()):
        own = layer_of(module)
        for line, imported, names in _runtime_imports(ast.parse(text)):
            for target in _targets(imported, names):
                if layer_of(target) > own:
                    problems.append(f"{module}:{line} imports {target} (layer {own} -> {layer_of(target)})")
                short = module.removeprefix("indexsmith.")
                upward = layer_of(target) > layer_of("indexsmith.data")
                if short in GENERATOR and upward and not target.startswith("indexsmith.demo"):
                    problems.append(f"{module}:{line} imports {target}: the generator uses only data")
    return problems


def core_sources() -> dict[str, str]:
    return {
        _module_name(path, CORE, "indexsmith"): path.read_text(encoding="utf-8")
        for path in sorted(CORE.rglob("*.py"))
    }


def test_core_modules_import_only_their_layer_or_below() -> None:
    assert layering_violations(core_sources()) == []


def test_the_layering_check_fails_on_an_upward_import() -> None:
    sources = core_sources()
    sources["indexsmith.data.market"] += "\nfrom indexsmith.engine import run\n"
    sources["indexsmith.demo.generator"] += "\nfrom indexsmith.definition.model import Use\n"
    sources["indexsmith.frames"] += "\nif TYPE_CHECKING:\n    from indexsmith.engine import Review\n"
    problems = layering_violations(sources)
    assert len(problems) == 2, problems
    assert (
        problems[0].startswith("indexsmith.data.market:")
        and "imports indexsmith.engine (layer 2 -> 4)" in problems[0]
    )
    assert "the generator uses only data" in problems[1]


def public_import_violations(files: dict[str, str]) -> list[str]:
    """Imports of indexsmith by built-in plugins that go past the public API."""
    public = set(indexsmith.PUBLIC_MODULES)
    problems = []
    for name, text in sorted(files.items()):
        tree = ast.parse(text)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("indexsmith"):
                module = node.module or ""
                if module.startswith("indexsmith_plugins"):
                    continue
                if module not in public:
                    problems.append(f"{name} imports {module}, which is not public")
                for alias in node.names:
                    if alias.name.startswith("_"):
                        problems.append(f"{name} imports {module}.{alias.name}")
                    elif (
                        module == "indexsmith"
                        and alias.name not in indexsmith.__all__
                        and f"indexsmith.{alias.name}" not in public
                    ):
                        problems.append(f"{name} imports indexsmith.{alias.name}, which is not public")
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("indexsmith.") and alias.name not in public:
                        problems.append(f"{name} imports {alias.name}, which is not public")
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "indexsmith"
                and node.attr.startswith("_")
                and node.attr != "__version__"
            ):
                problems.append(f"{name} uses indexsmith.{node.attr}")
    return problems


def plugin_sources() -> dict[str, str]:
    return {
        path.relative_to(PLUGINS).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(PLUGINS.rglob("*.py"))
    }


def test_built_in_plugins_import_only_public_names() -> None:
    assert public_import_violations(plugin_sources()) == []


@pytest.mark.parametrize(
    "line",
    [
        "from indexsmith.engine import run_review",
        "from indexsmith.data.view import MarketView",
        "from indexsmith import pipeline",
        "from indexsmith.frames import _private",
        "import indexsmith.results.store",
    ],
)
def test_the_public_import_check_fails_on_an_internal_import(line: str) -> None:
    sources = plugin_sources()
    sources["screens.py"] += f"\n{line}\n"
    assert len(public_import_violations(sources)) == 1


def test_no_plugin_module_imports_another_plugin_module() -> None:
    plugin_modules = {m.removeprefix("indexsmith_plugins.") for m in indexsmith.DEFAULT_PLUGINS}
    for name, text in plugin_sources().items():
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("indexsmith_plugins."):
                target = (node.module or "").removeprefix("indexsmith_plugins.")
                assert target not in plugin_modules, f"{name} imports the plugin module {target}"


def test_no_module_is_over_500_lines() -> None:
    sources = {**core_sources(), **plugin_sources()}
    assert {
        name: len(text.splitlines()) for name, text in sources.items() if len(text.splitlines()) > 500
    } == {}
