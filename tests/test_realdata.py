"""The calculation against published index data in ../shared/data (internal validation
data; never shipped). Skipped, with the reason, where that folder is absent."""

from __future__ import annotations

from pathlib import Path

import indexsmith
import numpy as np
import pandas as pd
import pytest
from indexsmith import Market, open_market

from tests.support import SHARED_DATA

pytestmark = [
    pytest.mark.realdata,
    pytest.mark.skipif(
        not (SHARED_DATA / "sp500_members_daily_alphavantage_1999_2021.parquet").exists(),
        reason=f"real market data not found in {SHARED_DATA} (internal validation data, not in a user's clone)",
    ),
]

# Tickers of the DJIA membership file that live under another symbol in the price file.
PROXY = {"UTX": "RTX", "DWDP": "DD", "AA": "HWM", "KFT": "MDLZ"}
PUBLISHED = {  # divisor in force from the open of each date (data/README.md, methodologies.md §4.4)
    "2015-03-19": 0.14985889030177,
    "2015-12-24": 0.14602128057775,
    "2017-09-01": 0.14523396877348,
    "2018-06-26": 0.14748071991788,
}
# Events the price file cannot express, with S&P DJI's reference prices: DowDuPont took
# DuPont's slot at its when-issued price 66.65 (solved from the published divisor to 1e-11),
# and Raytheon Technologies took UTX's at 50.73 (implied by the published levels). In one
# continuous price series each is a share exchange; the file's own split coefficients for
# these days encode spin-offs and are replaced by these records.
EXCHANGES = [("2017-09-01", "DD", 83.93 / 66.65), ("2020-04-03", "RTX", 86.01 / 50.73)]
SPIN_VALUES = [("2015-07-01", "DD", 3.20)]  # Chemours, recorded in the file as a cash amount


def _panel(folder: Path, px: pd.DataFrame, shares: pd.DataFrame, **long: pd.DataFrame) -> Path:
    """The price file and snapshot shares as the panel source's files: wide closes, volumes
    and shares (dates x tickers), a securities list, and long splits/dividends/actions."""
    folder.mkdir()
    for name, frame, column in (
        ("close", px, "close"),
        ("volume", px, "volume"),
        ("shares", shares, "shares"),
    ):
        frame.pivot(index="date", columns="symbol", values=column).reset_index().to_parquet(
            folder / f"{name}.parquet"
        )
    pd.DataFrame({"ticker": sorted(px["symbol"].unique())}).to_csv(folder / "securities.csv", index=False)
    for name, frame in long.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


