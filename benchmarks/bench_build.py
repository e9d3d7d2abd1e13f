"""Family builds end to end against a plain numpy lower bound on the same market.

Each preset family is built (selection + levels + result tables, and written with
``--out``) in its own process, so its time and peak RSS are its own; beside it, in the same
run, a plain numpy lower bound for the same market: at every June reconstitution rank the
listed securities by float-adjusted cap on the rank date, take the top 1,000 and the next
2,000 (two size tiers), weight by float cap and compute both tiers' daily levels with the
holdings fixed between reconstitutions (one gather and one matrix product per year). The
floor reads the same in-memory panel the build reads; it does no screening, no corporate
actions, no turnover accounting and writes nothing, so no build can be faster.

    python benchmarks/bench_build.py                        # every family, whole history
    python benchmarks/bench_build.py --start 2015-01-01     # a shorter history
    python benchmarks/bench_build.py --families dow-30-style nasdaq-100-style --json

Prints a Markdown table (family, build s, floor s, ratio, peak RSS) and the market load
time (the demo market from its compiled cache).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FAMILIES = ("russell-us-style", "crsp-us-style", "sp-us-style", "nasdaq-100-style", "dow-30-style")

BUILD = r"""
import json, resource, sys, time, datetime as dt
import indexsmith
from indexsmith.demo import demo_market
from pathlib import Path
from indexsmith.results import write_build
began = time.perf_counter()
market = demo_market("full")
load_s = time.perf_counter() - began
start = dt.date.fromisoformat(sys.argv[2]) if sys.argv[2] else None
began = time.perf_counter()
result = indexsmith.build(sys.argv[1], market, start=start)
build_s = time.perf_counter() - began
began = time.perf_counter()
write_build(result, Path(sys.argv[3]))
write_s = time.perf_counter() - began
print(json.dumps({"load_s": load_s, "build_s": build_s, "write_s": write_s, "indices": len(list(result)),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

FLOOR = r"""
import json, sys, time, datetime as dt
import numpy as np, pandas as pd
from indexsmith.demo import demo_market

market = demo_market("full")
panel, sessions = market.daily, market.sessions
start = pd.Timestamp(sys.argv[1]) if sys.argv[1] else sessions[0]
n = panel.n_securities

def session_rows(t):
    lo, hi = np.searchsorted(panel.key, np.array([t * n, (t + 1) * n]).astype(panel.key.dtype))
    return lo, hi

def latest(table, column, cutoff):
    # Latest value on or before cutoff per security (table sorted by position, date).
    keep = table["date"] <= cutoff
    pos, values = table["pos"][keep], table[column][keep]
    last = np.flatnonzero(np.r_[pos[1:] != pos[:-1], True]) if len(pos) else pos
    out = np.full(n, np.nan)
    out[pos[last]] = values[last]
    return out

began = time.perf_counter()
june = np.flatnonzero((sessions.month[1:] == 6) & (sessions.month[:-1] == 5)) + 1  # first June session
recon = [int(t) for t in june if sessions[t] >= start] or [int(np.searchsorted(sessions, start))]
bounds = recon[1:] + [len(sessions) - 1]
levels = {"top": [], "next": []}
value = {"top": 1000.0, "next": 1000.0}
for t, stop in zip(recon, bounds):
    cutoff = np.datetime64(sessions[t].date(), "D")
    lo, hi = session_rows(t)
    pos = (panel.key[lo:hi].astype(np.int64) - t * n)
    close = panel.close[lo:hi]
    fcap = close * latest(market.shares, "shares_outstanding", cutoff)[pos] * latest(market.shares, "float_factor", cutoff)[pos]
    ok = np.isfinite(fcap) & (fcap > 0)
    order = np.argsort(-fcap[ok], kind="stable")
    ranked_pos, ranked_close, ranked_cap = pos[ok][order], close[ok][order], fcap[ok][order]
    a, b = session_rows(t)[0], session_rows(stop)[1]
    key = panel.key[a:b].astype(np.int64)
    day = key // n - t
    col = np.full(n, -1, dtype=np.int64)
    for tier, (i, j) in (("top", (0, 1000)), ("next", (1000, 3000))):
        members = ranked_pos[i:j]
        q = ranked_cap[i:j] / ranked_close[i:j]
        q = q * value[tier] / float(q @ ranked_close[i:j])
        col[:] = -1
        col[members] = np.arange(len(members))
        c = col[key % n]
        keep = c >= 0
        prices = np.full((stop - t + 1, len(members)), np.nan)
        prices[day[keep], c[keep]] = panel.close[a:b][keep]
        prices = pd.DataFrame(prices).ffill().fillna(0.0).to_numpy()
        level = prices @ q
        levels[tier].append(level[1:] if levels[tier] else level)
        value[tier] = float(level[-1])
floor_s = time.perf_counter() - began
print(json.dumps({"floor_s": floor_s, "reconstitutions": len(recon)}))
"""


def run(code: str, *args: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--start", default="", help="first date of every build (default: whole history)")
    parser.add_argument("--families", nargs="*", default=list(FAMILIES))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    run(FLOOR, args.start)  # warm the compiled market cache and the page cache
    floor = run(FLOOR, args.start)
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for family in args.families:
            began = time.perf_counter()
            rows[family] = run(BUILD, family, args.start, str(Path(tmp) / family))
            rows[family]["process_s"] = time.perf_counter() - began
    if args.json:
        print(json.dumps({"floor": floor, "families": rows}, indent=2))
        return
    print(
        f"numpy floor (two size tiers, {floor['reconstitutions']} reconstitutions): {floor['floor_s']:.2f} s"
    )
    print()
    print("| family | indices | market load | build | write | build / floor | peak RSS |")
    print("|---|---|---|---|---|---|---|")
    for family, r in rows.items():
        print(
            f"| {family} | {r['indices']} | {r['load_s']:.2f} s | {r['build_s']:.1f} s | {r['write_s']:.1f} s | "
            f"{r['build_s'] / floor['floor_s']:.0f}x | {r['peak_rss_mb']:,.0f} MB |"
        )
    total = sum(r["build_s"] + r["write_s"] for r in rows.values())
    print(f"\nall families: {total:.1f} s (build + write), {total / floor['floor_s']:.0f}x the floor")


if __name__ == "__main__":
    main()
