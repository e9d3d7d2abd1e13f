"""Writes tests/data/crsp-sample: a small CRSP/Compustat-layout market with synthetic values
and the real column names and codes (run from the repository root; output is committed).

Ten PERMNOs, 2019-2020: a 3-for-2 split (ALFA, DISTCD 5523), negative PRC bid/ask days
and a ticker change (BETA -> BTAX), a spin-off (GAMA distributes GAMS, DISTCD 3763), a cash
merger delisting with DLRET (DELT, DLSTCD 233), a company with two share classes (EPSA,
EPSB, one PERMCO), an ETF (SHRCD 73, left out by default), a Compustat restatement
reported after the quarter's RDQ (ALFA 2019Q4), and an ADR that moves from XASE to XNYS
(2019-10-01) and becomes common stock in another sector (SHRCD 31 -> 11, SICCD 2834 ->
7372, 2020-04-01: KAPA).
"""

from __future__ import annotations

from pathlib import Path

import exchange_calendars as xcals
import numpy as np
import pandas as pd

OUT = Path(__file__).parent / "crsp-sample"
SESSIONS = xcals.get_calendar("XNYS", start="2019-01-02", end="2020-12-31").sessions.tz_localize(None)
#: PERMNO, PERMCO, ticker, SHRCD, EXCHCD, SICCD, first price, shares (thousands), start, end
ROSTER = [
    (10001, 501, "ALFA", 11, 3, 7372, 150.0, 900_000, "2019-01-02", None),
    (10002, 502, "BETA", 11, 1, 2834, 90.0, 1_200_000, "2019-01-02", None),
    (10003, 503, "GAMA", 11, 1, 6021, 60.0, 1_500_000, "2019-01-02", None),
    (10004, 504, "GAMS", 11, 1, 6022, 24.0, 1_500_000 // 2, "2020-07-01", None),
    (10005, 505, "DELT", 11, 1, 4911, 80.0, 400_000, "2019-01-02", "2020-09-30"),
    (10006, 506, "EPSA", 11, 3, 4841, 110.0, 600_000, "2019-01-02", None),
    (10007, 506, "EPSB", 11, 3, 4841, 108.0, 300_000, "2019-01-02", None),
    (10008, 508, "ZETA", 11, 1, 5411, 45.0, 2_000_000, "2019-01-02", None),
    (10009, 509, "ETFX", 73, 4, 6726, 300.0, 100_000, "2019-01-02", None),
    (10010, 510, "KAPA", 11, 1, 7372, 100.0, 3_000_000, "2019-01-02", None),
]
#: KAPA's names history: NAMEDT, NAMEENDT, SHRCD, EXCHCD, SICCD, COMNAM.
KAPA = [
    ("2019-01-02", "2019-09-30", 31, 2, 2834, "KAPA PHARMA PLC ADR"),
    ("2019-10-01", "2020-03-31", 31, 1, 2834, "KAPA PHARMA PLC ADR"),
    ("2020-04-01", "2020-12-31", 11, 1, 7372, "KAPA SOFTWARE INC"),
]
SPLIT = ("2020-06-15", 10001)
SPIN = ("2020-07-01", 10003, 10004, 12.0)  # GAMA holders get 0.5 GAMS (worth 24) per share
MERGER = ("2020-09-30", 10005, 0.25)


def daily() -> pd.DataFrame:
    rng = np.random.default_rng(15)
    rows = []
    for permno, permco, _, _, _, _, price, shrout, start, end in ROSTER:
        days = SESSIONS[(start <= SESSIONS) & ((end or "2020-12-31") >= SESSIONS)]
        steps = rng.normal(0.0004, 0.012, len(days))
        path = price * np.exp(np.cumsum(steps))
        shares = np.full(len(days), float(shrout))
        if permno == SPLIT[1]:
            after = days >= SPLIT[0]
            path[after] /= 1.5
            shares[after] *= 1.5
        if permno == SPIN[1]:
            path[days >= SPIN[0]] -= SPIN[3]
        shares[days >= "2020-01-02"] *= 1.01  # a buyback-and-issuance drift, changed once
        volume = np.round(shares * 1000 * rng.uniform(0.003, 0.008, len(days)), -2)
        prc = np.round(path, 2)
        if permno == 10002:
            prc[::20] *= -1  # no trade: CRSP's bid/ask average, negative
        for day, p, v, s in zip(days, prc, volume, shares, strict=True):
            rows.append((permno, permco, f"{day:%Y%m%d}", p, v, s, 1.0, 1.0))
    frame = pd.DataFrame(
        rows, columns=["PERMNO", "PERMCO", "DATE", "PRC", "VOL", "SHROUT", "CFACPR", "CFACSHR"]
    )
    split = (frame["PERMNO"] == SPLIT[1]) & (frame["DATE"] < SPLIT[0].replace("-", ""))
    frame.loc[split, ["CFACPR", "CFACSHR"]] = 1.5
    return frame


def main() -> None:
    OUT.mkdir(exist_ok=True)
    daily().to_csv(OUT / "dsf.csv", index=False)
    names = []
    for permno, permco, ticker, shrcd, exchcd, sic, *_rest, start, _end in ROSTER:
        if ticker == "BETA":
            names.append(
                (permno, permco, "2019-01-02", "2020-03-31", shrcd, exchcd, sic, "BETA", "BETA LABS INC")
            )
            names.append(
                (
                    permno,
                    permco,
                    "2020-04-01",
                    "2020-12-31",
                    shrcd,
                    exchcd,
                    sic,
                    "BTAX",
                    "BETA THERAPEUTICS INC",
                )
            )
        elif ticker == "KAPA":
            names.extend((permno, permco, a, b, c, e, i, ticker, n) for a, b, c, e, i, n in KAPA)
        else:
            names.append((permno, permco, start, "2020-12-31", shrcd, exchcd, sic, ticker, f"{ticker} CORP"))
    pd.DataFrame(
        names,
        columns=["PERMNO", "PERMCO", "NAMEDT", "NAMEENDT", "SHRCD", "EXCHCD", "SICCD", "TICKER", "COMNAM"],
    ).to_csv(OUT / "stocknames.csv", index=False)
    dist = []
    for permno in (10001, 10002, 10005, 10006, 10007, 10008):
        for ex in (
            "2019-03-14",
            "2019-06-13",
            "2019-09-12",
            "2019-12-12",
            "2020-03-12",
            "2020-06-11",
            "2020-09-10",
        ):
            if permno == MERGER[1] and ex > MERGER[0]:
                continue
            dist.append((permno, 1232, 0.45, 0.0, 0.0, ex, ""))
    dist.append((10003, 1272, 1.50, 0.0, 0.0, "2019-12-12", ""))  # an extra (special) dividend
    dist.append((SPLIT[1], 5523, 0.0, 0.5, 0.5, SPLIT[0], ""))
    dist.append((SPIN[1], 3763, SPIN[3], 0.2, 0.0, SPIN[0], str(SPIN[2])))
    pd.DataFrame(dist, columns=["PERMNO", "DISTCD", "DIVAMT", "FACPR", "FACSHR", "EXDT", "ACPERM"]).to_csv(
        OUT / "dsedist.csv", index=False
    )
    pd.DataFrame(
        [(MERGER[1], "2020-10-01", 233, "", MERGER[2], "")],
        columns=["PERMNO", "DLSTDT", "DLSTCD", "DLPRC", "DLRET", "NWPERM"],
    ).to_csv(OUT / "dsedelist.csv", index=False)
    fund = []
    gvkeys = {
        501: "001001",
        502: "001002",
        503: "001003",
        504: "001004",
        505: "001005",
        506: "001006",
        508: "001008",
    }
    quarters = pd.date_range("2018-03-31", "2020-09-30", freq="QE")
    for permco, gvkey in gvkeys.items():
        for q in quarters:
            if permco == 504 and q < pd.Timestamp("2020-06-30"):
                continue
            rdq = (q + pd.Timedelta(days=35)).strftime("%Y-%m-%d")
            ni = 250.0 + permco % 10 * 40
            fund.append((gvkey, q.strftime("%Y-%m-%d"), rdq, ni, ni * 30, ni * 6))
    fund.append(("001001", "2019-12-31", "2020-05-06", 200.0, 8000.0, 1600.0))  # restated after its RDQ
    pd.DataFrame(fund, columns=["GVKEY", "DATADATE", "RDQ", "NIQ", "CEQQ", "SALEQ"]).to_csv(
        OUT / "fundq.csv", index=False
    )
    links = [
        (g, p, "LC", "P", "1990-01-01", "E")
        for p, g in (
            (10001, "001001"),
            (10002, "001002"),
            (10003, "001003"),
            (10004, "001004"),
            (10005, "001005"),
            (10006, "001006"),
            (10008, "001008"),
        )
    ]
    links.append(("001006", 10007, "LU", "C", "1990-01-01", "E"))
    links.append(("001008", 10008, "NR", "N", "1980-01-01", "1989-12-31"))  # not a usable link
    pd.DataFrame(links, columns=["GVKEY", "LPERMNO", "LINKTYPE", "LINKPRIM", "LINKDT", "LINKENDDT"]).to_csv(
        OUT / "ccmxpf_linktable.csv", index=False
    )


if __name__ == "__main__":
    main()
