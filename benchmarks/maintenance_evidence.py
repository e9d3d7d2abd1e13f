"""Index maintenance on the full demo market: per preset index, the mean one-way turnover
per complete year and what caused it (additions/deletions at reviews, replacements and
other trades between reviews, share/float changes, fraction changes, reweighting of
retained names), the companies held on every session (min-max) and the replacements per
year; the S&P-style 500 beside S&P's published ~4% a year (methodologies.md §3.4).

    python benchmarks/maintenance_evidence.py [--quick]   # --quick: 2015-2025 only

Prints Markdown. The whole history takes a while on two cores (the S&P-style family
chooses every replacement on the day's data).
"""

from __future__ import annotations

import datetime as dt
import sys
import time

import indexsmith
import numpy as np
import pandas as pd
from indexsmith.demo import demo_market
from indexsmith.frames import TURNOVER_CAUSES

FAMILIES = ("russell-us-style", "crsp-us-style", "sp-us-style", "nasdaq-100-style", "dow-30-style")
FIXED = {"sp-500-style", "sp-400-style", "sp-600-style", "sp-100-style", "sp-500-equal-weight-style"}
FIXED |= {"sp-1500-style", "nasdaq-100-style", "dow-30-style"}


def companies_held(result: indexsmith.IndexResult, market: indexsmith.Market) -> np.ndarray:
    """Companies held on each session after the base date (spun-off companies awaiting
    their drop not counted)."""
    intervals = result.membership[~result.membership["entry_reason"].fillna("").str.startswith("spin-off")]
    sessions = market.sessions
    lo = sessions.searchsorted(intervals["entry_date"])
    exits = intervals["exit_date"].fillna(sessions[-1] + pd.Timedelta(days=1))
    hi = np.minimum(sessions.searchsorted(exits), len(sessions))
    codes, names = pd.factorize(intervals["company_id"])
    held = np.zeros((len(names), len(sessions)), dtype=bool)
    for c, a, b in zip(codes, lo, hi, strict=True):
        held[c, a:b] = True
    first = int(sessions.searchsorted(result.levels["date"].iloc[1]))
    return held.sum(axis=0)[first:]


def rows(result: indexsmith.BuildResult, market: indexsmith.Market, seconds: float) -> list[str]:
    out = []
    for index_id in result.indices:
        index = result[index_id]
        t = index.calculation.turnover.dropna(subset=["one_way"])
        by_year = t.groupby(t["effective_date"].dt.year)[["one_way", *TURNOVER_CAUSES]].sum()
        inner = by_year.iloc[1:-1] if len(by_year) > 2 else by_year
        mean = inner.mean()
        held = companies_held(index, market)
        added = index.changes.query("review == 'replacement' and change == 'addition'")
        per_year = len(added) / max(len(inner), 1)
        cells = " | ".join(f"{mean[c]:.2%}" for c in TURNOVER_CAUSES)
        counts = f"{held.min():,}-{held.max():,}" if index_id in FIXED else f"({held.min():,}-{held.max():,})"
        out.append(
            f"| {index_id} | {mean['one_way']:.2%} | {cells} | {counts} | {per_year:.1f} | {seconds:.0f} s |"
        )
    return out


def main() -> None:
    quick = "--quick" in sys.argv
    start = dt.date(2015, 1, 1) if quick else None
    began = time.perf_counter()
    market = demo_market("full")
    print(
        f"Full demo market loaded in {time.perf_counter() - began:.1f} s; history from {start or 'the start'}\n"
    )
    header = "| index | one-way / yr | " + " | ".join(c.replace("_", " ") for c in TURNOVER_CAUSES)
    print(header + " | companies each session | replacements / yr | family build |")
    print("|" + "---|" * (len(TURNOVER_CAUSES) + 5))
    for family in FAMILIES:
        began = time.perf_counter()
        result = indexsmith.build(family, market, start=start)
        for line in rows(result, market, time.perf_counter() - began):
            print(line, flush=True)
    print("\nCompanies in brackets: indices that do not replace between reviews (counts drift).")


if __name__ == "__main__":
    main()
