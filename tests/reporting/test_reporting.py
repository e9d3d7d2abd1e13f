"""compare, report and explain: the commands that answer the user's questions."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import indexsmith
import pytest
from click.testing import CliRunner
from indexsmith import Market, Plugins
from indexsmith.cli import cli
from indexsmith.reporting.factsheet import CHARTS, COMPARISON_PAGES


@pytest.fixture(scope="module")
def built(demo: Market, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """demo-tiers on the small market, and demo-large alone from mid-2020."""
    out = tmp_path_factory.mktemp("results")
    indexsmith.build("demo-tiers", demo, plugins=Plugins(autoload=False)).write(out / "tiers")
    import datetime as dt

    indexsmith.build("demo-large", demo, plugins=Plugins(autoload=False), start=dt.date(2020, 6, 1)).write(
        out / "late"
    )
    return out


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_compare_aligns_dates_and_exports(built: Path) -> None:
    code, out, err = run("compare", str(built / "tiers"), str(built / "late"), "--format", "json")
    assert code == 0, err
    table = json.loads(out)
    assert set(table) == {"demo-large", "demo-small", "demo-broad-equal", str(built / "late")}
    # One note for the date alignment, however many results it cuts.
    assert err == (
        "note: compared on the dates all 4 results share, 2020-06-19..2021-12-31 (3 cover more: "
        "demo-broad-equal 2019-03-15..2021-12-31, demo-large 2019-03-15..2021-12-31, "
        "demo-small 2019-03-15..2021-12-31)\n"
    )
    large = table["demo-large"]
    assert large["constituents (last review)"] == 100
    assert 0 < large["top-10 weight"] < 1
    # From 2020-06-19 the 2020 crash window is not covered: no row for it.
    assert "2020 crash: drawdown" not in large
    # The same index over the same dates gives the same statistics.
    assert table[str(built / "late")]["total return"] == pytest.approx(large["total return"])
    assert table["demo-small"]["weight overlap with demo-broad-equal"] > 0
    code, csv, _ = run("compare", str(built / "tiers"), "--format", "csv")
    assert csv.splitlines()[0] == "statistic,name,unit,demo-broad-equal,demo-large,demo-small"


def test_compare_reports_every_statistic_by_its_unit(built: Path) -> None:
    import io

    import pandas as pd

    code, csv, err = run("compare", str(built / "tiers"), "--format", "csv", "--benchmark", "demo-large")
    assert code == 0 and err == "", err
    frame = pd.read_csv(io.StringIO(csv), index_col="statistic")
    small = frame["demo-small"]
    # 2019-03-15..2021-12-31 covers the 2020 crash and the whole of 2020 and 2021.
    assert {
        "2020 crash: drawdown",
        "2020 crash: months to regain the peak",
        "2020 return",
        "2021 return",
    } <= set(frame.index)
    assert "2019 return" not in frame.index and "2008-09 crisis: drawdown" not in frame.index
    assert float(small["2020 crash: drawdown"]) < -0.2
    assert frame.loc["return lost to a 0.03% fee / year", "unit"] == "bps"
    # In basis points, not "0.0%": a 3 bp fee costs 3 bp x (1 + the annualised return).
    growth = 1 + float(small["annualised return"])
    assert float(small["return lost to a 0.03% fee / year"]) == pytest.approx(3 * growth, rel=0.01)
    # Providers' P/E leaves loss-makers out; with them the ratio is higher, or not
    # meaningful at all when the losses outweigh the profits (empty, never a huge number).
    assert float(small["loss-making (weight)"]) > 0
    with_losses = float(small["P/E (with losses)"])
    assert 10 < float(small["P/E (positive earnings)"]) < 30
    assert with_losses != with_losses or with_losses > float(small["P/E (positive earnings)"])
    # Relative rows are against the chosen benchmark.
    assert "beta to demo-large" in frame.index and pd.isna(frame.loc["beta to demo-large", "demo-large"])
    code, _, err = run("compare", str(built / "tiers"), "--benchmark", "nope")
    assert code == 1
    assert err == (
        "error: benchmark 'nope' is not among the results: use one of demo-broad-equal, demo-large, demo-small\n"
    )
    code, out, err = run("compare", str(built / "tiers"))
    assert code == 0
    header = next(line for line in out.splitlines() if "index" in line)
    assert all(
        h in header for h in ("ann.ret", "2020 DD", "2020 mo", "P/E", "loss wt", "yield", "beta", "TE")
    )
    assert "note:" not in err


def test_compare_names_a_missing_file(built: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(built / "tiers" / "demo-large", broken)
    (broken / "levels.parquet").unlink()
    code, _, err = run("compare", str(broken))
    assert code == 1
    assert err.strip() == (
        f"error: result folder {broken} is missing levels.parquet — build it again with 'indexsmith build' "
        "(an interrupted or older build leaves folders incomplete)"
    )
    code, _, err = run("compare", str(tmp_path / "nowhere"))
    assert "does not exist" in err and code == 1


def test_report_is_self_contained_and_deterministic(built: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "a.html", tmp_path / "b.html"
    assert run("report", str(built / "tiers"), "--out", str(a))[0] == 0
    assert run("report", str(built / "tiers"), "--out", str(b))[0] == 0
    page = a.read_text(encoding="utf-8")
    assert a.read_bytes() == b.read_bytes()
    assert re.findall(r'data-chart="([a-z]+)"', page) == list(CHARTS)
    assert page.count("<svg") == len(CHARTS)
    assert "<script" not in page and not re.search(r'(src|href)="https?://', page)
    for section in (
        "Summary",
        "Key facts",
        "Trailing returns",
        "Risk",
        "Calendar-year returns",
        "Top-10 holdings",
    ):
        assert section in page
    assert page.count('data-page="index"') == 3  # one page per index
    assert "P/E (positive earnings)" in page and ">nan<" not in page


@pytest.mark.skipif(
    not (shutil.which("chromium") or shutil.which("chromium-browser")),
    reason="headless Chromium is not installed (Debian package 'chromium'); the factsheet test needs it",
)
def test_report_prints_one_page_per_index_and_the_comparison_pages(built: Path, tmp_path: Path) -> None:
    page = tmp_path / "factsheet.html"
    run("report", str(built / "tiers"), "--out", str(page))
    browser = str(shutil.which("chromium") or shutil.which("chromium-browser"))
    flags = ["--headless", "--no-sandbox", "--disable-gpu"]
    dom = subprocess.run(
        [browser, *flags, "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert dom.count("<svg") == len(CHARTS)
    assert dom.count('data-page="index"') == 3
    pdf = tmp_path / "factsheet.pdf"
    subprocess.run(
        [browser, *flags, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    # Print CSS: each index on its own page (3), then the summary and the comparison
    # pages; nothing spills onto an extra page.
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))
    assert pages == 3 + 1 + len(COMPARISON_PAGES)


def test_explain_a_member_and_bad_input(demo: Market, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INDEXSMITH_DISABLE_PLUGIN_AUTOLOAD", "1")
    from indexsmith.definition import load
    from indexsmith.reporting.explain import explain

    methodology = load("demo-tiers", Plugins(autoload=False))
    import datetime as dt

    ranked = indexsmith.build(methodology, demo, end=dt.date(2021, 6, 30), calculate=False)["demo-small"]
    last = ranked.constituents[
        ranked.constituents["effective_date"] == ranked.constituents["effective_date"].max()
    ]
    member = last.sort_values("rank").iloc[0]
    lines = explain(methodology, demo, member["ticker"], dt.date(2021, 6, 30))
    assert lines[0].startswith(f"{member['security_id']} ({member['ticker']}")
    assert f"rank {member['rank']:,} of " in lines[2]
    assert any(line.strip().startswith("bucket: small") for line in lines)
    assert f"  demo-small: member, weight {member['weight']:.4%}" in lines
    with pytest.raises(
        indexsmith.DefinitionError, match=r"security 'S00001' is not in the market data .* did you mean"
    ):
        explain(methodology, demo, "S00001", dt.date(2021, 6, 30))
    with pytest.raises(
        indexsmith.DefinitionError, match=r"no review .* in force on 2018-01-01 .* try --date 2019-03-15"
    ):
        explain(methodology, demo, member["ticker"], dt.date(2018, 1, 1))


def test_compare_finds_indices_below_a_folder(built: Path) -> None:
    # The demo writes <out>/<family>/<index>/: compare <out> takes every index below it.
    code, out, err = run("compare", str(built), "--format", "json")
    assert code == 0, err
    assert len(json.loads(out)) == 4


def test_explain_reads_decided_reviews_and_says_why_a_security_left(
    demo: Market, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import datetime as dt

    from indexsmith import engine
    from indexsmith.definition import load
    from indexsmith.reporting.explain import explain

    monkeypatch.setenv("INDEXSMITH_CACHE_DIR", str(tmp_path / "cache"))
    methodology = load("demo-tiers", Plugins(autoload=False))
    # S000447 (EJ) was a member of the review in force until 2021-06-18 and delisted on
    # 2021-06-17; S000172 (RYLI) was bought for cash on 2021-06-16.
    lines = explain(methodology, demo, "S000447", dt.date(2021, 6, 17))
    assert lines[0].startswith("S000447 (EJ, ") and "ranked 2021-03-12, effective 2021-03-19" in lines[0]
    assert lines[-1] == (
        "  since then: it left the market — delisted (voluntary), last close 2021-06-17 — and every index "
        "at that close"
    )
    held = sorted((tmp_path / "cache" / "reviews").glob("demo-tiers-*/*.pickle"))
    assert len(held) == 9  # the reviews 2019-03 .. 2021-03, decided once
    calls = []
    real_run = engine.run
    monkeypatch.setattr(engine, "run", lambda *a, **k: calls.append(1) or real_run(*a, **k))
    again = explain(methodology, demo, "S000447", dt.date(2021, 6, 17))
    assert again == lines and calls == []  # read from the decided reviews, not rebuilt
    later = explain(methodology, demo, "RYLI", dt.date(2021, 9, 20))
    assert calls == [1]  # a later review: the family is built up to it once more
    assert later[1] == (
        "  not listed on the rank date: it left the market before it (cash acquisition at $30.06, last "
        "close 2021-06-16)"
    )
    assert len(sorted((tmp_path / "cache" / "reviews").glob("demo-tiers-*/*.pickle"))) == 11
