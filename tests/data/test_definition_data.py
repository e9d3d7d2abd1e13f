"""A definition file's top-level ``[data]`` table: the market source, its folder and params,
checked at their ``$.data`` paths and used when a command gets no ``--data``."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from tests.support import FIXTURES, run_cli

INDEX = """
[index]
id = "top-3"
schedule = { use = "quarterly-third-friday" }
ranking = { use = "company-market-cap" }
bucketing = { use = "count-tiers", params = { tiers = [ { name = "top", count = 3 } ] } }
weighting = { use = "equal" }
"""


@pytest.fixture(autouse=True)
def _no_third_party(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INDEXSMITH_DISABLE_PLUGIN_AUTOLOAD", "1")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURES / "crsp-sample", tmp_path / "wrds")
    return tmp_path


def test_a_definition_names_its_data_source_path_and_params(folder: Path) -> None:
    definition = folder / "top.toml"
    definition.write_text('[data]\nsource = "crsp"\npath = "wrds"\nparams = { float_factor = 0.9 }\n' + INDEX)
    code, stdout, stderr = run_cli("build", str(definition), "--out", str(folder / "named"))
    assert code == 0, stderr
    assert stdout == f"top-3: 8 reviews, 3-3 constituents -> {folder / 'named'}\n"
    # The same build as --data crsp:... --param float_factor=0.9 (the params were used).
    (folder / "plain.toml").write_text(INDEX)
    code, _, stderr = run_cli(
        "build",
        str(folder / "plain.toml"),
        "--data",
        f"crsp:{folder / 'wrds'}",
        "--param",
        "float_factor=0.9",
        "--out",
        str(folder / "given"),
    )
    assert code == 0, stderr
    named = pd.read_parquet(folder / "named" / "constituents.parquet")
    given = pd.read_parquet(folder / "given" / "constituents.parquet")
    pd.testing.assert_frame_equal(named, given)
    assert set(named["float_factor"]) == {0.9}
    # --data replaces the table.
    code, _, stderr = run_cli(
        "build", str(definition), "--data", f"crsp:{folder / 'wrds'}", "--out", str(folder / "over")
    )
    assert code == 0, stderr
    assert set(pd.read_parquet(folder / "over" / "constituents.parquet")["float_factor"]) == {1.0}


def test_every_problem_of_the_data_table_has_its_path(folder: Path, tmp_path: Path) -> None:
    definition = folder / "bad.toml"
    definition.write_text(
        '[data]\nsource = "crps"\npath = "nowhere"\nparams = { float_factr = 0.9 }\n' + INDEX
    )
    code, _, stderr = run_cli("validate", str(definition))
    assert code == 1
    assert stderr.splitlines() == [
        "error: no market-source named 'crps' at $.data.source in bad.toml — did you mean 'crsp'? Available: "
        "crsp, demo, dir, panel, yahoo (indexsmith 0.1.0) (list them with 'indexsmith market sources')",
        "error: market data 'nowhere' does not exist at $.data.path in bad.toml — write the folder of the "
        "data, relative to the definition file",
    ]
    definition.write_text('[data]\nsource = "crsp"\npath = "wrds"\nparams = { float_factr = 0.9 }\n' + INDEX)
    assert run_cli("validate", str(definition))[2].splitlines() == [
        "error: unknown param 'float_factr' at $.data.params.float_factr in bad.toml — did you mean "
        "'float_factor'? Params: share_codes, float_factor, fundamentals_units, rdq_fallback_days"
    ]
    elsewhere = tmp_path / "defs"
    elsewhere.mkdir()
    outside = elsewhere / "out.toml"
    outside.write_text(f'[data]\nsource = "crsp"\npath = "{folder / "wrds"}"\n' + INDEX)
    assert run_cli("validate", str(outside))[2].splitlines() == [
        f"error: market data '{folder / 'wrds'}' is outside the definition's folder {elsewhere} at $.data.path "
        f"in out.toml — put it beside the definition, or allow its folder with --allow-path {folder}",
    ]
    assert run_cli("validate", str(outside), "--allow-path", str(folder))[0] == 0
    outside.write_text('[data]\nsource = "crsp"\npath = "x"\nshare_codes = [10]\n' + INDEX)
    assert run_cli("validate", str(outside))[2].splitlines() == [
        "error: unknown key share_codes at $.data in out.toml",
    ]
    nested = INDEX.replace(
        'weighting = { use = "equal" }', 'weighting = { use = "equal" }\ndata = { path = "x" }'
    )
    outside.write_text(nested)
    assert run_cli("validate", str(outside))[2].splitlines() == [
        "error: 'data' is a top-level table, not a key of 'index' at $.index.data in out.toml — write it as [data]",
    ]