def _dow_market(tmp_path: Path) -> tuple[Market, Path]:
    changes = pd.read_csv(SHARED_DATA / "djia_membership_changes_1999_2024.csv")
    changes = changes[
        (changes["effective_date"] >= "2012-09-24") & (changes["effective_date"] <= "2020-12-31")
    ]
    symbols = sorted({PROXY.get(t, t) for row in changes["members_after"] for t in row.split(";")})
    px = pd.read_parquet(
        SHARED_DATA / "sp500_members_daily_alphavantage_1999_2021.parquet",
        columns=["symbol", "date", "close", "volume", "split_coefficient"],
        filters=[("symbol", "in", symbols)],
    )
    px["date"] = pd.to_datetime(px["date"])
    px = px[(px["date"] >= "2012-12-03") & (px["date"] <= "2020-12-31")]
    splits = px[px["split_coefficient"] != 1.0].rename(
        columns={"symbol": "ticker", "split_coefficient": "ratio"}
    )
    replaced = {(pd.Timestamp(d), s) for d, s, _ in EXCHANGES} | {(pd.Timestamp("2019-04-02"), "DD")}
    splits = splits[[(d, s) not in replaced for d, s in zip(splits["date"], splits["ticker"], strict=True)]]
    splits = pd.concat(
        [
            splits,
            pd.DataFrame(
                [(pd.Timestamp(d), s, r) for d, s, r in EXCHANGES], columns=["date", "ticker", "ratio"]
            ),
        ]
    )
    folder = _panel(
        tmp_path / "dow-panel",
        px,
        px.groupby("symbol").head(1).assign(shares=1.0),
        splits=splits[["date", "ticker", "ratio"]],
        dividends=pd.DataFrame(
            [(d, s, v, "special") for d, s, v in SPIN_VALUES], columns=["date", "ticker", "amount", "kind"]
        ),
    )
    market = open_market(f"panel:{folder}", params={"sector": "Industrials", "roll_shares": False})
    # The committee's decisions: effective before the open, so after the previous close.
    rows = []
    start = market.sessions[market.sessions.searchsorted(pd.Timestamp("2013-01-02"))]
    initial = changes[changes["effective_date"] == "2012-09-24"]["members_after"].iloc[0].split(";")
    rows += [(start, PROXY.get(t, t), "add") for t in initial]
    for change in changes[changes["effective_date"] > "2012-09-24"].itertuples():
        when = market.sessions[market.sessions.searchsorted(pd.Timestamp(change.effective_date)) - 1]
        added = [PROXY.get(t, t) for t in change.added.split(";")]
        removed = [PROXY.get(t, t) for t in change.removed.split(";")]
        rows += [(when, s, "remove") for s in removed if s not in added]
        rows += [(when, s, "add") for s in added if s not in removed]
    membership = tmp_path / "djia-membership.csv"
    pd.DataFrame(rows, columns=["date", "security_id", "action"]).assign(
        date=lambda f: f["date"].dt.strftime("%Y-%m-%d")
    ).to_csv(membership, index=False)
    return market, membership


def test_dow_reconstruction_matches_published_divisors_and_levels(tmp_path: Path) -> None:
    market, membership = _dow_market(tmp_path)
    definition = {
        "index": {
            "id": "dow-rebuilt",
            "schedule": {"use": "on-membership-change", "params": {"file": str(membership)}},
            "ranking": {"use": "company-market-cap"},
            "bucketing": {"use": "committee-list", "params": {"file": str(membership)}},
            "weighting": {"use": "price"},
            "calculation": {"initial_divisor": 1.0},
        }
    }
    result = indexsmith.build(definition, market, plugins=indexsmith.Plugins(autoload=False))["dow-rebuilt"]
    assert result.constituents.groupby("effective_date")["security_id"].nunique().eq(30).all()
    levels = result.levels.set_index("date")
    # Divisors scale with the starting one: anchor the path on one published value.
    scale = PUBLISHED["2015-03-19"] / levels.loc["2015-03-19", "divisor"]
    for day, published in PUBLISHED.items():
        rebuilt = levels.loc[day, "divisor"] * scale
        assert rebuilt == pytest.approx(published, rel=1e-8), day
    # Daily closes against the published DJIA (Yahoo ^DJI), 2013-2020.
    dji = pd.read_parquet(
        SHARED_DATA / "index_levels_yahoo_2000_2022.parquet", filters=[("symbol", "==", "^DJI")]
    )
    dji = dji.assign(date=pd.to_datetime(dji["date"])).set_index("date")["close"]
    rebuilt = (levels["price_return"] / scale).loc["2013-01-02":"2020-12-31"]
    gap = (rebuilt - dji.reindex(rebuilt.index)).dropna()
    within = (gap.abs() <= 1.0).mean()
    misses = gap[gap.abs() > 1.0]
    print(f"\nDJIA rebuilt 2013-2020: {len(gap)} days, {within:.2%} within 1 point; misses: {len(misses)}")
    print(misses.round(2).to_string())
    assert within >= 0.97


