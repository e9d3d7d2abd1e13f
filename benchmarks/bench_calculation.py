"""Index calculation speed and memory against a plain numpy holdings kernel.

Targets (issue 5): an equal-weight index of 5,000 securities rebalanced monthly over 30
years of random-walk prices is calculated within 3x of a plain numpy kernel on the same
arrays, with identical levels to 1e-10 relative, and a peak memory <= 2 GB; the same for a
cap-weighted index. Each case runs in its own process so that its peak RSS is its own:

    python benchmarks/bench_calculation.py            # both cases
    python benchmarks/bench_calculation.py --json

(Every preset end to end on the full demo market: ``benchmarks/preset_evidence.py``.)
"""

from __future__ import annotations

import json
import subprocess
import sys

CASE = r"""
import resource, time
import numpy as np, pandas as pd
from indexsmith import get_calendar
from indexsmith.calculation import calculate
from indexsmith.market import DailyPanel, Market

N, WEIGHTING = 5000, {weighting!r}
sessions = get_calendar("XNYS").sessions
sessions = sessions[(sessions >= "1995-01-03") & (sessions <= "2024-12-31")]
T = len(sessions)
rng = np.random.default_rng(7)
# Random walks, session-major: row t holds every security's close on session t.
P = 50.0 * np.exp(np.cumsum(rng.normal(0.0002, 0.02, size=(T, N)), axis=0))
shares = rng.uniform(1e6, 1e8, size=N)
ids = [f"S{{i:05d}}" for i in range(N)]
panel = DailyPanel(np.arange(T * N, dtype=np.int64), P.reshape(-1), np.full(T * N, 1e5), np.ones(T * N, dtype=bool), T, N)
panel.first_session, panel.last_session = np.zeros(N, dtype=np.int64), np.full(N, T - 1, dtype=np.int64)
securities = pd.DataFrame({{
    "security_id": ids, "company_id": ids, "ticker": ids, "name": ids, "sector": "Industrials",
    "exchange": "XNYS", "country_of_incorporation": "US", "country_of_headquarters": "US",
    "security_type": "common", "listing_date": sessions[0],
}})
share_rows = pd.DataFrame({{"date": sessions[0], "security_id": ids, "shares_outstanding": shares, "float_factor": 1.0}})
market = Market.from_panel({{"securities": securities, "shares": share_rows}}, panel, sessions[0])
month_end = np.flatnonzero(np.r_[sessions.month[1:] != sessions.month[:-1], True])
if WEIGHTING == "equal":
    W = np.full((len(month_end), N), 1.0 / N)
else:
    caps = P[month_end] * shares
    W = caps / caps.sum(axis=1, keepdims=True)
constituents = pd.DataFrame({{
    "effective_date": np.repeat(sessions[month_end], N),
    "security_id": np.tile(np.array(ids, dtype=object), len(month_end)),
    "weight": W.reshape(-1),
    "review": "reconstitution",
}})

def kernel(P, month_end, W, base=1000.0):
    # Plain holdings arithmetic: shares fixed between month ends, reset to the targets at
    # each month-end close; divisor 1 (the level is the market value).
    level = np.empty(P.shape[0] - month_end[0])
    first = month_end[0]
    q = W[0] * base / P[first]
    level[0] = base
    bounds = list(month_end[1:]) + [P.shape[0] - 1]
    start = first + 1
    for k, stop in enumerate(bounds, start=1):
        if stop >= start:
            level[start - first : stop - first + 1] = P[start : stop + 1] @ q
        if k < len(month_end):
            q = W[k] * level[stop - first] / P[stop]
        start = stop + 1
    return level

began = time.perf_counter()
reference = kernel(P, month_end, W)
kernel_s = time.perf_counter() - began
began = time.perf_counter()
calc = calculate(constituents, market)
calc_s = time.perf_counter() - began
levels = calc.levels["price_return"].to_numpy()
error = float(np.max(np.abs(levels / reference - 1)))
print(json.dumps({{"kernel_s": kernel_s, "calculate_s": calc_s, "ratio": calc_s / kernel_s,
                  "max_rel_error": error, "sessions": T, "reviews": len(month_end),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def run(weighting: str) -> dict[str, float]:
    code = "import json\n" + CASE.format(weighting=weighting)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    results = {f"{w}-weight, 5,000 securities, monthly, 30 years": run(w) for w in ("equal", "cap")}
    if "--json" in sys.argv:
        print(json.dumps(results, indent=2))
        return
    print("| case | numpy kernel | indexsmith | ratio | max relative level difference | peak RSS |")
    print("|---|---|---|---|---|---|")
    for name, r in results.items():
        print(
            f"| {name} | {r['kernel_s']:.2f} s | {r['calculate_s']:.2f} s | {r['ratio']:.1f}x | "
            f"{r['max_rel_error']:.1e} | {r['peak_rss_mb']:,.0f} MB |"
        )


if __name__ == "__main__":
    main()
