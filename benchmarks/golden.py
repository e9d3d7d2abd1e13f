"""Build the reference outputs of a checkout, and compare two sets file by file.

A refactor changes no output; this is how to prove it::

    python benchmarks/golden.py build OLD_VENV/bin/indexsmith /tmp/before
    python benchmarks/golden.py build .venv/bin/indexsmith /tmp/after
    python benchmarks/golden.py compare /tmp/before /tmp/after

``build`` builds every preset id on the small demo market (a preset that cannot build there
records its one-line error), the Russell-, S&P- and Dow-style families on the full demo
market from 2020, and the comparison tables, factsheets and explanations of those results.
``compare`` reports every file that differs. ``run.json`` is compared field by field and
may differ only in code provenance: the version fields, a component's ``class`` and
``plugin`` (where its code lives) and the demo market's cache folder in ``data.source``
(named by the generator's source hash; ``data.fingerprint`` must match). Paths of the two
output folders, cache-folder names and the checkout's location are masked in logs.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

FULL_FAMILIES = ("russell-us-style", "sp-us-style", "dow-30-style")
PROVENANCE = re.compile(r"^(indexsmith_version|components\[\d+\]\.(class|plugin|version)|data\.source)$")


def run(command: list[str], log: Path) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    log.write_text(result.stdout + result.stderr + f"exit {result.returncode}\n", encoding="utf-8")


def build(indexsmith: str, out: Path) -> None:
    (out / "small").mkdir(parents=True)
    (out / "full").mkdir()
    (out / "extras").mkdir()
    presets = json.loads(
        subprocess.run([indexsmith, "presets", "--json"], capture_output=True, text=True).stdout
    )
    for preset in (row["id"] for row in presets):
        folder = out / "small" / preset
        run(
            [indexsmith, "build", preset, "--demo", "small", "--out", str(folder)], folder.with_suffix(".log")
        )
    for family in FULL_FAMILIES:
        folder = out / "full" / family
        run(
            [indexsmith, "build", family, "--demo", "full", "--start", "2020-01-01", "--out", str(folder)],
            folder.with_suffix(".log"),
        )
    small, full, extras = out / "small", out / "full", out / "extras"
    commands = {
        "compare-small.csv": ["compare", str(small / "demo-tiers"), "--format", "csv"],
        "compare-full.csv": [
            "compare",
            str(full / "sp-us-style"),
            str(full / "dow-30-style"),
            "--format",
            "csv",
        ],
        "compare-full.json": ["compare", str(full / "sp-us-style"), "--format", "json"],
        "compare-russell.txt": ["compare", str(full / "russell-us-style")],
        "factsheet-small.log": [
            "report",
            str(small / "demo-tiers"),
            str(small / "crsp-us-style"),
            "--out",
            str(extras / "factsheet-small.html"),
        ],
        "factsheet-full.log": [
            "report",
            str(full / "sp-us-style"),
            str(full / "dow-30-style"),
            "--out",
            str(extras / "factsheet-full.html"),
        ],
        "explain-sp.txt": ["explain", "sp-us-style", "S000123", "--date", "2021-07-01", "--demo", "small"],
        "explain-tiers.txt": ["explain", "demo-tiers", "S000010", "--date", "2021-07-01", "--demo", "small"],
        "validate.txt": ["validate", "russell-us-style"],
        "calibration-small.txt": ["market", "calibration", "--size", "small"],
    }
    for name, args in commands.items():
        run([indexsmith, *args], extras / name)


def _scrub(text: str, root: Path) -> str:
    text = re.sub(r"demo-(small|full)-(\d+)-[0-9a-f]{12}", r"demo-\1-\2-<generator>", text)
    text = text.replace(str(root), "<out>")
    # Where the checkout lives (in the file names of Python warnings) is not an output.
    text = re.sub(r"\S*/core/indexsmith/", "<code>/core/indexsmith/", text)
    return "\n".join(
        line.replace("generating the", "loading the").split(" (seed")[0].split(" from ")[0].split(" into ")[0]
        if line.startswith(("generating the", "loading the"))
        else line
        for line in text.splitlines()
    )


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        return {
            k: v
            for key, item in value.items()
            for k, v in _flat(item, f"{prefix}.{key}" if prefix else key).items()
        }
    if isinstance(value, list):
        return {k: v for i, item in enumerate(value) for k, v in _flat(item, f"{prefix}[{i}]").items()}
    return {prefix: value}


def compare(before: Path, after: Path) -> int:
    files = {
        side: {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
        for side, root in (("before", before), ("after", after))
    }
    problems = [
        f"only in {side}: {name}"
        for side in files
        for name in sorted(files[side] - files["after" if side == "before" else "before"])
    ]
    identical = provenance = 0
    for name in sorted(files["before"] & files["after"]):
        a, b = before / name, after / name
        if a.read_bytes() == b.read_bytes():
            identical += 1
        elif name.endswith("run.json"):
            old, new = _flat(json.loads(a.read_text())), _flat(json.loads(b.read_text()))
            moved = [k for k in old.keys() | new.keys() if old.get(k) != new.get(k)]
            if all(PROVENANCE.match(k) for k in moved):
                provenance += 1
            else:
                problems.append(
                    f"{name}: fields {sorted(k for k in moved if not PROVENANCE.match(k))} differ"
                )
        elif (name.endswith((".log", ".txt", ".csv")) or name.startswith("extras/")) and _scrub(
            a.read_text(), before
        ) == _scrub(b.read_text(), after):
            identical += 1
        else:
            digest = hashlib.sha256
            problems.append(
                f"{name}: {digest(a.read_bytes()).hexdigest()[:12]} != {digest(b.read_bytes()).hexdigest()[:12]}"
            )
    print(
        f"{identical} files identical; {provenance} run.json differ only in code provenance; {len(problems)} differences"
    )
    for problem in problems:
        print(f"  {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "build":
        build(sys.argv[2], Path(sys.argv[3]))
    elif len(sys.argv) == 4 and sys.argv[1] == "compare":
        sys.exit(compare(Path(sys.argv[2]), Path(sys.argv[3])))
    else:
        sys.exit(__doc__)