# Distributions the price file records only as price moves (quality-flags file): spin-offs
# whose new company is in the file, and share dividends; other flagged moves are
# exchanges at the price ratio (a reverse split plus a spin-off of a company not in the file).
SPINS = [("2013-01-02", "ABT", "ABBV"), ("2015-07-20", "EBAY", "PYPL"), ("2015-11-02", "HPQ", "HPE")]
SHARE_DIVIDENDS = [("2014-04-03", "GOOGL", 2.0), ("2014-08-07", "DISCA", 2.0), ("2014-08-07", "DISCK", 2.0)]
SECOND_CLASSES = ["GOOG", "FOX", "NWS", "DISCK", "UA"]  # each carries its company's whole cap
PRICE_EXCHANGES = ["2017-01-04 HLT", "2013-09-30 LDOS", "2015-07-02 NI", "2013-11-04 PENN"]


def _sp500_market(tmp_path: Path) -> tuple[Market, Path]:
    px = pd.read_parquet(
        SHARED_DATA / "sp500_members_daily_alphavantage_1999_2021.parquet",
        columns=["symbol", "date", "close", "volume", "dividend_amount", "split_coefficient"],
    )
    px["date"] = pd.to_datetime(px["date"])
    px = px[(px["date"] >= "2013-02-08") & (px["date"] <= "2017-12-29")].sort_values(["symbol", "date"])
    symbols = sorted(px["symbol"].unique())
    # Splits: the file's coefficients, the share dividends above, price-ratio exchanges.
    prev = px.groupby("symbol")["close"].shift()
    exchange = (px["date"].dt.strftime("%Y-%m-%d") + " " + px["symbol"]).isin(PRICE_EXCHANGES)
    ratio = px["split_coefficient"].where(~exchange, prev / px["close"])
    splits = px.assign(ratio=ratio)[(ratio != 1.0) & ratio.notna()][["date", "symbol", "ratio"]]
    extra = pd.DataFrame(
        [(pd.Timestamp(d), s, r) for d, s, r in SHARE_DIVIDENDS], columns=["date", "symbol", "ratio"]
    )
    splits = pd.concat([splits, extra]).rename(columns={"symbol": "ticker"})
    spins = pd.DataFrame(
        [(d, s, "spin-off", 1.0, c) for d, s, c in SPINS],
        columns=["date", "security_id", "action", "ratio", "new_security_id"],
    )
    # Cash dividends; an amount above 10% of the previous close is a distribution's value.
    paid = px[px["dividend_amount"] > 0]
    # The value the file records on a price-exchange day is the distributed company's, which
    # the exchange ratio already carries (NI 27.59, PENN 45.64 are above the price after it).
    recorded = (
        {(pd.Timestamp(d), sym) for d, sym, _ in SHARE_DIVIDENDS}
        | {(pd.Timestamp(d), sym) for d, sym, _ in SPINS}
        | {(pd.Timestamp(e.split()[0]), e.split()[1]) for e in PRICE_EXCHANGES}
    )
    paid = paid[[(d, sym) not in recorded for d, sym in zip(paid["date"], paid["symbol"], strict=True)]]
    dividends = pd.DataFrame(
        {
            "date": paid["date"],
            "ticker": paid["symbol"],
            "amount": paid["dividend_amount"],
            "kind": np.where(paid["dividend_amount"] > 0.1 * prev[paid.index], "special", "regular"),
        }
    )
    # Shares from each snapshot (cap / price, on the session the prices match), one line
    # per company (every class carries the whole company's cap); the source rolls them
    # through the splits until the next snapshot.
    snap = pd.read_parquet(SHARED_DATA / "sp500_financials_snapshots_2013_2026.parquet")
    snap = snap[snap["price_date_inferred"].notna() & (snap["snapshot_date"] <= "2018-02-09")]
    snap["Symbol"] = np.where(
        (snap["Symbol"] == "GOOG") & (snap["snapshot_date"] < "2014-04-03"), "GOOGL", snap["Symbol"]
    )
    snap = snap[~snap["Symbol"].isin(SECOND_CLASSES) & snap["Symbol"].isin(symbols)]
    snap = snap.assign(
        shares=snap["Market Cap"] / snap["Price"], date=pd.to_datetime(snap["price_date_inferred"])
    )
    snap = snap[snap["shares"] > 0].rename(columns={"Symbol": "symbol"})  # a few rows lack a cap or a price
    folder = _panel(
        tmp_path / "sp500-panel",
        px,
        snap.drop_duplicates(["date", "symbol"], keep="last"),
        splits=splits,
        dividends=dividends,
        corporate_actions=spins,
    )
    market = open_market(f"panel:{folder}", params={"sector": "Industrials"})
    # Point-in-time membership, limited to the names with prices.
    spans = pd.read_csv(SHARED_DATA / "sp500_membership_intervals_fja05680.csv", dtype=str)
    start, end = market.sessions[0], market.sessions[-1]
    events = []
    for span in spans[spans["ticker"].isin(symbols)].itertuples():
        added = max(pd.Timestamp(span.start_date), start)
        removed = pd.Timestamp(span.end_date) if isinstance(span.end_date, str) and span.end_date else None
        if added > end or (removed is not None and removed <= added):
            continue
        events.append((market.sessions[market.sessions.searchsorted(added)], span.ticker, "add"))
        if removed is not None and removed <= end:
            events.append((market.sessions[market.sessions.searchsorted(removed)], span.ticker, "remove"))
    membership = tmp_path / "sp500-membership.csv"
    pd.DataFrame(events, columns=["date", "security_id", "action"]).sort_values(["date", "action"]).assign(
        date=lambda f: f["date"].dt.strftime("%Y-%m-%d")
    ).to_csv(membership, index=False)
    return market, membership


