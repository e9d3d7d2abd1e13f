"""The README and docs: their commands and examples work as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from indexsmith import Plugins
from indexsmith.cli import cli
from indexsmith.definition import load, parse_text
from indexsmith.market import SCHEMA

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted(
    [
        *(ROOT / "docs").glob("*.md"),
        *(ROOT / "docs" / "families").glob("*.md"),
        *(ROOT / "docs" / "sources").glob("*.md"),
    ]
)


def blocks(path: Path, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S)


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    (command,) = re.findall(r"^TEST_COMMAND='(.*)'$", ci, flags=re.M)
    bash_blocks = [b.strip() for b in blocks(ROOT / "README.md", "bash")]
    assert command in bash_blocks, "the README's test command and .ci/run differ"
    assert any(b.endswith("indexsmith demo") for b in bash_blocks)
    assert readme.index("indexsmith demo") < readme.index(command)


@pytest.mark.parametrize("path", [ROOT / "README.md", *DOCS], ids=lambda p: p.name)
def test_toml_examples_are_valid_definitions(path: Path, plugins: Plugins) -> None:
    for text in blocks(path, "toml"):
        raw = parse_text(text, "toml", path.name)
        if {"index", "family"} & set(raw):  # skip pyproject.toml snippets
            load(raw, plugins)


def test_readme_python_example_runs(tmp_path: Path) -> None:
    (code,) = blocks(ROOT / "README.md", "python")
    assert len(code.strip().splitlines()) <= 14  # the component itself is <= 10 lines
    env = dict(os.environ, INDEXSMITH_DISABLE_PLUGIN_AUTOLOAD="1")
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
    counts = [
        int(line.split()[-1]) for line in result.stdout.strip().splitlines()[1:-1] if line[:1].isdigit()
    ]
    # 100 companies at each review, less any that left the market between its rank and
    # effective dates (the demo's count tiers replace nobody).
    assert counts and max(counts) == 100 and counts.count(100) >= len(counts) - 2 and min(counts) >= 98


def test_docs_python_examples_run(plugins: Plugins) -> None:
    for path in DOCS:
        for code in blocks(path, "python"):
            namespace: dict[str, object] = {}
            exec(compile(code, str(path), "exec"), namespace)
            if "definition" in namespace:
                load(namespace["definition"], plugins)  # type: ignore[arg-type]


def test_component_reference_is_current(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INDEXSMITH_DISABLE_PLUGIN_AUTOLOAD", "1")
    generated = CliRunner().invoke(cli, ["components", "--markdown"]).stdout
    committed = (ROOT / "docs" / "components.md").read_text(encoding="utf-8")
    assert committed == generated, "run: indexsmith components --markdown > docs/components.md"


def test_data_format_documents_every_column() -> None:
    text = (ROOT / "docs" / "data.md").read_text(encoding="utf-8")
    for table, columns in SCHEMA.items():
        assert f"## `{table}`" in text
        for column in columns:
            assert f"| `{column.name}` |" in text, f"{table}.{column.name} is not documented"


def test_cross_family_index_of_the_presets_page(demo, plugins: Plugins, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import indexsmith
    from indexsmith.definition import read_preset

    (text,) = blocks(ROOT / "docs" / "presets.md", "toml")
    result = indexsmith.build(parse_text(text, "toml", "presets.md"), demo, plugins=plugins)[
        "profitable-small-equal"
    ]
    c = result.constituents
    assert c["effective_date"].nunique() == 12  # quarterly, 2019-2021 on the small market
    assert set(c["bucket"]) == {"small"}
    assert c["weight"].max() <= 0.02 + 1e-12
    assert c.groupby("effective_date")["weight"].sum().round(12).eq(1).all()
    # Every company new to the family passed the profitability screen on its rank date. A
    # company ranked in another segment (large, micro) at the previous review is a family
    # incumbent: the addition rule does not apply to it when it moves into small.
    added = c[c["change"] == "addition"]
    ranks = sorted(c["rank_date"].unique())
    excluded = result.exclusions.groupby("rank_date")["security_id"].agg(set)
    checked = 0
    for rank_date, rows in added.groupby("rank_date"):
        view = demo.view(rank_date)
        ids = rows["security_id"]
        k = ranks.index(rank_date)
        if k:
            before = ranks[k - 1]
            ranked_before = set(demo.view(before).securities.index) - excluded.get(before, set())
            ids = ids[~ids.isin(ranked_before)]
        assert (view.ttm(ids) > 0).all()
        assert (view.latest_fundamental(ids, "net_income") > 0).all()
        checked += len(ids)
    assert checked > 50
    # The same file with packets of one half is refused, with the message the page shows.
    bad = tmp_path / "profitable-small-equal.toml"
    bad.write_text(text.replace("params.packet = 1  ", "params.packet = 0.5"))
    out = CliRunner().invoke(cli, ["validate", str(bad)])
    page = (ROOT / "docs" / "presets.md").read_text(encoding="utf-8")
    assert out.exit_code == 1
    assert out.output.strip().replace(str(bad), bad.name) in page
    # Every preset id of the page exists.
    for preset_id in re.findall(r"`([a-z0-9-]+-style)`", page):
        read_preset(preset_id)


@pytest.mark.parametrize("page", ["cli", "hooks"])
def test_generated_reference_pages_are_current(page: str) -> None:
    generated = CliRunner().invoke(cli, ["reference", page]).stdout
    assert (ROOT / "docs" / f"{page}.md").read_text(encoding="utf-8") == generated, (
        f"run: indexsmith reference {page} > docs/{page}.md"
    )


def test_every_docs_page_is_in_the_site_navigation() -> None:
    import yaml

    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    config = yaml.safe_load(nav)

    def pages(items: object) -> list[str]:
        out: list[str] = []
        for item in items if isinstance(items, list) else [items]:
            if isinstance(item, dict):
                for value in item.values():
                    out += pages(value)
            elif isinstance(item, str):
                out.append(item)
        return out

    listed = set(pages(config["nav"]))
    on_disk = {p.relative_to(ROOT / "docs").as_posix() for p in DOCS}
    assert on_disk == listed
