"""Backtest of the reconstitution predictor (``indexsmith preview``) on the full demo market.

For every Russell-style June reconstitution 2005-2025 and every S&P-style quarterly
review 2005-2025, the family is built once with the membership kept 10, 20 and 40
sessions before each rank date (``engine.run(snapshots=...)``); from each of those days
the review is predicted as ``preview`` predicts it (ranked on that day's view, from the
membership then in force) and its additions and deletions are scored against the review
the build made: precision = right / predicted, recall = right / actual, pooled over the
reviews. Both are measured against the membership in force on the prediction day, so a
member that leaves the market between the prediction day and the effective date, and a
replacement made in that time, count as actual deletions and additions the predictor could
not know: ``after the day`` counts them and ``recall of the knowable`` leaves them out.

    python benchmarks/preview_backtest.py [--families russell sp] [--indices ...]

Prints a Markdown table; takes minutes (one full-history build per family).
"""

from __future__ import annotations

import argparse
import time

import pandas as pd
from indexsmith import engine
from indexsmith.demo import demo_market
from indexsmith.pipeline import resolve_definition
from indexsmith.prediction.forecast import predict

LEADS = (10, 20, 40)
FAMILIES = {
    "russell": ("russell-us-style", ("russell-1000-style", "russell-2000-style"), "june"),
    "sp": ("sp-us-style", ("sp-500-style", "sp-400-style", "sp-600-style"), "all"),
}


def backtest(family: str, indices: tuple[str, ...], which: str, market) -> list[dict]:  # type: ignore[no-untyped-def]
    methodology = resolve_definition(family)
    reviews, _ = engine.schedule(methodology, market)
    reviews = reviews[(reviews["rank_date"] >= "2005-01-01") & (reviews["effective_date"] <= "2025-12-31")]
    if which == "june":
        reviews = reviews[(reviews["effective_date"].dt.month == 6) & (reviews["kind"] == "reconstitution")]
    sessions = market.sessions
    days = {}
    for row in reviews.itertuples(index=False):
        at = int(sessions.get_loc(row.rank_date))
        for lead in LEADS:
            days[(row.effective_date, lead)] = sessions[at - lead]
    started = time.perf_counter()
    run = engine.run(methodology, market, snapshots=sorted(set(days.values())))
    built = time.perf_counter() - started
    actual = {o.review.effective_date: o for o in run.outputs}
    listed = market.securities.dropna(subset=["delisting_date"])
    leaves = dict(zip(listed["security_id"], pd.DatetimeIndex(listed["delisting_date"]), strict=True))
    counts: dict[tuple[str, int, str], list[int]] = {}
    started = time.perf_counter()
    for row in reviews.itertuples(index=False):
        output = actual.get(row.effective_date)
        if output is None:
            continue
        review = engine.Review.from_row(row)
        for lead in LEADS:
            day = days[(row.effective_date, lead)]
            state = run.snapshots.get(day)
            if state is None:
                continue
            predicted = predict(
                methodology, market, review, state.assignment, day, state.states, state.previous_rank_date
            )
            for index_id in indices:
                before = state.members[index_id]
                truth = set(output.constituents[index_id].index)
                guess = set(predicted.constituents[index_id].index)
                gone = {
                    sid for sid in before if leaves.get(sid, day) > day and leaves[sid] <= row.effective_date
                }
                # Names a replacement brought in after the prediction day and before the review.
                brought: set[str] = set()
                for event in run.events:
                    if day < event.review.effective_date <= row.effective_date:
                        frame = event.added.get(index_id)
                        if frame is not None:
                            brought.update(frame.index)
                for kind, a, p in (
                    ("additions", truth - before, guess - before),
                    ("deletions", before - truth, before - guess),
                ):
                    c = counts.setdefault((index_id, lead, kind), [0, 0, 0, 0, 0, 0])
                    unknowable = a & (gone if kind == "deletions" else brought)
                    c[0] += len(a & p)
                    c[1] += len(p)
                    c[2] += len(a)
                    c[3] += 1
                    c[4] += len(unknowable)
                    c[5] += len((a - unknowable) & p)
    predicted_time = time.perf_counter() - started
    rows = []
    for (index_id, lead, kind), (right, guessed, real, n, unknowable, known_right) in sorted(counts.items()):
        rows.append(
            {
                "index": index_id,
                "sessions before rank date": lead,
                "changes": kind,
                "reviews": n // 1,
                "actual": real,
                "predicted": guessed,
                "right": right,
                "after the day": unknowable,
                "precision": right / guessed if guessed else float("nan"),
                "recall": right / real if real else float("nan"),
                "recall of the knowable": known_right / (real - unknowable)
                if real > unknowable
                else float("nan"),
            }
        )
    print(
        f"{family}: build with snapshots {built:.0f} s; {len(reviews)} reviews x {len(LEADS)} predictions {predicted_time:.0f} s"
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", nargs="+", default=list(FAMILIES), choices=list(FAMILIES))
    args = parser.parse_args()
    market = demo_market("full")
    rows = []
    for name in args.families:
        family, indices, which = FAMILIES[name]
        rows += backtest(family, indices, which, market)
    table = pd.DataFrame(rows)
    print("| " + " | ".join(table.columns) + " |")
    print("|" + "---|" * len(table.columns))
    for row in table.itertuples(index=False):
        print("| " + " | ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in row) + " |")


if __name__ == "__main__":
    main()
