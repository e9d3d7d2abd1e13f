"""Build every preset on the full demo market and report, per index: constituent counts
(companies) after reconstitutions and at every review, mean annual one-way turnover,
largest weight, and the family's build time; then the rule checks of issue 4 and the
turnover with banding / packeting switched off.

    python benchmarks/preset_evidence.py [--quick]   # --quick: 2015-2025 only

Prints Markdown. Takes about ten minutes on two cores (the market load is shared).
"""

from __future__ import annotations

import datetime as dt
import sys
import time

import indexsmith
import numpy as np
import pandas as pd
from indexsmith.analytics import annualised_turnover
from indexsmith.definition import read_preset
from indexsmith.demo import demo_market

FAMILIES = ("russell-us-style", "crsp-us-style", "sp-us-style", "nasdaq-100-style", "dow-30-style")


def build(raw, market, start=None):  # type: ignore[no-untyped-def]
    began = time.perf_counter()
    result = indexsmith.build(raw, market, start=start)
    return result, time.perf_counter() - began


def companies(frame: pd.DataFrame) -> pd.Series:
    return frame.groupby("effective_date")["company_id"].nunique()


def describe(result, market, seconds: float) -> list[str]:  # type: ignore[no-untyped-def]
    lines = []
    for index_id in result.indices:
        c = result[index_id].constituents
        recon = c[c["review"] == "reconstitution"]
        n_recon, n_all = companies(recon), companies(c)
        turnover = annualised_turnover(result[index_id].calculation.turnover)
        lines.append(
            f"| {index_id} | {n_recon.min():,}-{n_recon.max():,} | {n_all.min():,}-{n_all.max():,} | "
            f"{turnover:.1%} | {c['weight'].max():.2%} | {seconds:.0f} s |"
        )
    return lines


def boundary_turnover(result, market, ids: tuple[str, ...]) -> str:  # type: ignore[no-untyped-def]
    return ", ".join(f"{i} {annualised_turnover(result[i].calculation.turnover):.1%}" for i in ids)


