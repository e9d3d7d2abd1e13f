"""Reference values point in time (``security_history``): the securities table holds a
security's ticker, name, sector, industry, exchange and type at listing, history rows change
them from a date on, and the view, the screens and the ranking see the values in force on
the rank date. The crsp fixture's KAPA (PERMNO 10010) is an ADR on XASE, moves to XNYS on
2019-10-01 and becomes common stock of another sector on 2020-04-01."""

from __future__ import annotations

from pathlib import Path

import indexsmith
import pandas as pd
import pytest
from indexsmith import DataError, Market, Plugins, open_market
from indexsmith.data.reference import reference_changes, ticker_history, tickers_on
from indexsmith.market import load_market

from tests.support import FIXTURES, monthly_index, run_cli, tiny_frames

CRSP = FIXTURES / "crsp-sample"
REFERENCE = ["ticker", "name", "sector", "exchange", "security_type"]


@pytest.fixture(autouse=True)
def _no_third_party(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INDEXSMITH_DISABLE_PLUGIN_AUTOLOAD", "1")


@pytest.fixture(scope="module")
def crsp() -> Market:
    return open_market(f"crsp:{CRSP}", plugins=Plugins(autoload=False))


def test_crsp_names_history_becomes_values_at_listing_and_dated_changes(crsp: Market) -> None:
    kapa = crsp.securities.set_index("security_id").loc["10010"]
    # The securities table holds the names row in force at the first price (2019-01-02).
    assert kapa[REFERENCE].tolist() == ["KAPA", "KAPA PHARMA PLC ADR", "Health Care", "XASE", "ADR"]
    history = crsp.security_history
    rows = history[history["security_id"] == "10010"].set_index("date")
    # Each later names row names only what it changes (EXCHCD 2 -> 1; then SHRCD 31 -> 11,
    # SICCD 2834 -> 7372 and COMNAM); TICKER changes stay ticker-change actions.
    assert rows.index.tolist() == [pd.Timestamp("2019-10-01"), pd.Timestamp("2020-04-01")]
    assert rows.loc["2019-10-01"].dropna().to_dict() == {"security_id": "10010", "exchange": "XNYS"}
    assert rows.loc["2020-04-01"].dropna().to_dict() == {
        "security_id": "10010",
        "name": "KAPA SOFTWARE INC",
        "sector": "Information Technology",
        "security_type": "common",
    }
    # BETA's new COMNAM comes with its ticker change (BETA -> BTAX) on 2020-04-01.
    beta = history[history["security_id"] == "10002"]
    assert beta[["date", "name"]].values.tolist() == [[pd.Timestamp("2020-04-01"), "BETA THERAPEUTICS INC"]]
    seen = {
        day: crsp.view(day).securities.loc["10010", REFERENCE[2:]].tolist()
        for day in ("2019-09-30", "2019-10-01", "2020-03-31", "2020-04-01")
    }
    assert seen == {
        "2019-09-30": ["Health Care", "XASE", "ADR"],
        "2019-10-01": ["Health Care", "XNYS", "ADR"],
        "2020-03-31": ["Health Care", "XNYS", "ADR"],
        "2020-04-01": ["Information Technology", "XNYS", "common"],
    }
    assert crsp.view("2020-04-01").securities.loc["10002", ["ticker", "name"]].tolist() == [
        "BTAX",
        "BETA THERAPEUTICS INC",
    ]


def test_exchange_and_type_screens_use_the_values_in_force_on_each_rank_date(crsp: Market) -> None:
    definition = monthly_index(
        "pit",
        schedule={
            "use": "quarterly-third-friday",
            "params": {"rank_lag_sessions": 5, "announce_lag_sessions": 3},
        },
        bucketing={"use": "count-tiers", "params": {"tiers": [{"name": "top", "count": 3}]}},
        universe=[
            {"use": "exchanges", "params": {"include": ["XNYS", "XNAS"]}},
            {"use": "security-types", "params": {"include": ["common"]}},
        ],
    )
    result = indexsmith.build(definition, crsp, plugins=Plugins(autoload=False))["pit"]
    excluded = result.exclusions[result.exclusions["security_id"] == "10010"]
    # On XASE until 2019-10-01: the exchange screen removes it; on XNYS but an ADR until
    # 2020-04-01: the security-type screen does.
    assert [(f"{d:%Y-%m-%d}", r) for d, r in zip(excluded["rank_date"], excluded["reason"], strict=True)] == [
        ("2019-03-08", "exchange XASE not eligible"),
        ("2019-06-14", "exchange XASE not eligible"),
        ("2019-09-13", "exchange XASE not eligible"),
        ("2019-12-13", "security_type ADR not eligible"),
        ("2020-03-13", "security_type ADR not eligible"),
    ]
    # Common stock from 2020-04-01, the largest company (3.0bn shares near $100): first in
    # rank at the three reviews after, in its new sector.
    kapa = result.constituents[result.constituents["security_id"] == "10010"]
    assert [f"{d:%Y-%m-%d}" for d in kapa["rank_date"]] == ["2020-06-12", "2020-09-11", "2020-12-11"]
    assert kapa["rank"].tolist() == [1, 1, 1]
    assert set(kapa["sector"]) == {"Information Technology"}
    tickers = result.constituents.groupby("rank_date")["ticker"].apply(lambda s: " ".join(sorted(s)))
    assert tickers.tolist() == [*["ALFA BETA EPSA EPSB"] * 5, *["ALFA BTAX KAPA"] * 3]


def test_market_import_writes_the_history_and_reads_it_back(tmp_path: Path, crsp: Market) -> None:
    out = tmp_path / "imported"
    code, stdout, stderr = run_cli("market", "import", f"crsp:{CRSP}", "--out", str(out), "--format", "csv")
    assert code == 0, stderr
    assert "security_history 3 rows" in stdout
    assert (out / "security_history.csv").read_text().splitlines() == [
        "date,security_id,ticker,name,sector,industry,exchange,security_type",
        "2019-10-01,10010,,,,,XNYS,",
        "2020-04-01,10002,,BETA THERAPEUTICS INC,,,,",
        "2020-04-01,10010,,KAPA SOFTWARE INC,Information Technology,,,common",
    ]
    assert load_market(out).fingerprint() == crsp.fingerprint()


def test_a_history_ticker_is_the_ticker_in_force(tmp_path: Path) -> None:
    frames = tiny_frames({"A": [10.0] * 30, "B": [20.0] * 30})
    frames["security_history"] = pd.DataFrame(
        {"date": ["2024-01-17"], "security_id": ["A"], "ticker": ["AX"], "industry": ["Machinery"]}
    )
    market = Market.from_frames(frames)
    before, after = market.view("2024-01-16"), market.view("2024-01-17")
    assert before.securities.loc["A", ["ticker", "industry"]].tolist() == ["A", ""]
    assert after.securities.loc["A", ["ticker", "industry"]].tolist() == ["AX", "Machinery"]
    assert tickers_on(market, pd.Timestamp("2024-01-17")).to_dict() == {"A": "AX", "B": "B"}
    assert tickers_on(market, pd.Timestamp("2024-01-16")).to_dict() == {"A": "A", "B": "B"}
    # A market without history rows keeps its fingerprint (the table is optional).
    plain = tiny_frames({"A": [10.0] * 30, "B": [20.0] * 30})
    empty = {**plain, "security_history": pd.DataFrame(columns=["date", "security_id", "ticker"])}
    assert Market.from_frames(empty).fingerprint() == Market.from_frames(plain).fingerprint()


def test_bad_history_rows_are_all_reported_with_file_and_row() -> None:
    frames = tiny_frames({"A": [10.0] * 30, "B": [20.0] * 30})
    frames["security_history"] = pd.DataFrame(
        {
            "date": ["2024-01-10", "2024-01-13", "2024-01-02", "2024-01-11", "2024-01-11", "2024-01-12"],
            "security_id": ["A", "A", "B", "Z", "B", "B"],
            "exchange": ["XNSY", "XNAS", None, "XNAS", None, None],
            "security_type": [None, None, "ADR", None, None, "Comon"],
        }
    )
    with pytest.raises(DataError) as caught:
        Market.from_frames(frames, file_names={"security_history": "history.csv"})
    assert caught.value.lines() == [
        "exchange 'XNSY' is not a known exchange at history.csv row 1 in <frames> — did you mean 'XNYS'? use one of XNYS, "
        "XNAS, XASE, ARCX, OTC, or declare the value in the definition's vocabulary (exchange = [...])",
        "security_type 'Comon' is not a known security type at history.csv row 6 in <frames> — did you mean 'common'? use "
        "one of common, REIT, ADR, preferred, ETF, closed-end fund, LP, BDC, SPAC, tracking, or declare the "
        "value in the definition's vocabulary (security_type = [...])",
        "security Z is not in securities at history.csv row 4 in <frames> — add it to the securities table or remove the row",
        "date 2024-01-13 is not a XNYS session at history.csv row 2 in <frames> — use trading days of the XNYS calendar",
        "history row of B on 2024-01-11 changes nothing at history.csv row 5 in <frames> — write the new value in one of "
        "ticker, name, sector, industry, exchange, security_type, or remove the row",
        "history row of B on 2024-01-02 is not after its listing_date 2024-01-02 at history.csv row 3 in <frames> — write "
        "the values at listing in the securities table; a history row changes them from a later date",
    ]


def test_ticker_history_matches_the_table_on_every_change_date(demo: Market) -> None:
    # The assembly reads tickers per change through the per-security history: it must give
    # the table of tickers in force on each date, on the days of changes and between them.
    changes = reference_changes(demo)
    dates = changes.loc[changes["column"] == "ticker", "date"]
    assert len(dates) >= 3
    history = ticker_history(demo)
    probes = sorted({*dates, *(dates - pd.Timedelta(days=1)), demo.first_session, demo.last_session})
    moved = 0
    listing = demo.securities.set_index("security_id")["ticker"].astype(object)
    renamed = changes[changes["column"] == "ticker"]
    for date in probes:
        # The table of tickers in force, built directly from the dated changes.
        latest = renamed[renamed["date"] <= date].drop_duplicates("security_id", keep="last")
        expected = listing.to_dict() | dict(zip(latest["security_id"], latest["value"], strict=True))
        assert dict(history.on(date)) == expected
        assert tickers_on(demo, date).to_dict() == expected
        moved += sum(expected[sid] != ticker for sid, ticker in history.listing.items())
    assert moved > 0  # some probe dates see a renamed security
    assert history.on(demo.last_session).get("no-such-security", "absent") == "absent"
