"""Market sources: the vendor layouts in tests/data (synthetic values, real column names and
codes) converted, validated and built end to end, and every bad input with its message."""

from __future__ import annotations

import shutil
from pathlib import Path

import indexsmith
import pandas as pd
import pytest
from indexsmith import DataError, Plugins, hookimpl, open_market
from indexsmith.market import MarketSource, SourceTables
from indexsmith.testing import MarketSourceContract

from tests.support import FIXTURES, monthly_index, run_cli

CRSP = FIXTURES / "crsp-sample"
PANEL = FIXTURES / "panel-sample"
YAHOO = FIXTURES / "yahoo-sample"
XTKS = FIXTURES / "panel-xtks"


run = run_cli


@pytest.fixture(autouse=True)
def _no_third_party(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INDEXSMITH_DISABLE_PLUGIN_AUTOLOAD", "1")


@pytest.fixture(scope="module")
def crsp() -> indexsmith.Market:
    return open_market(f"crsp:{CRSP}", plugins=Plugins(autoload=False))


def copy(source: Path, tmp_path: Path) -> Path:
    target = tmp_path / source.name
    shutil.copytree(source, target)
    return target


# -- crsp --------------------------------------------------------------------------------------


def test_crsp_reads_codes_into_the_documented_tables(crsp: indexsmith.Market) -> None:
    dsf = pd.read_csv(CRSP / "dsf.csv", dtype={"PERMNO": str, "DATE": str})
    sec = crsp.securities.set_index("security_id")
    # SHRCD 73 (the ETF) is left out by default, the ADR that becomes common stock (10010)
    # is read for its latest SHRCD; two share classes share PERMCO 506.
    assert list(sec.index) == [
        "10001",
        "10002",
        "10003",
        "10004",
        "10005",
        "10006",
        "10007",
        "10008",
        "10010",
    ]
    assert sec.loc[["10006", "10007"], "company_id"].tolist() == ["506", "506"]
    assert sec.loc["10001", ["sector", "exchange", "security_type"]].tolist() == [
        "Information Technology",
        "XNAS",
        "common",
    ]
    assert sec.loc["10002", ["ticker", "sector", "exchange"]].tolist() == ["BETA", "Health Care", "XNYS"]
    # A negative PRC is a bid/ask average: the close is its absolute value.
    bid_ask = dsf[(dsf["PERMNO"] == "10002") & (dsf["PRC"] < 0)].iloc[0]
    view = crsp.view(pd.Timestamp(bid_ask["DATE"]))
    assert view.close(["10002"]).iloc[0] == -bid_ask["PRC"]
    # SHROUT is in thousands; company cap sums both classes of PERMCO 506.
    assert view.shares_outstanding(["10001"]).iloc[0] == 900_000_000
    both = view.market_cap(["10006", "10007"]).sum()
    assert view.company_market_cap(["10006"]).iloc[0] == pytest.approx(both)
    actions = crsp.corporate_actions.set_index(["security_id", "action"])
    assert actions.loc[("10001", "split"), "ratio"] == 1.5  # DISTCD 5523, FACSHR 0.5: 3-for-2
    spin = actions.loc[("10003", "spin-off")]
    gams = dsf[(dsf["PERMNO"] == "10004") & (dsf["DATE"] == "20200701")]["PRC"].iloc[0]
    assert spin["new_security_id"] == "10004" and spin["ratio"] == pytest.approx(12.0 / gams)
    # The cash merger: the last close times 1 + DLRET (0.25), dated on the last price.
    last = dsf[dsf["PERMNO"] == "10005"].iloc[-1]
    merger = actions.loc[("10005", "cash-acquisition")]
    assert merger["date"] == pd.Timestamp("2020-09-30") == sec.loc["10005", "delisting_date"]
    assert merger["cash"] == pytest.approx(last["PRC"] * 1.25)
    change = actions.loc[("10002", "ticker-change")]
    assert (change["date"], change["new_ticker"]) == (pd.Timestamp("2020-04-01"), "BTAX")
    dividends = crsp.dividends.set_index(["security_id", "ex_date"])
    assert dividends.loc[("10003", pd.Timestamp("2019-12-12")), "kind"] == "special"  # DISTCD 1272
    assert dividends.loc[("10001", pd.Timestamp("2019-03-14")), ["amount", "kind"]].tolist() == [
        0.45,
        "regular",
    ]


def test_crsp_fundamentals_are_point_in_time_through_the_link_table(crsp: indexsmith.Market) -> None:
    # ALFA (GVKEY 001001) reports 290 a quarter (NIQ, millions); its 2019Q4 is restated to
    # 200 on 2020-05-06, after that quarter's RDQ (2020-02-04): before the restatement is
    # known the trailing four quarters are 4 x 290, after it 3 x 290 + 200 (counted once).
    before, after = crsp.view("2020-05-05"), crsp.view("2020-05-06")
    assert before.ttm(["10001"]).iloc[0] == pytest.approx(1160e6)
    assert after.ttm(["10001"]).iloc[0] == pytest.approx(1070e6)
    assert after.latest_fundamental(["10001"], "net_income").iloc[0] == pytest.approx(290e6)  # 2020Q1
    # The second share class (LINKPRIM C) carries its company's figures.
    assert after.ttm(["10006", "10007"]).tolist() == pytest.approx([4 * 490e6, 4 * 490e6])
    # Not known before its RDQ: the 2018Q1 report (RDQ 2018-05-05) is the first.
    assert crsp.view("2019-01-02").trailing_quarters(["10001"], "net_income").notna().sum(axis=1).iloc[0] == 3


def test_build_sp_500_style_on_crsp_from_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "r"
    code, stdout, stderr = run("build", "sp-500-style", "--data", f"crsp:{CRSP}", "--out", str(out))
    assert code == 0, stderr
    assert stdout.splitlines() == [f"sp-500-style: 8 reviews, 6-7 constituents -> {out}"]
    adjustments = pd.read_parquet(out / "adjustments.parquet")
    assert set(adjustments["event"]) >= {"split", "spin-off", "cash acquisition", "special dividend"}
    run_info = (out / "run.json").read_text()
    assert f'"source": "crsp:{CRSP}"' in run_info


def test_market_import_writes_the_documented_format_once(tmp_path: Path, crsp: indexsmith.Market) -> None:
    out = tmp_path / "imported"
    code, stdout, _ = run("market", "import", f"crsp:{CRSP}", "--out", str(out))
    assert code == 0
    assert stdout.splitlines()[0] == (
        f"imported crsp:{CRSP} to {out}: securities 9 rows, prices 4,104 rows, shares 18 rows, "
        "dividends 43 rows, corporate_actions 4 rows, security_history 3 rows, fundamentals 80 rows"
    )
    assert indexsmith.load_market(out).fingerprint() == crsp.fingerprint()
    # A second import into the now non-empty folder is refused before any work.
    code, _, stderr = run("market", "import", f"crsp:{CRSP}", "--out", str(out))
    assert code == 1 and stderr.startswith(f"error: output folder {out} is not empty")


def test_market_sources_lists_each_source_with_plugin_and_version() -> None:
    code, stdout, _ = run("market", "sources", "--json")
    assert code == 0
    import json

    rows = {row["name"]: row for row in json.loads(stdout)}
    assert sorted(rows) == ["crsp", "demo", "dir", "panel", "yahoo"]
    assert rows["crsp"]["plugin"] == "indexsmith_plugins.sources.crsp"
    assert (rows["crsp"]["distribution"], rows["crsp"]["version"]) == ("indexsmith", indexsmith.__version__)
    assert rows["crsp"]["files"] == ["dsf", "stocknames", "dsedist", "dsedelist", "fundq", "ccmxpf_linktable"]
    assert [p["name"] for p in rows["crsp"]["params"]] == [
        "share_codes",
        "float_factor",
        "fundamentals_units",
        "rdq_fallback_days",
    ]


def test_crsp_unknown_codes_are_reported_with_file_and_row(tmp_path: Path) -> None:
    folder = copy(CRSP, tmp_path)
    names = pd.read_csv(folder / "stocknames.csv")
    names.loc[0, "SHRCD"] = 99
    names.loc[2, "EXCHCD"] = 19
    names.to_csv(folder / "stocknames.csv", index=False)
    dist = pd.read_csv(folder / "dsedist.csv")
    dist.loc[8, "DISTCD"] = 4232
    dist.to_csv(folder / "dsedist.csv", index=False)
    with pytest.raises(DataError) as caught:
        open_market(f"crsp:{folder}", plugins=Plugins(autoload=False))
    assert caught.value.lines() == [
        f"SHRCD 99 of PERMNO 10001 is not a CRSP share code the source knows at stocknames.csv row 1 in crsp:{folder}"
        " — the crsp source knows 10, 11, 12, 13, 14, 15, 16, 17, 18, 20, 21, 23, 30, 31, 32, 40, 41, 42, 43, 44,"
        " 48, 70, 71, 72, 73, 74, 75",
        f"EXCHCD 19 of PERMNO 10002 is not an exchange code the source knows at stocknames.csv row 3 in crsp:{folder}"
        " — the crsp source reads EXCHCD 1 (XNYS), 2 (XASE), 3 (XNAS), 4 (ARCX), 31-33 (when-issued), 0, -1, -2"
        " (off the exchanges: OTC)",
        f"DISTCD 4232 of PERMNO 10002 is not a distribution code the source knows at dsedist.csv row 9 in "
        f"crsp:{folder} — the crsp source reads DISTCD 1xxx (cash), 2xxx (liquidating), 3xxx (exchanges), "
        "5xxx (splits), 6xxx (issuance)",
    ]


def test_crsp_negative_dividend_and_zero_split_are_refused_with_the_vendor_row(tmp_path: Path) -> None:
    folder = copy(CRSP, tmp_path)
    dist = pd.read_csv(folder / "dsedist.csv")
    dist.loc[3, "DIVAMT"] = -0.45
    split = dist.index[dist["DISTCD"] == 5523][0]
    dist.loc[split, "FACSHR"] = -1.0
    dist.to_csv(folder / "dsedist.csv", index=False)
    with pytest.raises(DataError) as caught:
        open_market(f"crsp:{folder}", plugins=Plugins(autoload=False))
    assert caught.value.lines() == [
        f"dividend amount -0.45 for 10001 on 2019-12-12 is not > 0 at dsedist.csv row 4 in crsp:{folder} — a cash "
        "dividend is a positive amount per share: remove the row (a charge or a reversal is not a dividend)",
        f"split ratio 0.0 for 10001 on 2020-06-15 is not > 0 at dsedist.csv row {split + 1} in crsp:{folder} — "
        "write new shares per old share: 2.0 for 2-for-1, 1.5 for 3-for-2, 0.1 for 1-for-10",
    ]


class TestBuiltInSources(MarketSourceContract):
    @pytest.fixture(params=["crsp", "panel", "yahoo", "dir"])
    def source(self, request: pytest.FixtureRequest) -> MarketSource:
        self.name = request.param
        return Plugins(autoload=False).source(request.param).cls()  # type: ignore[no-any-return]

    @pytest.fixture
    def location(self, source: MarketSource, tmp_path: Path) -> Path:
        if self.name == "dir":
            run("market", "import", f"panel:{PANEL}", "--out", str(tmp_path / "dir"))
            return tmp_path / "dir"
        return {"crsp": CRSP, "panel": PANEL, "yahoo": YAHOO}[self.name]


# -- panel and yahoo ---------------------------------------------------------------------------


def test_panel_rolls_snapshot_shares_through_splits_and_builds() -> None:
    market = open_market(f"panel:{PANEL}", plugins=Plugins(autoload=False))
    closes = pd.read_csv(PANEL / "close.csv", index_col="date")
    view = market.view("2020-03-02")
    assert view.close(["AAA"]).iloc[0] == closes.loc["2020-03-02", "AAA"]
    # 1,000,000 shares on 2020-01-02, a 2-for-1 split on 2020-03-02: 2,000,000 from then
    # until the next snapshot (2,100,000 on 2020-05-01).
    assert market.view("2020-02-28").shares_outstanding(["AAA"]).iloc[0] == 1_000_000
    assert view.shares_outstanding(["AAA"]).iloc[0] == 2_000_000
    assert market.view("2020-05-01").shares_outstanding(["AAA"]).iloc[0] == 2_100_000
    assert market.securities.set_index("security_id").loc["CCC", "listing_date"] == pd.Timestamp("2020-02-03")
    result = indexsmith.build(monthly_index(), f"panel:{PANEL}", plugins=Plugins(autoload=False))["t"]
    members = result.constituents.groupby("effective_date")["security_id"].apply(
        lambda s: " ".join(sorted(s))
    )
    assert members.iloc[0] == "AAA BBB" and members.iloc[-1] == "AAA BBB CCC"


def test_yahoo_unadjusts_closes_dividends_and_volume_from_the_splits() -> None:
    market = open_market(f"yahoo:{YAHOO}", plugins=Plugins(autoload=False))
    adjusted = pd.read_csv(YAHOO / "AAA.csv", index_col="Date")
    before, after = market.view("2020-08-28"), market.view("2020-08-31")
    # A 4-for-1 split on 2020-08-31: the closes before it were divided by 4 in the download.
    assert before.close(["AAA"]).iloc[0] == pytest.approx(4 * adjusted.loc["2020-08-28", "Close"])
    assert after.close(["AAA"]).iloc[0] == adjusted.loc["2020-08-31", "Close"]
    assert before.average_volume(["AAA"], 1).iloc[0] == 5_000_000 / 4
    dividend = market.dividends.set_index("security_id").loc["AAA"]
    assert (dividend["ex_date"], dividend["amount"]) == (pd.Timestamp("2020-08-07"), pytest.approx(0.82))
    # The snapshot of 1,075,000,000 shares (2020-06-01) rolls through the split.
    assert before.shares_outstanding(["AAA"]).iloc[0] == 1_075_000_000
    assert after.shares_outstanding(["AAA"]).iloc[0] == 4_300_000_000
    # The market cap is continuous through the split.
    assert after.market_cap(["AAA"]).iloc[0] / before.market_cap(["AAA"]).iloc[0] == pytest.approx(
        adjusted.loc["2020-08-31", "Close"] / adjusted.loc["2020-08-28", "Close"]
    )


def test_a_non_us_market_on_the_tokyo_calendar() -> None:
    # The example of docs/sources/panel.md, on tests/data/panel-xtks (JPY, XTKS sessions).
    from indexsmith.definition import parse_text

    from tests.test_docs import ROOT, blocks

    (text,) = blocks(ROOT / "docs" / "sources" / "panel.md", "toml")
    result = indexsmith.build(
        parse_text(text, "toml", "panel.md"), f"panel:{XTKS}", plugins=Plugins(autoload=False)
    )
    constituents = result["tokyo-cap"].constituents
    # Month ends of the Tokyo calendar: 2021-01-29 (Fri), 2021-04-30 (Fri; Golden Week follows).
    dates = constituents["effective_date"].dt.strftime("%Y-%m-%d").unique().tolist()
    assert dates == ["2021-01-29", "2021-02-26", "2021-03-31", "2021-04-30", "2021-05-31", "2021-06-30"]
    first = constituents[constituents["effective_date"] == "2021-01-29"].set_index("security_id")
    view = open_market(f"panel:{XTKS}", "XTKS", plugins=Plugins(autoload=False)).view("2021-01-29")
    caps = view.market_cap(first.index)
    assert first["weight"].to_dict() == pytest.approx((caps / caps.sum()).to_dict())
    assert view.securities["currency"].unique().tolist() == ["JPY"]


# -- bad input ---------------------------------------------------------------------------------


def test_an_unknown_source_has_a_did_you_mean() -> None:
    with pytest.raises(DataError) as caught:
        open_market("crps:~/wrds", plugins=Plugins(autoload=False))
    assert caught.value.lines() == [
        "no market-source named 'crps' at --data crps:~/wrds — did you mean 'crsp'? Available: crsp, demo, dir, "
        "panel, yahoo (indexsmith 0.1.0) (list them with 'indexsmith market sources')"
    ]


def test_panel_dividend_above_the_price_and_a_zero_split_name_their_rows(tmp_path: Path) -> None:
    folder = copy(PANEL, tmp_path)
    (folder / "dividends.csv").write_text("date,ticker,amount\n2020-03-16,BBB,0.5\n2020-04-01,BBB,75\n")
    (folder / "splits.csv").write_text("date,ticker,ratio\n2020-03-02,AAA,0\n")
    with pytest.raises(DataError) as caught:
        open_market(f"panel:{folder}", plugins=Plugins(autoload=False))
    assert caught.value.lines() == [
        f"dividend amount 75.0 for BBB on 2020-04-01 is not below the previous close (on the shares after a split that day) at dividends.csv row 2 in "
        f"panel:{folder} — check the amount's units and currency; a distribution worth the whole share is a "
        "delisting or an exchange",
        f"split ratio 0.0 for AAA on 2020-03-02 is not > 0 at splits.csv row 1 in panel:{folder} — write new "
        "shares per old share: 2.0 for 2-for-1, 1.5 for 3-for-2, 0.1 for 1-for-10",
    ]


def test_vocabulary_is_checked_with_did_you_mean_or_declared(tmp_path: Path) -> None:
    folder = copy(PANEL, tmp_path)
    securities = pd.read_csv(folder / "securities.csv")
    securities["sector"] = ["Informaton Technology", "Utilities", "Informaton Technology"]
    securities["exchange"] = ["NASDAQ", "XNYS", "XNYS"]
    securities.to_csv(folder / "securities.csv", index=False)
    with pytest.raises(DataError) as caught:
        open_market(f"panel:{folder}", plugins=Plugins(autoload=False))
    sectors = ", ".join(indexsmith.market.VOCABULARY["sector"])
    assert caught.value.lines() == [
        f"sector 'Informaton Technology' is not a known sector at securities.csv 2 rows, first 1 in panel:{folder}"
        f" — did you mean 'Information Technology'? use one of {sectors}, or declare the value in the "
        "definition's vocabulary (sector = [...])",
        f"exchange 'NASDAQ' is not a known exchange at securities.csv row 1 in panel:{folder} — did you mean "
        "'XNAS'? use one of XNYS, "
        "XNAS, XASE, ARCX, OTC, or declare the value in the definition's vocabulary (exchange = [...])",
    ]
    # A definition that declares its own lists builds on the same data.
    definition = monthly_index()
    definition["index"]["vocabulary"] = {
        "sector": ["Informaton Technology", "Utilities"],
        "exchange": ["NASDAQ", "XNYS"],
    }
    result = indexsmith.build(definition, f"panel:{folder}", plugins=Plugins(autoload=False))
    assert len(result["t"].constituents) > 0


def test_one_currency_per_market(tmp_path: Path) -> None:
    folder = copy(XTKS, tmp_path)
    securities = pd.read_csv(folder / "securities.csv", dtype=str)
    securities.loc[3, "currency"] = "USD"
    securities.to_csv(folder / "securities.csv", index=False)
    with pytest.raises(DataError) as caught:
        open_market(f"panel:{folder}", "XTKS", plugins=Plugins(autoload=False))
    assert caught.value.lines() == [
        f"the securities have 2 currencies (JPY, USD; empty counts as USD) at securities.csv row 4 in "
        f"panel:{folder} — a market holds one currency: convert prices and amounts, or load each market separately"
    ]


def test_a_security_without_shares_on_the_rank_date_is_a_data_error(tmp_path: Path) -> None:
    folder = copy(PANEL, tmp_path)
    (folder / "shares.csv").write_text("date,AAA,BBB,CCC\n2020-01-02,1000000,,\n2020-02-03,,,500000\n")
    definition = monthly_index()
    with pytest.raises(DataError) as caught:
        indexsmith.build(definition, f"panel:{folder}", plugins=Plugins(autoload=False))
    assert caught.value.lines() == [
        "security BBB is listed with a price but no shares_outstanding or float_factor: the shares table has no "
        f"row dated on or before 2020-01-31 at the review with rank date 2020-01-31 in panel:{folder} — add a "
        'shares row for it dated on or before the rank date, or set missing_data = "exclude" in the definition '
        "to leave such securities out with this reason"
    ]
    definition["index"]["missing_data"] = "exclude"
    result = indexsmith.build(definition, f"panel:{folder}", plugins=Plugins(autoload=False))["t"]
    assert "BBB" not in set(result.constituents["security_id"])
    excluded = result.exclusions[result.exclusions["security_id"] == "BBB"].iloc[0]
    assert (excluded["screen"], excluded["reason"]) == (
        "data",
        "no shares_outstanding or float_factor: the shares table has no row dated on or before 2020-01-31",
    )


def test_a_source_registered_by_a_plugin(tmp_path: Path) -> None:
    import attrs

    @attrs.frozen(kw_only=True)
    class Copy(MarketSource):
        """Reads a folder of the documented format (as a third-party source would)."""

        def read(self, location: Path, calendar: indexsmith.TradingCalendar) -> SourceTables:
            return Plugins(autoload=False).source("dir").cls().read(location, calendar)  # type: ignore[no-any-return]

    class Plugin:
        @hookimpl
        def indexsmith_register_market_sources(self, register: indexsmith.Register) -> None:
            register("copy", Copy)

    plugins = Plugins(autoload=False)
    plugins.register(Plugin(), name="copy-plugin")
    run("market", "import", f"panel:{PANEL}", "--out", str(tmp_path / "dir"))
    market = open_market(f"copy:{tmp_path / 'dir'}", plugins=plugins)
    assert market.source == f"copy:{tmp_path / 'dir'}" and len(market.securities) == 3
    with pytest.raises(indexsmith.PluginError, match="market-source name 'copy' is registered twice"):
        plugins.add("market-source", "copy", Copy)


def test_yahoo_reads_per_ticker_action_files(tmp_path: Path) -> None:
    folder = copy(YAHOO, tmp_path)
    actions = pd.read_csv(folder / "actions.csv", dtype=str)
    (folder / "actions.csv").unlink()
    for ticker, rows in actions.groupby("Ticker"):
        rows.drop(columns="Ticker").to_csv(folder / f"{ticker}_actions.csv", index=False)
    shared = open_market(f"yahoo:{YAHOO}", plugins=Plugins(autoload=False))
    own = open_market(f"yahoo:{folder}", plugins=Plugins(autoload=False))
    assert own.fingerprint() == shared.fingerprint()  # the same dividends and 4-for-1 split
    # A ticker in both layouts, an actions file without prices: every problem at once; then
    # a bad value names its own file and row.
    actions.to_csv(folder / "actions.csv", index=False)
    (folder / "CCC_actions.csv").write_text("Date,Dividends,Stock Splits\n2020-09-01,0.1,0\n")
    (folder / "BBB_actions.csv").write_text("Date,Dividends,Stock Splits\n2020-09-15,0.3,-2\n")
    with pytest.raises(DataError) as caught:
        open_market(f"yahoo:{folder}", plugins=Plugins(autoload=False))
    assert [line.replace(str(folder), "F") for line in caught.value.lines()] == [
        "ticker AAA has actions in both actions.csv and AAA_actions.csv at F in yahoo:F — keep them in one of "
        "the two (every dividend and split would count twice)",
        "ticker BBB has actions in both actions.csv and BBB_actions.csv at F in yahoo:F — keep them in one of "
        "the two (every dividend and split would count twice)",
        "CCC_actions.csv is the actions file of a ticker without a price file at F in yahoo:F — add CCC.csv, "
        "or remove the actions file",
    ]
    (folder / "actions.csv").unlink()
    (folder / "CCC_actions.csv").unlink()
    with pytest.raises(DataError) as caught:
        open_market(f"yahoo:{folder}", plugins=Plugins(autoload=False))
    assert [line.replace(str(folder), "F") for line in caught.value.lines()] == [
        "Stock Splits -2 for BBB is negative at BBB_actions.csv row 1 in yahoo:F — write new shares per old "
        "share (4 for 4-for-1, 0.1 for 1-for-10), 0 for no split",
    ]