def main() -> None:
    quick = "--quick" in sys.argv
    start = dt.date(2015, 1, 1) if quick else None
    began = time.perf_counter()
    market = demo_market("full")
    print(f"Full demo market loaded in {time.perf_counter() - began:.1f} s\n")
    print(
        "| preset | companies after reconstitution | companies, all reviews | mean annual one-way turnover | largest weight | family build |"
    )
    print("|---|---|---|---|---|---|")
    results = {}
    for family in FAMILIES:
        raw, _ = read_preset(family)
        result, seconds = build(raw, market, start)
        results[family] = result
        print("\n".join(describe(result, market, seconds)), flush=True)

    print("\n## Checks\n")
    russell = results["russell-us-style"]
    r1000 = russell["russell-1000-style"].constituents
    r2000 = russell["russell-2000-style"].constituents
    r3000 = russell["russell-3000-style"].constituents
    recon = r1000["review"] == "reconstitution"
    print(
        f"- Russell-style 1000 after each reconstitution: {companies(r1000[recon]).min()}-{companies(r1000[recon]).max()} companies; "
        f"2000: {companies(r2000[r2000['review'] == 'reconstitution']).min()}-{companies(r2000[r2000['review'] == 'reconstitution']).max()}"
    )
    same = all(
        set(r1000[r1000.effective_date == d].security_id) | set(r2000[r2000.effective_date == d].security_id)
        == set(r3000[r3000.effective_date == d].security_id)
        and not set(r1000[r1000.effective_date == d].security_id)
        & set(r2000[r2000.effective_date == d].security_id)
        for d in r3000.effective_date.unique()
    )
    print(f"- 1000 + 2000 = 3000 exactly, no overlap, at every review: {same}")

    raw, _ = read_preset("russell-us-style")
    raw["family"]["bucketing"]["params"]["bands"] = []
    raw["family"]["index"] = [
        i for i in raw["family"]["index"] if i["id"] in ("russell-1000-style", "russell-2000-style")
    ]
    unbanded, _ = build(raw, market, start)
    ids = ("russell-1000-style", "russell-2000-style")
    print(
        f"- Banding at #1000, annual one-way turnover: with bands {boundary_turnover(russell, market, ids)}; "
        f"bands off {boundary_turnover(unbanded, market, ids)}"
    )

    crsp = results["crsp-us-style"]
    shares = []
    for _date, frame in crsp["crsp-us-total-market-style"].constituents.groupby("effective_date"):
        view = market.view(frame["rank_date"].iloc[0])
        cap = view.company_market_cap(frame["security_id"]).to_numpy() * frame["fraction"].to_numpy()
        by_company = pd.Series(cap, index=frame["company_id"].to_numpy())
        total = by_company.groupby(level=0).max().sum()  # company cap counted once
        seg = {}
        for bucket in ("mega", "mid", "small"):
            rows = frame[frame["bucket"].str.contains(bucket)]
            part = view.company_market_cap(rows["security_id"]).to_numpy()
            frac = np.where(rows["bucket"] == bucket, rows["fraction"], 0.5)
            seg[bucket] = (
                pd.Series(part * frac, index=rows["company_id"].to_numpy()).groupby(level=0).max().sum()
                / total
            )
        shares.append((seg["mega"], seg["mega"] + seg["mid"], seg["mega"] + seg["mid"] + seg["small"]))
    shares_arr = np.array(shares) * 100
    print(
        f"- CRSP-style cumulative cap held: mega {shares_arr[:, 0].min():.1f}-{shares_arr[:, 0].max():.1f}% (band 65-75), "
        f"mega+mid {shares_arr[:, 1].min():.1f}-{shares_arr[:, 1].max():.1f}% (80-90), "
        f"+small {shares_arr[:, 2].min():.1f}-{shares_arr[:, 2].max():.1f}% (97-99)"
    )
    raw, _ = read_preset("crsp-us-style")
    raw["family"]["bucketing"]["params"]["packet"] = 1.0
    unpacketed, _ = build(raw, market, start)
    ids = ("crsp-us-mega-cap-style", "crsp-us-mid-cap-style", "crsp-us-small-cap-style")
    print(
        f"- CRSP-style packeting, annual one-way turnover: packets of 0.5 {boundary_turnover(crsp, market, ids)}; "
        f"packet 1 (whole moves) {boundary_turnover(unpacketed, market, ids)}"
    )

    sp = results["sp-us-style"]
    counts = {i: companies(sp[i].constituents) for i in ("sp-500-style", "sp-400-style", "sp-600-style")}
    print(
        "- S&P-style company counts per review: "
        + ", ".join(f"{k} {v.min()}-{v.max()}" for k, v in counts.items())
    )
    overlap = 0
    for d in counts["sp-500-style"].index:
        sets = [
            set(sp[i].constituents.loc[sp[i].constituents.effective_date == d, "company_id"]) for i in counts
        ]
        overlap += len(sets[0] & sets[1]) + len(sets[0] & sets[2]) + len(sets[1] & sets[2])
    print(f"- S&P-style overlap between 500/400/600 over all reviews: {overlap} companies")
    notes = sp["sp-1500-style"].constituents["note"]
    print(
        f"- S&P-style additions below the range (too few in range): {int(notes.str.startswith('added below').sum())}; "
        f"migrations: {int(notes.str.startswith('migrated').sum())}"
    )
    ndx = results["nasdaq-100-style"]["nasdaq-100-style"].constituents
    nrec = ndx[ndx["review"] == "reconstitution"]
    print(
        f"- Nasdaq-100-style companies after each December reconstitution: {companies(nrec).min()}-{companies(nrec).max()}; "
        f"financials ever held: {int((ndx['sector'] == 'Financials').sum())}; largest weight {ndx['weight'].max():.2%}"
    )
    dow = results["dow-30-style"]["dow-30-style"].constituents
    print(f"- Dow-style companies per review: {companies(dow).min()}-{companies(dow).max()}")


if __name__ == "__main__":
    main()
