"""How a size-tier family's build grows with the universe: 1x, 2x, 4x the full demo market.

A synthetic market is generated with the full demo market's generator (1995-2025, XNYS)
and ``--companies`` times 1, 2 and 4 companies listed on the first day (4,000 is the full
demo market; the default 4x is about 50,000 securities over 31 years, a world-sized
universe). On each, in its own process (so time and peak RSS are its own), the demo-tiers
family is built over the whole history with its tier counts scaled with the universe
(100·k large, 200·k small: members grow with the market), and written. The table gives
securities, panel rows (security-sessions), the build and write time, the peak RSS, and
each one's ratio to the 1x run against the ratio of securities × sessions: linear scaling
means the time and memory ratios stay at or below the size ratio.

    python benchmarks/bench_scaling.py                 # 1x, 2x, 4x (about 25 minutes)
    python benchmarks/bench_scaling.py --scales 1 2    # a quicker check
    python benchmarks/bench_scaling.py --json

Generation (and the market's validation) is timed apart: it is the data's cost, not the
build's.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time

BUILD = r"""
import json, resource, sys, time
from pathlib import Path
import indexsmith
from indexsmith.data.market import Market
from indexsmith.definition.presets import read_definition
from indexsmith.demo.generator import DemoSize, generate
from indexsmith.results import write_build

scale, companies, out = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
began = time.perf_counter()
size = DemoSize(start="1995-01-03", end="2025-12-31", companies=companies * scale, exit_rate=0.064)
market = Market.from_frames(generate(size))
generate_s = time.perf_counter() - began
rss_data = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
definition, _ = read_definition("demo-tiers")
definition["family"]["id"] = "scaling-tiers"
tiers = definition["family"]["bucketing"]["params"]["tiers"]
for tier in tiers:
    tier["count"] = tier["count"] * scale
began = time.perf_counter()
result = indexsmith.build(definition, market)
build_s = time.perf_counter() - began
began = time.perf_counter()
write_build(result, out)
write_s = time.perf_counter() - began
print(json.dumps({
    "scale": scale, "securities": market.daily.n_securities, "sessions": len(market.sessions),
    "panel_rows": len(market.daily), "generate_s": generate_s, "build_s": build_s, "write_s": write_s,
    "members": sum(len(r.constituents) for r in result), "rss_after_data_mb": rss_data,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


def run(*args: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", BUILD, *args], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", nargs="*", type=int, default=[1, 2, 4])
    parser.add_argument("--companies", type=int, default=4000, help="companies on the first day at 1x")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for scale in args.scales:
            began = time.perf_counter()
            row = run(str(scale), str(args.companies), f"{tmp}/{scale}")
            row["process_s"] = time.perf_counter() - began
            rows.append(row)
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    base = rows[0]
    print(
        "| scale | securities | panel rows | generate | build | write | peak RSS | size ratio | time ratio | RSS ratio |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        size = r["panel_rows"] / base["panel_rows"]
        took = (r["build_s"] + r["write_s"]) / (base["build_s"] + base["write_s"])
        print(
            f"| {r['scale']}x | {r['securities']:,} | {r['panel_rows']:,} | {r['generate_s']:.0f} s | "
            f"{r['build_s']:.1f} s | {r['write_s']:.1f} s | {r['peak_rss_mb']:,.0f} MB | {size:.2f} | "
            f"{took:.2f} | {r['peak_rss_mb'] / base['peak_rss_mb']:.2f} |"
        )


if __name__ == "__main__":
    main()
