"""Sweeps: variants per second with 1 and 2 local workers, the speed-up of stage sharing
against building each variant alone, and the peak memory.

Each configuration runs ``indexsmith.sweep`` in its own process into a fresh folder (so its
time and peak RSS, its workers' included, are its own):

* ``shared, 1 worker``  — this process, one StageMemo per group of variants;
* ``alone, 1 worker``   — the same variants, each built from scratch (no memo);
* ``shared, 2 workers`` — a local process pool of two;
* ``dask, 2 workers``   — with ``--dask``: a Dask LocalCluster of two (its start included).

    python benchmarks/bench_sweep.py                                # small demo market, 8 variants
    python benchmarks/bench_sweep.py --demo full --start 2021-01-01 --variants 12
    python benchmarks/bench_sweep.py --demo full --json

On ``--demo small`` the sweep is the demo family's large tier (tier count x weighting);
on ``--demo full`` the Russell-style 2000 (the count of its lower tier, ranks 2001-3000,
x the band width at rank 2000 x weighting), cut to ``--variants``. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

SWEEPS: dict[str, dict[str, Any]] = {
    "small": {
        "definition": "demo-tiers",
        "index": "demo-large",
        "axes": {
            "family.bucketing.params.tiers[0].count": [60, 80, 100, 120],
            "family.index[0].weighting.use": ["float-cap", "equal"],
        },
    },
    "full": {
        "definition": "russell-us-style",
        "index": "russell-2000-style",
        "max_variants": 10_000,
        "axes": {
            "family.bucketing.params.tiers[5].count": [750, 875, 1000, 1125, 1250],
            "family.bucketing.params.bands[3].width": [0.25, 0.5, 1.0, 2.0],
            "family.index[3].weighting.use": ["float-cap", "equal"],
        },
    },
}

RUN = r"""
import json, resource, sys, time, datetime as dt
import indexsmith
spec, out, workers, share, executor, start, end = json.loads(sys.argv[1])
began = time.perf_counter()
frame = indexsmith.sweep(
    {"sweep": spec}, sys.argv[2], out, workers=workers, share=share,
    executor=executor, yes=True,
    start=dt.date.fromisoformat(start) if start else None, end=dt.date.fromisoformat(end) if end else None,
)
seconds = time.perf_counter() - began
usage = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(json.dumps({"seconds": seconds, "variants": int(frame["variant"].nunique()),
                  "failed": int(frame.loc[frame["status"] != "ok", "variant"].nunique()),
                  "peak_rss_mb": usage / 1024}))
"""


def run(
    spec: dict[str, Any], data: str, out: Path, workers: int, share: bool, executor: str, args: Any
) -> dict[str, Any]:
    payload = json.dumps([spec, str(out), workers, share, executor, args.start, args.end])
    done = subprocess.run(
        [sys.executable, "-c", RUN, payload, data], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "the sweep failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo", choices=sorted(SWEEPS), default="small")
    parser.add_argument("--variants", type=int, default=None, help="Use the first N variants of the product.")
    parser.add_argument("--start", default=None, help="First effective date (YYYY-MM-DD).")
    parser.add_argument("--end", default=None, help="Last effective date (YYYY-MM-DD).")
    parser.add_argument("--dask", action="store_true", help="Also run on a Dask LocalCluster of 2 workers.")
    parser.add_argument("--json", action="store_true", help="Print JSON instead of a table.")
    args = parser.parse_args()
    spec = dict(SWEEPS[args.demo])
    if args.variants is not None:
        spec["axes"] = _first(spec["axes"], args.variants)
    configs = [("shared, 1 worker", 1, True, "local"), ("alone, 1 worker", 1, False, "local")]
    configs.append(("shared, 2 workers", 2, True, "local"))
    if args.dask:
        configs.append(("dask, 2 workers", 2, True, "dask"))
    rows = {}
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
        for label, workers, share, executor in configs:
            out = Path(tmp) / label.replace(" ", "").replace(",", "-")
            rows[label] = run(spec, f"demo:{args.demo}", out, workers, share, executor, args)
    for row in rows.values():
        row["variants_per_s"] = row["variants"] / row["seconds"]
    sharing = rows["alone, 1 worker"]["seconds"] / rows["shared, 1 worker"]["seconds"]
    scaling = rows["shared, 2 workers"]["variants_per_s"] / rows["shared, 1 worker"]["variants_per_s"]
    if args.json:
        print(json.dumps({"runs": rows, "sharing_speedup": sharing, "two_worker_speedup": scaling}, indent=2))
        return
    print(f"demo {args.demo}, window {args.start or 'start'}..{args.end or 'end'}\n")
    print("| run | variants | failed | seconds | variants/s | peak RSS MB |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, row in rows.items():
        print(
            f"| {label} | {row['variants']} | {row['failed']} | {row['seconds']:.1f} | "
            f"{row['variants_per_s']:.2f} | {row['peak_rss_mb']:.0f} |"
        )
    print(
        f"\nstage sharing: {sharing:.2f}x faster than each variant alone; 2 workers: {scaling:.2f}x 1 worker"
    )


def _first(axes: dict[str, list[Any]], count: int) -> dict[str, list[Any]]:
    """Axes cut (the last first) until their product is at most ``count`` variants."""
    axes = {k: list(v) for k, v in axes.items()}
    keys = list(axes)
    while True:
        total = 1
        for values in axes.values():
            total *= len(values)
        if total <= count:
            return axes
        longest = max(reversed(keys), key=lambda k: len(axes[k]))
        if len(axes[longest]) == 1:
            return axes
        axes[longest].pop()


if __name__ == "__main__":
    main()