def test_sp500_reconstruction_tracks_the_published_index(tmp_path: Path) -> None:
    market, membership = _sp500_market(tmp_path)
    definition = {
        "index": {
            "id": "sp500-rebuilt",
            "schedule": {"use": "monthly", "params": {"rank_lag_sessions": 0, "announce_lag_sessions": 0}},
            "universe": [{"use": "min-market-cap", "params": {"min_cap": 1.0}}],
            "missing_data": "exclude",  # names without a snapshot have no shares
            "ranking": {"use": "company-market-cap"},
            "bucketing": {"use": "committee-list", "params": {"file": str(membership)}},
            "weighting": {"use": "cap"},
        }
    }
    result = indexsmith.build(definition, market, plugins=indexsmith.Plugins(autoload=False))["sp500-rebuilt"]
    levels = result.levels.set_index("date")
    gspc = pd.read_parquet(
        SHARED_DATA / "index_levels_yahoo_2000_2022.parquet", filters=[("symbol", "==", "^GSPC")]
    )
    gspc = gspc.assign(date=pd.to_datetime(gspc["date"])).set_index("date")["close"]
    spy = pd.read_parquet(
        SHARED_DATA / "etf_daily_yahoo_2000_2022.parquet", filters=[("symbol", "==", "SPY")]
    )
    spy = spy.assign(date=pd.to_datetime(spy["date"])).set_index("date")
    ours = levels["price_return"].pct_change()
    theirs = gspc.reindex(levels.index).pct_change()
    points = _dividend_points(result, market)
    report = []
    for year in range(2013, 2018):
        window = slice(f"{year}-01-01", f"{year}-12-31")
        corr = ours.loc[window].corr(theirs.loc[window])
        lv = levels.loc[window]
        # TR - PR over the year: from the calculator, from the dividends rebuilt independently
        # (index shares x cash per share / divisor, reinvested daily), and for SPY.
        pr = lv["price_return"].iloc[-1] / lv["price_return"].iloc[0]
        engine = lv["total_return"].iloc[-1] / lv["total_return"].iloc[0] - pr
        prev = levels["price_return"].shift().loc[window].iloc[1:]
        rebuilt = (
            float(
                np.prod((lv["price_return"].iloc[1:] + points.reindex(lv.index[1:], fill_value=0.0)) / prev)
            )
            - pr
        )
        s = spy.reindex(lv.index)
        etf = s["adj_close"].iloc[-1] / s["adj_close"].iloc[0] - s["close"].iloc[-1] / s["close"].iloc[0]
        report.append((year, corr, engine, rebuilt, etf))
    print("\nyear  corr(daily returns vs ^GSPC)  TR-PR: calculator  from dividends  SPY")
    for year, corr, engine, rebuilt, etf in report:
        print(f"{year}  {corr:.4f}  {engine:.3%}  {rebuilt:.3%}  {etf:.3%}")
    for year, corr, engine, rebuilt, etf in report:
        assert corr >= 0.995, year
        assert abs(engine - rebuilt) <= 0.001, year
        assert abs(engine - etf) <= 0.005, year  # survivors only, SPY's fee and payment lag


