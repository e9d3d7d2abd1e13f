"""Third-party plugins for real: run by ``tox -e plugin``, where the example plugin
(docs/examples/indexsmith-example-plugin) is pip-installed before the tests. Broken and
clashing plugins are built here as throwaway distributions and installed into a temporary
folder put on PYTHONPATH for one subprocess, so they never reach the shared environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "docs" / "examples" / "low-vol-ex-list.toml"

pytestmark = pytest.mark.skipif(
    not any(ep.name == "example" for ep in metadata.entry_points(group="indexsmith")),
    reason="the example plugin is not installed (run these tests with 'tox -e plugin')",
)


def indexsmith(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "indexsmith.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_plugins_lists_the_example_with_its_version() -> None:
    done = indexsmith("plugins", "--json")
    assert done.returncode == 0, done.stderr
    rows = {row["name"]: row for row in json.loads(done.stdout)}
    example = rows["example"]
    assert (example["distribution"], example["version"]) == ("indexsmith-example", "0.1.0")
    assert example["components"] == {"screen": ["exclusion-list"], "weighting": ["inverse-volatility"]}


def test_a_definition_using_the_plugin_builds(tmp_path: Path) -> None:
    done = indexsmith("build", str(EXAMPLE), "--demo", "small", "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    import pandas as pd

    c = pd.read_parquet(tmp_path / "out" / "constituents.parquet")
    assert c.groupby("effective_date")["weight"].sum().round(12).eq(1).all()
    assert c["weight"].max() <= 0.05 + 1e-12
    assert "S000003" not in set(c["security_id"])  # on the exclusion list
    excluded = pd.read_parquet(tmp_path / "out" / "exclusions.parquet")
    assert set(excluded.loc[excluded["screen"] == "exclusion-list", "reason"]) == {
        "excluded by the example list"
    }
    info = json.loads((tmp_path / "out" / "run.json").read_text())
    providers = {c["name"]: c["distribution"] for c in info["components"]}
    assert providers["inverse-volatility"] == "indexsmith-example"


def test_disabling_the_plugin_names_it_in_the_error(tmp_path: Path) -> None:
    done = indexsmith(
        "build", str(EXAMPLE), "--demo", "small", "--out", str(tmp_path / "out"),
        env={"INDEXSMITH_DISABLE_PLUGINS": "indexsmith-example"},
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.count("\n") == 2  # two unknown components, one line each
    assert "no screen named 'exclusion-list'" in done.stderr
    assert "no weighting named 'inverse-volatility'" in done.stderr
    assert "disabled by INDEXSMITH_DISABLE_PLUGINS: 'example' (indexsmith-example 0.1.0)" in done.stderr


def _install(tmp_path: Path, name: str, module: str) -> Path:
    """Build and install a one-module plugin distribution into a private folder."""
    source = tmp_path / name
    (source / "src").mkdir(parents=True)
    package = name.replace("-", "_")
    (source / "src" / f"{package}.py").write_text(textwrap.dedent(module))
    (source / "pyproject.toml").write_text(
        textwrap.dedent(
            f"""
            [build-system]
            requires = ["hatchling"]
            build-backend = "hatchling.build"
            [project]
            name = "{name}"
            version = "9.9.9"
            [project.entry-points.indexsmith]
            {package} = "{package}"
            [tool.hatch.build.targets.wheel]
            packages = ["src/{package}.py"]
            """
        )
    )
    target = tmp_path / f"{name}-site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    return target


def test_a_broken_plugin_fails_at_start_up_naming_it(tmp_path: Path) -> None:
    site = _install(tmp_path, "indexsmith-broken", "raise RuntimeError('this plugin is broken on purpose')\n")
    done = indexsmith("plugins", env={"PYTHONPATH": str(site)})
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "error: plugin 'indexsmith_broken' (indexsmith-broken 9.9.9) failed to import from entry point "
        "'indexsmith_broken = indexsmith_broken': RuntimeError: this plugin is broken on purpose — fix or "
        "uninstall indexsmith-broken, or set INDEXSMITH_DISABLE_PLUGINS=indexsmith_broken"
    ]


def test_a_plugin_reusing_a_name_fails_naming_both(tmp_path: Path) -> None:
    module = """
        import attrs
        from indexsmith import Weighting, hookimpl

        @attrs.frozen(kw_only=True)
        class Clash(Weighting):
            def weigh(self, view, members):
                return members["fraction"] / members["fraction"].sum()

        @hookimpl
        def indexsmith_register_weightings(register):
            register("equal", Clash)
    """
    site = _install(tmp_path, "indexsmith-clash", module)
    done = indexsmith("plugins", env={"PYTHONPATH": str(site)})
    assert done.returncode == 1
    message = done.stderr.strip()
    assert message.count("\n") == 0
    assert "'equal'" in message and "indexsmith-clash 9.9.9" in message and "indexsmith 0.1.0" in message
