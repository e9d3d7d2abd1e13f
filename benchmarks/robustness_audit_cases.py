"""The robustness audit's own cases: what the suites test in-process or not at all —
``--out``/``--overwrite`` traps, signals at several points and while the script imports,
concurrent builds, legitimate inputs whose results are checked."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402
import robustness_audit_kit as kit  # noqa: E402
from robustness_audit_kit import (  # noqa: E402
    ENV,
    SCRIPT,
    TIMEOUT,
    Case,
    bom,
    build_args,
    built_copy,
    command,
    day_first,
    definition,
    definition_copy,
    execute,
    family,
    finite_levels,
    levels_ok,
    market_copy,
    prepare_with,
    replace,
    start_locked,
)

from tests.robustness import test_definitions, test_market_data  # noqa: E402


def own_cases() -> list[Case]:
    cases: list[Case] = []
    actions = test_market_data.ACTIONS
    # 1: legitimate corporate actions and dividends give finite levels
    for name, header, line in (
        ("a 2-for-1 split", actions, "2024-02-01,A,split,2,,,"),
        ("a 1-for-10 reverse split", actions, "2024-02-01,B,split,0.1,,,"),
        ("a delisting on the last close", actions + ",reason", "2024-04-11,C,delisting,,,,,bankruptcy"),
        ("a cash acquisition on the last close", actions, "2024-04-11,A,cash-acquisition,,150,,"),
        ("a regular dividend", test_market_data.DIVIDENDS, "2024-02-01,A,1.5,regular"),
    ):
        table = "dividends.csv" if "dividend" in name else "corporate_actions.csv"
        cases.append(
            Case(
                1,
                f"legitimate: {name}",
                prepare_with(
                    lambda f, t=table, h=header, row=line: (f / "market" / t).write_text(f"{h}\n{row}\n"),
                    build_args,
                ),
                check=levels_ok,
            )
        )
    cases.append(
        Case(
            1,
            "legitimate: a ticker change",
            prepare_with(
                lambda f: (f / "market" / "corporate_actions.csv").write_text(
                    actions + ",new_ticker\n2024-02-01,A,ticker-change,,,,,AA\n"
                ),
                build_args,
            ),
            check=lambda f, r: (
                finite_levels(f / "out")
                or (
                    None
                    if "AA" in set(pd.read_parquet(f / "out" / "constituents.parquet").get("ticker", []))
                    else "old ticker kept"
                )
            ),
        )
    )
    # 1 and 3 (this session): delisting reasons and dates, date_format
    cases.append(
        Case(
            1,
            "date_format: day-first dates with --param date_format",
            prepare_with(
                lambda f: day_first(f / "market"),
                lambda f: build_args(f, "out", "--param", "date_format=%d/%m/%Y"),
            ),
            check=levels_ok,
        )
    )
    cases.append(
        Case(
            1,
            "date_format: an ISO date among day-first ones",
            prepare_with(
                lambda f: (
                    day_first(f / "market"),
                    replace(f / "market" / "prices.csv", "04/01/2024,B,", "2024-01-04,B,"),
                ),
                lambda f: ["market", "check", str(market_copy(f)), "--param", "date_format=%d/%m/%Y"],
            ),
            "column 'date' has '2024-01-04', not a date written %d/%m/%Y at prices.csv row",
        )
    )
    cases.append(
        Case(
            1,
            "date_format: a pattern without the day",
            lambda f: ["market", "check", str(market_copy(f)), "--param", "date_format=%m/%Y"],
            "date_format '%m/%Y' is not a strftime pattern with the day, month and year",
        )
    )
    # 2: --out and --overwrite
    cases.append(
        Case(
            2,
            "--overwrite over a folder holding a foreign file",
            prepare_with(
                lambda f: ((f / "out").mkdir(), (f / "out" / "thesis.docx").write_text("years of work")),
                lambda f: build_args(f, "out", "--overwrite"),
            ),
            "output folder {dir}/out holds files indexsmith did not write",
        )
    )
    cases.append(
        Case(
            2,
            "--out is the market data, --overwrite",
            lambda f: [
                "build",
                str(definition_copy(f)),
                "--data",
                str(market_copy(f)),
                "--out",
                str(f / "market"),
                "--overwrite",
            ],
            "output folder {dir}/market is or contains the market data",
        )
    )
    cases.append(
        Case(
            2,
            "--out is the market data's parent, --overwrite",
            lambda f: [
                "build",
                str(definition_copy(f)),
                "--data",
                str(market_copy(f)),
                "--out",
                str(f),
                "--overwrite",
            ],
            "is or contains the market data",
        )
    )
    cases.append(
        Case(
            2,
            "--out an existing result without --overwrite",
            lambda f: (built_copy(f, "out"), build_args(f, "out"))[1],
            "output folder {dir}/out is not empty",
        )
    )
    cases.append(
        Case(
            2,
            "--overwrite over indexsmith's own output",
            lambda f: (built_copy(f, "out"), build_args(f, "out", "--overwrite"))[1],
            check=levels_ok,
        )
    )
    cases.append(
        Case(2, "--out an empty folder", lambda f: ((f / "out").mkdir(), build_args(f))[1], check=levels_ok)
    )
    cases.append(Case(2, "--out absent (a new folder)", build_args, check=levels_ok))
    cases.append(
        Case(
            2,
            "--out deep below an absent folder",
            lambda f: build_args(f, "a/b/c/out"),
            check=lambda f, r: finite_levels(f / "a/b/c/out"),
            out="a/b/c/out",
        )
    )
    cases.append(Case(2, "--out . --overwrite in the output folder", special=_out_dot))
    cases.append(
        Case(
            2,
            "--out a file, --overwrite",
            lambda f: ((f / "out").write_text("x"), build_args(f, "out", "--overwrite"))[1],
            "output {dir}/out exists and is not a directory",
        )
    )
    cases.append(
        Case(
            2,
            "market export over a foreign folder",
            lambda f: (
                (f / "x").mkdir(),
                (f / "x" / "mine.txt").write_text("x"),
                ["market", "export", str(f / "x"), "--overwrite"],
            )[2],
            "holds files indexsmith did not write",
        )
    )
    cases.append(
        Case(
            2,
            "report --out over an existing file",
            lambda f: (
                (f / "f.html").write_text("mine"),
                ["report", str(built_copy(f)), "--out", str(f / "f.html")],
            )[1],
            "{dir}/f.html exists — pass --overwrite",
        )
    )
    # 3: ids in results and display
    cases.append(Case(3, "compare a result whose id is console markup", special=_markup_id))
    cases.append(
        Case(3, "family index id '../up'", lambda f: family(f, '"../up"'), "id '../up' is not a safe name")
    )
    cases.append(
        Case(3, "family index id with a NUL", lambda f: family(f, '"a\\u0000b"'), "is not a safe name")
    )
    # 4: signals and concurrency
    for signum, name in ((signal.SIGINT, "SIGINT"), (signal.SIGTERM, "SIGTERM")):
        for delay in (0.0, 0.3, 1.0):
            cases.append(
                Case(
                    4,
                    f"{name} {delay:.1f}s after the build takes its lock",
                    build_args,
                    signal_after_lock=(signum, delay),
                )
            )
    cases.append(Case(4, "SIGINT while the script imports", special=_ctrl_c_while_importing))
    cases.append(Case(4, "SIGKILL, then a build into the same place", special=_after_sigkill))
    cases.append(Case(4, "two builds into one new folder at once", special=_two_builds))
    cases.append(
        Case(
            4,
            "a held lock beside --out",
            lambda f: ((f / ".out.lock").write_text(f"{os.getpid()}\n"), build_args(f))[1],
            "another indexsmith process (pid",
        )
    )
    cases.append(
        Case(
            4,
            "a stale lock and temporary folder of a killed build",
            lambda f: (
                (f / ".out.lock").write_text("999999999\n"),
                (f / ".out.indexsmith-x.tmp" / "half").mkdir(parents=True),
                build_args(f),
            )[2],
            check=lambda f, r: (
                levels_ok(f, r) or (None if "note: removed" in r.err else "no note about the removed folder")
            ),
        )
    )
    cases.append(
        Case(4, "compare reads past a killed build's temporary folder", special=_compare_skips_temporary)
    )
    # 5: unreadable inputs, impossible outputs
    cases.append(
        Case(
            5,
            "definition is a folder",
            lambda f: ((f / "x.toml").mkdir(), ["validate", str(f / "x.toml")])[1],
            "is a folder — pass the .toml or .yaml file inside it",
        )
    )
    cases.append(
        Case(5, "definition does not exist", lambda f: ["validate", str(f / "nope.toml")], "does not exist")
    )
    cases.append(
        Case(
            5,
            "--out below a file",
            lambda f: ((f / "file").write_text("x"), build_args(f, "file/out"))[1],
            "{dir}/file is a file, not a folder",
        )
    )
    cases.append(
        Case(
            5,
            "--out in /sys (root too)",
            lambda f: [*build_args(f)[:-1], "/sys/indexsmith-audit"],
            "no permission to write in /sys",
        )
    )
    cases.append(
        Case(
            5,
            "--out in /proc (root too)",
            lambda f: [*build_args(f)[:-1], "/proc/indexsmith-audit"],
            "cannot write /proc/indexsmith-audit",
        )
    )
    cases.append(
        Case(
            5,
            "report --out in /sys",
            lambda f: ["report", str(built_copy(f)), "--out", "/sys/indexsmith-audit.html"],
            "cannot write /sys/indexsmith-audit.html",
        )
    )
    cases.append(
        Case(
            5,
            "a UTF-8 BOM in a CSV (legitimate)",
            prepare_with(lambda f: bom(f / "market" / "prices.csv"), build_args),
            check=levels_ok,
        )
    )
    # 8: cannot build (as build, not validate)
    cases.append(
        Case(
            8,
            "build --start after --end",
            lambda f: build_args(f, "o", "--start", "2024-03-01", "--end", "2024-02-01"),
            "start 2024-03-01 is after end 2024-02-01",
        )
    )
    cases.append(
        Case(
            8,
            "schedule lag beyond the calendar",
            lambda f: definition(f, '{ use = "monthly", params = { rank_lag_sessions = 100000 } }'),
            "'rank_lag_sessions' must be <= 500",
        )
    )
    # 10: smaller
    cases.append(
        Case(
            10,
            "YAML duplicate key (build)",
            lambda f: (
                (f / "d.yaml").write_text(test_definitions.GOOD_YAML + "  id: u\n"),
                ["validate", str(f / "d.yaml")],
            )[1],
            "duplicate key 'id'",
        )
    )
    cases.append(
        Case(
            10,
            "TOML with a BOM (legitimate)",
            lambda f: (
                (f / "b.toml").write_bytes(b"\xef\xbb\xbf" + test_definitions.GOOD.encode()),
                ["validate", str(f / "b.toml")],
            )[1],
            check=lambda f, r: None if "valid" in r.out else r.out,
        )
    )
    cases.append(Case(10, "an unknown option", lambda f: ["build", "--colour"], "No such option '--colour'"))
    cases.append(Case(10, "an unknown command", lambda f: ["biuld"], "No such command 'biuld'"))
    cases.append(
        Case(
            10,
            "plugins listing (legitimate)",
            lambda f: ["plugins"],
            check=lambda f, r: (
                None if "indexsmith_plugins" in r.out or "equal" in r.out else "no plugins listed"
            ),
        )
    )
    cases.append(
        Case(
            10,
            "market sources listing (legitimate)",
            lambda f: ["market", "sources"],
            check=lambda f, r: None if "dir" in r.out else "no sources listed",
        )
    )
    return cases


# -- the special cases -----------------------------------------------------------------------


def _out_dot(folder: Path) -> tuple[str, str]:
    args = build_args(folder)
    first = execute(args)
    if first.code != 0:
        return "vague", first.err[-200:]
    again = execute(["build", args[1], "--data", args[3], "--out", ".", "--overwrite"], cwd=folder / "out")
    if "Traceback" in again.err:
        return "traceback", again.err[-300:]
    left = sorted(p.name for p in folder.iterdir())
    if again.code != 0 or left != ["market", "out", "tiny.toml"] or finite_levels(folder / "out"):
        return "silent-wrong", f"exit {again.code}, left {left}"
    return "handled", ""


def _markup_id(folder: Path) -> tuple[str, str]:
    result = built_copy(folder)
    info = json.loads((result / "run.json").read_text())
    info["index_id"] = "solo[/x]"
    (result / "run.json").write_text(json.dumps(info))
    run = execute(["compare", str(result)])
    if "Traceback" in run.err or "MarkupError" in run.err:
        return "traceback", run.err[-300:]
    return ("handled", "") if run.code == 0 and "solo[/x]" in run.out else ("silent-wrong", run.out[-200:])


def _ctrl_c_while_importing(folder: Path) -> tuple[str, str]:
    if not SCRIPT.exists():
        return "vague", "no installed script"
    proc = subprocess.Popen(
        [sys.executable, "-X", "importtime", str(SCRIPT), "validate", str(folder / "d.toml")],
        stderr=subprocess.PIPE,
        env=ENV,
        preexec_fn=kit.ctrl_c,
    )
    assert proc.stderr is not None
    # Left unread, the import log (about 90 KB) fills the pipe: the script blocks mid-import
    # and the signal lands there, however fast the machine.
    time.sleep(3)
    if proc.poll() is not None:
        return "vague", "the import log did not fill the pipe: the script was not interrupted"
    proc.send_signal(signal.SIGINT)
    rest = proc.stderr.read().decode()
    proc.wait(timeout=TIMEOUT)
    if "Traceback" in rest:
        return "traceback", rest[-300:]
    last = rest.strip().splitlines()[-1] if rest.strip() else ""
    return (
        ("clear", "")
        if proc.returncode == 130 and last == "interrupted"
        else ("vague", f"{proc.returncode} {last}")
    )


def _after_sigkill(folder: Path) -> tuple[str, str]:
    args = build_args(folder)
    proc = start_locked(args, folder / ".out.lock")
    proc.kill()
    proc.wait(timeout=TIMEOUT)
    run = execute([*args, "--overwrite"])
    if "Traceback" in run.err:
        return "traceback", run.err[-300:]
    left = sorted(p.name for p in folder.iterdir())
    if run.code != 0 or left != ["market", "out", "tiny.toml"] or finite_levels(folder / "out"):
        return "silent-wrong", f"exit {run.code}, left {left}: {run.err[-200:]}"
    return "handled", ""


def _two_builds(folder: Path) -> tuple[str, str]:
    args = build_args(folder)
    procs = [
        subprocess.Popen(command(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)
        for _ in range(2)
    ]
    results = [(p.wait(timeout=TIMEOUT), p.communicate()[1].decode()) for p in procs]
    if any("Traceback" in err for _, err in results):
        return "traceback", str(results)[-300:]
    codes = sorted(code for code, _ in results)
    loser = next((err for code, err in results if code == 1), "")
    left = sorted(p.name for p in folder.iterdir())
    clear = loser.startswith(
        ("error: another indexsmith process", f"error: output folder {folder / 'out'} is not empty")
    )
    if codes != [0, 1] or not clear or left != ["market", "out", "tiny.toml"]:
        return "silent-wrong", f"exits {codes}, left {left}: {loser[-200:]}"
    return "clear", ""


def _compare_skips_temporary(folder: Path) -> tuple[str, str]:
    parent = folder / "results"
    shutil.copytree(kit.FIXTURES / "built", parent / "tiny")
    shutil.copytree(kit.FIXTURES / "built", parent / ".tiny.indexsmith-x.tmp" / "half")
    run = execute(["compare", str(parent), "--format", "csv"])
    if "Traceback" in run.err:
        return "traceback", run.err[-300:]
    header = run.out.splitlines()[0] if run.out else ""
    return (
        ("handled", "")
        if run.code == 0 and header == "statistic,name,unit,tiny"
        else ("silent-wrong", header)
    )
