"""The robustness audit of issue 18: bad inputs tried as a hostile or careless user would,
each through the real ``indexsmith`` script in its own process and a folder of its own,
classified from what the process did, and a Markdown table of the outcomes per category::

    INDEXSMITH_CACHE_DIR=... python benchmarks/robustness_audit.py [--workers 2] [--details]

The cases are the parametrised suites of ``tests/robustness`` (definitions, market data,
command lines, damaged results, unsafe ids), collected from their ``CASES`` tables, and the
cases written here for what those suites test in-process or not at all: ``--overwrite`` and
``--out`` traps, concurrent builds, signals at several points (also while the script is
still importing), file params, legitimate inputs that must give a correct result.

Each run is classified automatically:

- **clear**: a refusal — a non-zero exit, every stderr line (besides ``note:``/``warning:``)
  an ``error:`` line under 1,200 characters, the expected words in them, nothing written;
- **handled**: a legitimate input — exit 0 and its result checked (finite, non-empty levels;
  no file outside ``--out``; no temporary folder or lock left; the case's own check);
- **vague**: a refusal that is not one clear line, or does not say what was expected, or a
  legitimate input refused;
- **traceback**: ``Traceback`` on stderr (or a death by an unexpected signal);
- **silent-wrong**: exit 0 for an input that must be refused, or an exit-0 result that fails
  its checks, or a refusal that left files behind;
- **hang**: no exit within the time limit (killed).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import robustness_audit_kit as kit
from robustness_audit_cases import own_cases
from robustness_audit_kit import (
    TIMEOUT,
    Case,
    Run,
    classify_refusal,
    execute,
    files_below,
    finite_levels,
    start_locked,
)
from robustness_audit_suites import file_param_cases, suite_cases

CATEGORIES = {
    1: "1 silently wrong data (actions, dividends, non-finite, dates, chronology)",
    2: "2 --out / --overwrite",
    3: "3 index ids and display strings",
    4: "4 interrupted and concurrent builds",
    5: "5 unreadable inputs and outputs",
    6: "6 bounded work (size, depth, aliases, long values)",
    7: "7 results verified (SHA-256, damaged folders)",
    8: "8 definitions that cannot build",
    9: "9 file params",
    10: "10 smaller (keys, types, messages, CLI arguments)",
}
OUTCOMES = ("clear", "handled", "vague", "traceback", "silent-wrong", "hang")


def run_case(case: Case, base: Path, number: int) -> Case:
    folder = base / f"case-{number:03d}"
    folder.mkdir()
    start = time.monotonic()
    try:
        if case.special is not None:
            case.outcome, case.detail = case.special(folder)
        elif case.signal_after_lock is not None:
            case.outcome, case.detail = _signalled(case, folder)
        else:
            args = case.prepare(folder)
            before = files_below(folder)
            run = execute(args, cwd=folder)
            case.outcome, case.detail = _classify(case, run, folder, before)
    except Exception as exc:  # the audit's own failure is reported, not hidden
        case.outcome, case.detail = "vague", f"audit error: {type(exc).__name__}: {exc}"
    case.seconds = time.monotonic() - start
    return case


def _classify(case: Case, run: Run, folder: Path, before: set[str]) -> tuple[str, str]:
    if run.code is None:
        return "hang", f"no exit in {TIMEOUT:.0f}s"
    if "Traceback" in run.err or run.code < 0:
        return "traceback", run.err[-400:]
    after = files_below(folder)
    new = sorted(after - before)
    if case.expect is not None:  # must be refused
        if run.code == 0:
            return "silent-wrong", f"exit 0: {(run.out + run.err)[-200:]}"
        if new:
            return "silent-wrong", f"refused but wrote {new[:5]}"
        return classify_refusal(run, case.expect, folder, case.market_word)
    if run.code != 0:
        return "vague", f"a legitimate input refused: {run.err[-300:]}"
    parents = {Path(case.out).parents[i].as_posix() for i in range(len(Path(case.out).parents) - 1)}
    outside = [p for p in new if not (p == case.out or p.startswith(case.out + "/") or p in parents)]
    if outside:
        return "silent-wrong", f"wrote outside --out: {outside[:5]}"
    problem = case.check(folder, run) if case.check else None
    return ("silent-wrong", problem) if problem else ("handled", "")


def _signalled(case: Case, folder: Path) -> tuple[str, str]:
    signum, delay = case.signal_after_lock  # type: ignore[misc]
    args = case.prepare(folder)
    proc = start_locked(args, folder / ".out.lock")
    time.sleep(delay)
    proc.send_signal(signum)
    try:
        _, err_bytes = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        return "hang", "no exit after the signal"
    err = err_bytes.decode(errors="replace")
    if "Traceback" in err:
        return "traceback", err[-300:]
    left = sorted(p.name for p in folder.iterdir())
    # Finished first — or finished, then the signal ended the interpreter's shutdown (Python
    # has reset its handlers by then): all of the results must be there.
    if proc.returncode in (0, -int(signum)) and "out" in left:
        whole = left == ["market", "out", "tiny.toml"] and finite_levels(folder / "out") is None
        why = (
            "finished before the signal"
            if proc.returncode == 0
            else "finished; the signal ended its shutdown"
        )
        return ("handled", why) if whole else ("silent-wrong", f"left {left}")
    lines = [line for line in err.splitlines() if line.strip()]
    status = 128 + int(signum)
    if left != ["market", "tiny.toml"]:
        return "silent-wrong", f"exit {proc.returncode}, left {left}"
    if proc.returncode != status or lines != ["interrupted"]:
        return "vague", f"exit {proc.returncode}: {lines[-3:]}"
    return "clear", ""


def table(cases: list[Case]) -> str:
    rows = ["| category | cases | " + " | ".join(OUTCOMES) + " |", "|---|" + "---:|" * (len(OUTCOMES) + 1)]
    total: Counter[str] = Counter()
    for number, title in CATEGORIES.items():
        mine = [c for c in cases if c.category == number]
        counts = Counter(c.outcome for c in mine)
        total.update(counts)
        rows.append(f"| {title} | {len(mine)} | " + " | ".join(str(counts[o]) for o in OUTCOMES) + " |")
    rows.append(f"| **all** | **{len(cases)}** | " + " | ".join(f"**{total[o]}**" for o in OUTCOMES) + " |")
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="cases run at once (default 2)")
    parser.add_argument("--details", action="store_true", help="list every case and its outcome")
    parser.add_argument("--only", help="only cases whose name contains this text")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="indexsmith-audit-") as tmp:
        base = Path(tmp)
        kit.FIXTURES = kit.make_fixtures(base)
        cases = suite_cases() + own_cases() + file_param_cases()
        if options.only:
            cases = [c for c in cases if options.only in c.name]
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=options.workers) as pool:
            done = list(pool.map(lambda pair: run_case(pair[1], base, pair[0]), enumerate(cases)))
        seconds = time.monotonic() - started
    print(table(done))
    print(f"\n{len(done)} cases in {seconds:.0f} s ({options.workers} at once).")
    bad = [c for c in done if c.outcome not in ("clear", "handled")]
    for case in done if options.details else bad:
        print(f"- [{case.outcome}] ({case.category}) {case.name}: {case.detail}".rstrip(": "))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
