"""Demo market: generation, caching and loading time and peak memory.

Targets (issue 3): the full market generates and caches in <= 60 s with peak memory
<= 3 GB on a 2-core machine, and loads from the cache in a few seconds; the small market
generates in <= 2 s.

Each case runs in a fresh Python process so that its peak RSS is its own:

    python benchmarks/bench_demo_market.py            # all cases
    python benchmarks/bench_demo_market.py --json     # machine-readable
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import textwrap

CASES = {
    "small: generate": """
        from indexsmith import demo
        demo.generate("small")
    """,
    "full: generate + write cache": """
        from indexsmith import demo
        demo.export(demo.generate("full"), CACHE + "/demo-full")
    """,
    "full: load from cache": """
        from indexsmith import load_market
        market = load_market(CACHE + "/demo-full")
        market.view(market.last_session)
    """,
}

RUNNER = """
import resource, time
CACHE = {cache!r}
start = time.perf_counter()
{body}
elapsed = time.perf_counter() - start
print(elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def run(body: str, cache: str) -> tuple[float, float]:
    code = RUNNER.format(cache=cache, body=textwrap.dedent(body))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seconds, peak_mb = out.stdout.split()[-2:]
    return float(seconds), float(peak_mb)


def main() -> None:
    results = {}
    with tempfile.TemporaryDirectory() as cache:
        for name, body in CASES.items():
            seconds, peak_mb = run(body, cache)
            results[name] = {"seconds": round(seconds, 2), "peak_rss_mb": round(peak_mb)}
    if "--json" in sys.argv:
        print(json.dumps(results, indent=2))
        return
    print(f"{'case':<32} {'seconds':>8} {'peak RSS (MB)':>14}")
    for name, figures in results.items():
        print(f"{name:<32} {figures['seconds']:>8.2f} {figures['peak_rss_mb']:>14,}")


if __name__ == "__main__":
    main()
