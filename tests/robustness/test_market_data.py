"""Market data that would give silently wrong numbers, or that cannot be read, is refused
when it loads: one line per problem naming the file and row, nothing built or written."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from tests.robustness.conftest import refused

Change = Callable[[Path], None]


def csv_lines(name: str, *lines: str) -> Change:
    """Replace ``name`` with a header and rows."""
    return lambda m: (m / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


def edit(name: str, old: str, new: str, count: int = 1) -> Change:
    def change(m: Path) -> None:
        text = (m / name).read_text(encoding="utf-8")
        assert old in text, old
        (m / name).write_text(text.replace(old, new, count), encoding="utf-8")

    return change


def raw(name: str, data: bytes) -> Change:
    return lambda m: (m / name).write_bytes(data)


def parquet(name: str, mutate: Callable[[pd.DataFrame], pd.DataFrame]) -> Change:
    def change(m: Path) -> None:
        frame = pd.read_csv(m / f"{name}.csv", dtype=str, keep_default_na=False)
        mutate(frame).to_parquet(m / f"{name}.parquet")
        (m / f"{name}.csv").unlink()

    return change


def recoded(name: str, encoding: str, old: str = "A Inc", new: str = "Ä Inc") -> Change:
    def change(m: Path) -> None:
        text = (m / name).read_text(encoding="utf-8").replace(old, new)
        (m / name).write_bytes(text.encode(encoding))

    return change


ACTIONS = "date,security_id,action,ratio,cash,acquirer_id,new_security_id"
DIVIDENDS = "ex_date,security_id,amount,kind"
FUNDAMENTALS = "security_id,period_end,available_date,net_income,book_equity,sales"
HISTORY = "date,security_id,ticker,name,sector,industry,exchange,security_type"
KNOWN = "use one of split, spin-off, cash-acquisition, stock-acquisition, delisting, ticker-change (written exactly so)"
FIRST = "2024-01-02,A,100.0,1000.0"

#: case -> (change to the market, distinctive part of the one line)
CASES: dict[str, tuple[Change, str]] = {
    # corporate actions: exact kinds, known ids
    "action Split": (
        csv_lines("corporate_actions.csv", ACTIONS, "2024-02-01,A,Split,2,,,"),
        f"action 'Split' is not a known corporate action at corporate_actions.csv row 1 in market — did you mean 'split'? {KNOWN}",
    ),
    "action merger": (
        csv_lines("corporate_actions.csv", ACTIONS, "2024-02-01,A,merger,,,B,"),
        f"action 'merger' is not a known corporate action at corporate_actions.csv row 1 in market — {KNOWN}",
    ),
    "action SPIN-OFF": (
        csv_lines("corporate_actions.csv", ACTIONS, "2024-02-01,A,SPIN-OFF,1,,,B"),
        "action 'SPIN-OFF' is not a known corporate action at corporate_actions.csv row 1 in market — did you mean 'spin-off'?",
    ),
    "action with a space": (
        csv_lines("corporate_actions.csv", ACTIONS, "2024-02-01,A,split ,2,,,"),
        "action 'split ' is not a known corporate action",
    ),
    "action cash_acquisition": (
        csv_lines("corporate_actions.csv", ACTIONS, "2024-02-01,A,cash_acquisition,,50,,"),
        "did you mean 'cash-acquisition'?",
    ),
    "action tickerchange": (
        csv_lines("corporate_actions.csv", ACTIONS, "2024-02-01,A,tickerchange,,,,"),
        "did you mean 'ticker-change'?",
    ),
    "two rows of one unknown action": (
        csv_lines(
            "corporate_actions.csv", ACTIONS, "2024-02-01,A,bonus-issue,,,,", "2024-02-02,B,bonus-issue,,,,"
        ),
        "action 'bonus-issue' is not a known corporate action at corporate_actions.csv 2 rows, first 1 in market",
    ),
    "acquirer not in securities": (
        csv_lines("corporate_actions.csv", ACTIONS, "2024-02-01,A,stock-acquisition,1.5,,ZZZ,"),
        "acquirer_id 'ZZZ' (the acquirer of A) is not in securities at corporate_actions.csv row 1 in market — add it",
    ),
    "cash acquirer not in securities": (
        csv_lines("corporate_actions.csv", ACTIONS, "2024-02-01,A,cash-acquisition,,50,QQQ,"),
        "acquirer_id 'QQQ' (the acquirer of A) is not in securities",
    ),
    "stock acquisition without acquirer": (
        csv_lines("corporate_actions.csv", ACTIONS, "2024-02-01,A,stock-acquisition,1.5,,,"),
        "stock-acquisition of A on 2024-02-01 names no acquirer_id at corporate_actions.csv row 1 in market",
    ),
    "spun-off security unknown": (
        csv_lines("corporate_actions.csv", ACTIONS, "2024-02-01,A,spin-off,0.5,,,NEWCO"),
        "new_security_id 'NEWCO' (the spun-off security of A) is not in securities",
    ),
    "acquired while still trading": (
        csv_lines("corporate_actions.csv", ACTIONS, "2024-02-01,A,cash-acquisition,,150,,"),
        "price for A on 2024-02-02 is after its cash-acquisition on 2024-02-01 (the action is dated on the last close) at prices.csv row",
    ),
    "delisted while still trading": (
        csv_lines("corporate_actions.csv", ACTIONS, "2024-02-01,B,delisting,,,,"),
        "price for B on 2024-02-02 is after its delisting on 2024-02-01",
    ),
    "action for an unknown security": (
        csv_lines("corporate_actions.csv", ACTIONS, "2024-02-01,X,split,2,,,"),
        "security X is not in securities at corporate_actions.csv row 1 in market",
    ),
    "action on a holiday": (
        csv_lines("corporate_actions.csv", ACTIONS, "2024-01-01,A,split,2,,,"),
        "date 2024-01-01 is not a XNYS session at corporate_actions.csv row 1 in market",
    ),
    "split ratio zero": (
        csv_lines("corporate_actions.csv", ACTIONS, "2024-02-01,A,split,0,,,"),
        "split ratio 0.0 for A on 2024-02-01 is not > 0",
    ),
    "split ratio negative": (
        csv_lines("corporate_actions.csv", ACTIONS, "2024-02-01,A,split,-2,,,"),
        "split ratio -2.0 for A on 2024-02-01 is not > 0",
    ),
    "split ratio inf": (
        csv_lines("corporate_actions.csv", ACTIONS, "2024-02-01,A,split,inf,,,"),
        "column 'ratio' has inf at corporate_actions.csv row 1 in market — write a finite number",
    ),
    "cash inf": (
        csv_lines("corporate_actions.csv", ACTIONS, "2024-02-01,A,cash-acquisition,,inf,,"),
        "column 'cash' has inf at corporate_actions.csv row 1 in market — write a finite number",
    ),
    "ratio text": (
        csv_lines("corporate_actions.csv", ACTIONS, "2024-02-01,A,split,two,,,"),
        "column 'ratio' has 'two' at corporate_actions.csv row 1 in market — write a number",
    ),
    "delisting reason misspelt": (
        csv_lines("corporate_actions.csv", ACTIONS + ",reason", "2024-04-11,A,delisting,,,,,bankrupcy"),
        "reason 'bankrupcy' is not a known delisting reason at corporate_actions.csv row 1 in market — did you "
        "mean 'bankruptcy'? use one of bankruptcy, acquisition, voluntary, listing-standards (written exactly so)",
    ),
    "delisting reason unknown": (
        csv_lines("corporate_actions.csv", ACTIONS + ",reason", "2024-04-11,A,delisting,,,,,fraud"),
        "reason 'fraud' is not a known delisting reason at corporate_actions.csv row 1 in market — use one of",
    ),
    "delisting reason Voluntary": (
        csv_lines("corporate_actions.csv", ACTIONS + ",reason", "2024-04-11,A,delisting,,,,,Voluntary"),
        "did you mean 'voluntary'?",
    ),
    "delisting dated off its delisting_date": (
        lambda m: (
            edit("securities.csv", "common,2024-01-02,\n", "common,2024-01-02,2024-04-11\n")(m),
            csv_lines("corporate_actions.csv", ACTIONS, "2024-04-10,A,delisting,,,,")(m),
        ),
        "delisting of A on 2024-04-10 differs from its delisting_date 2024-04-11 in securities at "
        "corporate_actions.csv row 1 in market — date both on the security's last session with a price, "
        "or leave delisting_date empty",
    ),
    "action missing": (
        csv_lines("corporate_actions.csv", ACTIONS, "2024-02-01,A,,2,,,"),
        "column 'action' is empty at corporate_actions.csv row 1 in market — fill it in",
    ),
    # dividends
    "dividend kind bonus": (
        csv_lines("dividends.csv", DIVIDENDS, "2024-02-01,A,1.0,bonus"),
        "kind 'bonus' is not a known dividend kind at dividends.csv row 1 in market — use one of regular, special",
    ),
    "dividend kind Regular": (
        csv_lines("dividends.csv", DIVIDENDS, "2024-02-01,A,1.0,Regular"),
        "did you mean 'regular'? use one of regular, special (written exactly so)",
    ),
    "dividend kind specail": (
        csv_lines("dividends.csv", DIVIDENDS, "2024-02-01,A,1.0,specail"),
        "did you mean 'special'?",
    ),
    "dividend kind empty": (
        csv_lines("dividends.csv", DIVIDENDS, "2024-02-01,A,1.0,"),
        "column 'kind' is empty at dividends.csv row 1 in market",
    ),
    "dividend negative": (
        csv_lines("dividends.csv", DIVIDENDS, "2024-02-01,A,-1.0,regular"),
        "dividend amount -1.0 for A on 2024-02-01 is not > 0",
    ),
    "dividend zero": (
        csv_lines("dividends.csv", DIVIDENDS, "2024-02-01,A,0,regular"),
        "dividend amount 0.0 for A on 2024-02-01 is not > 0",
    ),
    "dividend 1e6 on a $100 stock": (
        csv_lines("dividends.csv", DIVIDENDS, "2024-02-01,A,1000000,special"),
        "dividend amount 1000000.0 for A on 2024-02-01 is not below the previous close",
    ),
    "dividend inf": (
        csv_lines("dividends.csv", DIVIDENDS, "2024-02-01,A,inf,regular"),
        "column 'amount' has inf at dividends.csv row 1 in market — write a finite number",
    ),
    "dividend amount text": (
        csv_lines("dividends.csv", DIVIDENDS, "2024-02-01,A,$1.00,regular"),
        "column 'amount' has '$1.00' at dividends.csv row 1 in market — write a number",
    ),
    "dividend for an unknown security": (
        csv_lines("dividends.csv", DIVIDENDS, "2024-02-01,ZZ,1.0,regular"),
        "security ZZ is not in securities at dividends.csv row 1 in market",
    ),
    "dividend on a weekend": (
        csv_lines("dividends.csv", DIVIDENDS, "2024-02-03,A,1.0,regular"),
        "ex_date 2024-02-03 is not a XNYS session at dividends.csv row 1 in market",
    ),
    "dividend date month-first": (
        csv_lines("dividends.csv", DIVIDENDS, "02/01/2024,A,1.0,regular"),
        "column 'ex_date' has '02/01/2024' at dividends.csv row 1 in market — write a date (YYYY-MM-DD)",
    ),
    # prices
    "close inf": (
        edit("prices.csv", FIRST, "2024-01-02,A,inf,1000.0"),
        "column 'close' has inf at prices.csv row 1",
    ),
    "close -inf": (
        edit("prices.csv", FIRST, "2024-01-02,A,-inf,1000.0"),
        "close -inf for A on 2024-01-02 is not a positive number",
    ),
    "close 1e999": (
        edit("prices.csv", FIRST, "2024-01-02,A,1e999,1000.0"),
        "column 'close' has inf at prices.csv row 1",
    ),
    "close nan": (
        edit("prices.csv", FIRST, "2024-01-02,A,nan,1000.0"),
        "column 'close' has 'nan' at prices.csv row 1 in market — write a number",
    ),
    "close zero": (
        edit("prices.csv", FIRST, "2024-01-02,A,0,1000.0"),
        "close 0.0 for A on 2024-01-02 is not a positive number",
    ),
    "close negative": (
        edit("prices.csv", FIRST, "2024-01-02,A,-5,1000.0"),
        "close -5.0 for A on 2024-01-02 is not a positive number",
    ),
    "close empty": (
        edit("prices.csv", FIRST, "2024-01-02,A,,1000.0"),
        "close nan for A on 2024-01-02 is not a positive number",
    ),
    "close with a comma": (
        edit("prices.csv", FIRST, '2024-01-02,A,"1,000.5",1000.0'),
        "column 'close' has '1,000.5' at prices.csv row 1",
    ),
    "volume negative": (
        edit("prices.csv", FIRST, "2024-01-02,A,100.0,-1"),
        "volume -1.0 for A on 2024-01-02 is not >= 0",
    ),
    "volume inf": (
        edit("prices.csv", FIRST, "2024-01-02,A,100.0,inf"),
        "column 'volume' has inf at prices.csv row 1",
    ),
    "date month-first": (
        edit("prices.csv", FIRST, "01/02/2024,A,100.0,1000.0"),
        "column 'date' has '01/02/2024' at prices.csv row 1 in market — write a date (YYYY-MM-DD)",
    ),
    "date day-first": (
        edit("prices.csv", FIRST, "02.01.2024,A,100.0,1000.0"),
        "column 'date' has '02.01.2024' at prices.csv row 1",
    ),
    "date slashes ISO order": (
        edit("prices.csv", FIRST, "2024/01/02,A,100.0,1000.0"),
        "column 'date' has '2024/01/02' at prices.csv row 1",
    ),
    "date compact": (
        edit("prices.csv", FIRST, "20240102,A,100.0,1000.0"),
        "column 'date' has '20240102' at prices.csv row 1",
    ),
    "date in words": (
        edit("prices.csv", FIRST, "Jan 2 2024,A,100.0,1000.0"),
        "column 'date' has 'Jan 2 2024' at prices.csv row 1",
    ),
    "date impossible": (
        edit("prices.csv", FIRST, "2024-02-30,A,100.0,1000.0"),
        "column 'date' has '2024-02-30' at prices.csv row 1",
    ),
    "date on a holiday": (
        edit("prices.csv", FIRST, "2024-01-01,A,100.0,1000.0"),
        "date 2024-01-01 is not a XNYS session at prices.csv row 1",
    ),
    "duplicate price": (
        edit("prices.csv", "2024-01-03,A,", "2024-01-02,A,"),
        "duplicate price for A on 2024-01-02 at prices.csv row 1",
    ),
    "price for unknown security": (
        edit("prices.csv", FIRST, "2024-01-02,Q,100.0,1000.0"),
        "security Q is not in securities at prices.csv row 1",
    ),
    "no prices at all": (
        csv_lines("prices.csv", "date,security_id,close,volume"),
        "the prices table has no rows at prices.csv in market",
    ),
    "column close missing": (
        lambda m: (m / "prices.csv").write_text(
            (m / "prices.csv").read_text().replace(",close,", ",price,", 1), encoding="utf-8"
        ),
        "missing column 'close' at prices.csv in market — add it (float: raw (unadjusted) close, USD)",
    ),
    # securities: chronology and vocabulary
    "listed after its first price": (
        edit("securities.csv", "common,2024-01-02,\n", "common,2024-01-10,\n"),
        "price for A on 2024-01-02 is before its listing_date 2024-01-10 at prices.csv row 1 in market",
    ),
    "delisted before listed": (
        edit("securities.csv", "common,2024-01-02,\n", "common,2024-01-02,2023-06-30\n"),
        "A is delisted (2023-06-30) before it is listed (2024-01-02) at securities.csv row 1 in market",
    ),
    "listing date month-first": (
        edit("securities.csv", "common,2024-01-02,\n", "common,01/02/2024,\n"),
        "column 'listing_date' has '01/02/2024' at securities.csv row 1",
    ),
    "duplicate security": (
        edit("securities.csv", "B,C-B,B,B Inc", "A,C-B,B,B Inc"),
        "security_id A appears more than once at securities.csv row 1",
    ),
    "sector misspelt": (
        edit("securities.csv", "A Inc,Industrials", "A Inc,Industrails"),
        "sector 'Industrails' is not a known sector at securities.csv row 1 in market — did you mean 'Industrials'?",
    ),
    "security type misspelt": (
        edit("securities.csv", ",common,2024-01-02,\n", ",comon,2024-01-02,\n"),
        "security_type 'comon' is not a known security type at securities.csv row 1",
    ),
    "listing date empty": (
        edit("securities.csv", "common,2024-01-02,\n", "common,,\n"),
        "column 'listing_date' is empty at securities.csv row 1",
    ),
    # shares
    "shares inf": (
        edit("shares.csv", "2024-01-02,A,1000000.0", "2024-01-02,A,inf"),
        "column 'shares_outstanding' has inf at shares.csv row 1",
    ),
    "shares zero": (
        edit("shares.csv", "2024-01-02,A,1000000.0", "2024-01-02,A,0"),
        "shares_outstanding 0.0 for A is not > 0",
    ),
    "float factor above 1": (
        edit("shares.csv", "2024-01-02,A,1000000.0,1.0", "2024-01-02,A,1000000.0,1.5"),
        "float_factor 1.5 for A is outside (0, 1]",
    ),
    "float factor inf": (
        edit("shares.csv", "2024-01-02,A,1000000.0,1.0", "2024-01-02,A,1000000.0,inf"),
        "float_factor inf for A is outside (0, 1]",
    ),
    # fundamentals
    "figures available before period end": (
        csv_lines("fundamentals.csv", FUNDAMENTALS, "A,2024-03-31,2024-03-01,1,1,1"),
        "figures of A for the period ending 2024-03-31 are available 2024-03-01, before the period ends at fundamentals.csv row 1",
    ),
    "figures inf": (
        csv_lines("fundamentals.csv", FUNDAMENTALS, "A,2024-03-31,2024-04-15,inf,1,1"),
        "column 'net_income' has inf at fundamentals.csv row 1",
    ),
    "figures date month-first": (
        csv_lines("fundamentals.csv", FUNDAMENTALS, "A,03/31/2024,2024-04-15,1,1,1"),
        "column 'period_end' has '03/31/2024' at fundamentals.csv row 1",
    ),
    "figures for an unknown security": (
        csv_lines("fundamentals.csv", FUNDAMENTALS, "Z,2024-03-31,2024-04-15,1,1,1"),
        "security Z is not in securities at fundamentals.csv row 1",
    ),
    # security history: the same vocabularies, known ids, sessions, after listing
    "history exchange misspelt": (
        csv_lines("security_history.csv", HISTORY, "2024-02-01,A,,,,,XNSY,"),
        "exchange 'XNSY' is not a known exchange at security_history.csv row 1 in market — did you mean 'XNYS'?",
    ),
    "history sector misspelt": (
        csv_lines("security_history.csv", HISTORY, "2024-02-01,A,,,Helth Care,,,"),
        "sector 'Helth Care' is not a known sector at security_history.csv row 1 in market — did you mean 'Health Care'?",
    ),
    "history for an unknown security": (
        csv_lines("security_history.csv", HISTORY, "2024-02-01,Z,ZZ,,,,,"),
        "security Z is not in securities at security_history.csv row 1",
    ),
    "history on a Saturday": (
        csv_lines("security_history.csv", HISTORY, "2024-02-03,A,,,,,,ADR"),
        "date 2024-02-03 is not a XNYS session at security_history.csv row 1",
    ),
    "history row changing nothing": (
        csv_lines("security_history.csv", HISTORY, "2024-02-01,A,,,,,,"),
        "history row of A on 2024-02-01 changes nothing at security_history.csv row 1",
    ),
    "history at listing": (
        csv_lines("security_history.csv", HISTORY, "2024-01-02,A,,,Energy,,,"),
        "history row of A on 2024-01-02 is not after its listing_date 2024-01-02 at security_history.csv row 1",
    ),
    "history row twice": (
        csv_lines("security_history.csv", HISTORY, "2024-02-01,A,,,,,XNAS,", "2024-02-01,A,,,Energy,,,"),
        "duplicate history row for A on 2024-02-01 at security_history.csv row 1",
    ),
    "history date month-first": (
        csv_lines("security_history.csv", HISTORY, "02/01/2024,A,,,,,XNAS,"),
        "column 'date' has '02/01/2024' at security_history.csv row 1",
    ),
    # files that cannot be read
    "zero-byte CSV": (raw("prices.csv", b""), "market/prices.csv is empty (0 bytes) — write the table"),
    "Latin-1 CSV": (
        recoded("securities.csv", "latin-1"),
        "market/securities.csv is not UTF-8 text (byte 0xc4 at offset",
    ),
    "UTF-16 CSV": (
        recoded("prices.csv", "utf-16", "x", "x"),
        "market/prices.csv is not UTF-8 text (byte 0xff at offset 0)",
    ),
    "binary CSV": (raw("prices.csv", bytes(range(256)) * 4), "market/prices.csv is not UTF-8 text"),
    "CSV with a NUL": (raw("shares.csv", b"date,security_id\x00,x\n\x00\x00\n"), "missing column"),
    "unbalanced quote": (
        raw("shares.csv", b'date,security_id,shares_outstanding,float_factor\n"2024-01-02,A,1,1\n'),
        "shares.csv",
    ),
    "corrupt Parquet": (
        lambda m: (
            (m / "prices.csv").unlink(),
            (m / "prices.parquet").write_bytes(b"PAR1 not a parquet file PAR1"),
        ),
        "market/prices.parquet cannot be read as Parquet (",
    ),
    "truncated Parquet": (
        lambda m: (
            pd.read_csv(m / "prices.csv").to_parquet(m / "p.parquet"),
            (m / "prices.csv").unlink(),
            (m / "prices.parquet").write_bytes((m / "p.parquet").read_bytes()[:300]),
            (m / "p.parquet").unlink(),
        ),
        "market/prices.parquet cannot be read as Parquet (",
    ),
    "zero-byte Parquet": (
        lambda m: ((m / "prices.csv").unlink(), (m / "prices.parquet").write_bytes(b"")),
        "market/prices.parquet is empty (0 bytes)",
    ),
    "a folder named prices.csv": (
        lambda m: ((m / "prices.csv").unlink(), (m / "prices.csv").mkdir()),
        "market/prices.csv is not a file — a table is a .parquet or .csv file",
    ),
    "Parquet with integer dates": (
        parquet("prices", lambda f: f.assign(date=f["date"].str.replace("-", "").astype(int))),
        "column 'date' has np.int64(20240102) at prices.parquet row 1 in market — write a date (YYYY-MM-DD)",
    ),
    "Parquet with text closes": (
        parquet("prices", lambda f: f.assign(close=f["close"].where(f.index > 0, "n/a"))),
        "column 'close' has 'n/a' at prices.parquet row 1 in market — write a number",
    ),
    "missing prices table": (lambda m: (m / "prices.csv").unlink(), "missing table prices at "),
    "missing shares table": (lambda m: (m / "shares.csv").unlink(), "missing table shares at "),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_market_data_is_refused(case: str, market: Path, tmp_path: Path) -> None:
    change, expected = CASES[case]
    change(market)
    message = refused("market", "check", market)
    assert expected in message.replace(str(market), "market"), message


@pytest.mark.parametrize("case", ["action Split", "close inf", "dividend kind bonus", "Latin-1 CSV"])
def test_a_build_on_bad_data_writes_nothing(
    case: str, market: Path, definition: Path, tmp_path: Path
) -> None:
    CASES[case][0](market)
    refused("build", definition, "--data", market, "--out", tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["market"]


def test_a_delisting_on_its_delisting_date_with_a_known_reason_is_valid(market: Path) -> None:
    from tests.robustness.conftest import run

    edit("securities.csv", "common,2024-01-02,\n", "common,2024-01-02,2024-04-11\n")(market)
    csv_lines("corporate_actions.csv", ACTIONS + ",reason", "2024-04-11,A,delisting,,,,,listing-standards")(
        market
    )
    code, out, err = run("market", "check", market)
    assert code == 0, err
    assert "valid" in out


def test_a_utf8_bom_is_read(market: Path) -> None:
    (market / "prices.csv").write_bytes(b"\xef\xbb\xbf" + (market / "prices.csv").read_bytes())
    from tests.robustness.conftest import run

    code, out, err = run("market", "check", market)
    assert code == 0, err
    assert "valid" in out