def _dividend_points(result: indexsmith.IndexResult, market: Market) -> pd.Series:
    """Index dividend points per day, from the holdings at each effective date rolled
    through splits, the cash dividends and the divisor — independently of the calculator's
    own bookkeeping."""
    levels = result.levels.set_index("date")
    holdings = result.calculation.holdings
    reviews = sorted(holdings["effective_date"].unique())
    splits = market.corporate_actions[market.corporate_actions["action"] == "split"]
    regular = market.dividends[market.dividends["kind"] == "regular"]
    points = pd.Series(0.0, index=levels.index)
    for start, stop in zip(reviews, [*reviews[1:], levels.index[-1] + pd.Timedelta(days=1)], strict=True):
        held = holdings[holdings["effective_date"] == start].set_index("security_id")["index_shares"]
        paid = regular[
            (regular["ex_date"] > start)
            & (regular["ex_date"] <= stop)
            & regular["security_id"].isin(held.index)
        ]
        for row in paid.itertuples():
            factor = splits[
                (splits["security_id"] == row.security_id)
                & (splits["date"] > start)
                & (splits["date"] <= row.ex_date)
            ]["ratio"].prod()
            if row.ex_date in points.index:
                points[row.ex_date] += (
                    held[row.security_id] * factor * row.amount / levels.loc[row.ex_date, "divisor"]
                )
    return points


def test_sp500_turnover_from_membership_and_share_changes(tmp_path: Path) -> None:
    # The rebuilt S&P 500 holds its members' shares (cap weighting), changes membership on
    # the published change dates and updates shares at each change (from the snapshots,
    # rolled through splits): its one-way turnover per year beside S&P's published average
    # of 3.96% for 2017-2021 (methodologies.md §3.4). The rebuild's share snapshots end in
    # early 2018, so its full years are 2014-2017.
    market, membership = _sp500_market(tmp_path)
    definition = {
        "index": {
            "id": "sp500-rebuilt",
            "schedule": {"use": "on-membership-change", "params": {"file": str(membership)}},
            "universe": [{"use": "min-market-cap", "params": {"min_cap": 1.0}}],
            "missing_data": "exclude",  # names without a snapshot have no shares
            "ranking": {"use": "company-market-cap"},
            "bucketing": {"use": "committee-list", "params": {"file": str(membership)}},
            "weighting": {"use": "cap"},
        }
    }
    result = indexsmith.build(definition, market, plugins=indexsmith.Plugins(autoload=False))["sp500-rebuilt"]
    turnover = result.calculation.turnover.dropna(subset=["one_way"])
    years = turnover.groupby(turnover["effective_date"].dt.year)[
        ["one_way", "additions_deletions", "share_float", "reweighting"]
    ].sum()
    years = years.loc[2014:2017]
    assert list(years.index) == [2014, 2015, 2016, 2017]
    print(
        "\nyear  one-way  additions/deletions  share/float  reweighting   (S&P published 2017-2021: 3.96%/yr)"
    )
    for year, row in years.iterrows():
        print(
            f"{year}  {row['one_way']:.2%}  {row['additions_deletions']:.2%}  {row['share_float']:.2%}  {row['reweighting']:.2e}"
        )
    assert (years["reweighting"] <= 1e-9).all()
    assert 0.02 <= years["one_way"].mean() <= 0.08
    assert (years["additions_deletions"] > 0).all()
