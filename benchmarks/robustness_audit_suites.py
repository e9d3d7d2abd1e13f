"""The robustness audit's cases from the parametrised suites of ``tests/robustness`` (their
``CASES`` tables), run through the real script, and the file-param cases."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


from robustness_audit_kit import (  # noqa: E402
    Case,
    built_copy,
    classify_refusal,
    definition_copy,
    execute,
    finite_levels,
    market_copy,
)

from tests.robustness import (  # noqa: E402
    test_commands,
    test_definitions,
    test_market_data,
    test_outputs,
    test_results,
)


def _definition_category(name: str, expected: str) -> int:
    order = list(test_definitions.CASES)
    position = order.index(name)
    if "duplicate key" in name or "BOM" in name:
        return 10
    if position < order.index("nesting 3000 deep TOML"):
        return 5
    if position < order.index("start after end"):
        return 6
    if name.startswith(("fee", "cost_bps", "impact_bps", "aum", "base_value", "param inf")):
        return 1
    if position < order.index("two roots") and not name.startswith("unknown calculation"):
        return 8
    return 10


def suite_cases() -> list[Case]:
    cases: list[Case] = []
    for name, (file, content, expected) in test_definitions.CASES.items():

        def prepare(folder: Path, file: str = file, content: str | bytes = content) -> list[str]:
            path = folder / file
            path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
            return ["validate", str(path)]

        cases.append(Case(_definition_category(name, expected), f"definition: {name}", prepare, expected))
    for name in ("start after end", "calendar XXXX", "family without indices", "YAML alias bomb"):
        file, content, expected = test_definitions.CASES[name]

        def prepare_build(folder: Path, file: str = file, content: str | bytes = content) -> list[str]:
            (folder / file).write_text(str(content), encoding="utf-8")
            return [
                "build",
                str(folder / file),
                "--data",
                str(folder / "no-market"),
                "--out",
                str(folder / "o"),
            ]

        category = 6 if "bomb" in name else 8
        cases.append(Case(category, f"build before data: {name}", prepare_build, expected))
    last_data = list(test_market_data.CASES).index("zero-byte CSV")
    for i, (name, (change, expected)) in enumerate(test_market_data.CASES.items()):

        def prepare_market(folder: Path, change: Callable[[Path], object] = change) -> list[str]:
            market = market_copy(folder)
            change(market)
            return ["market", "check", str(market)]

        category = 1 if i < last_data else 5
        cases.append(Case(category, f"market data: {name}", prepare_market, expected, market_word=True))
    for name in (
        "action Split",
        "close inf",
        "dividend kind bonus",
        "Latin-1 CSV",
        "acquired while still trading",
    ):
        change, expected = test_market_data.CASES[name]

        def prepare_data_build(folder: Path, change: Callable[[Path], object] = change) -> list[str]:
            market = market_copy(folder)
            change(market)
            return ["build", str(definition_copy(folder)), "--data", str(market), "--out", str(folder / "o")]

        category = 5 if "Latin" in name else 1
        cases.append(
            Case(category, f"build on bad data: {name}", prepare_data_build, expected, market_word=True)
        )
    for name, (args, expected) in test_commands.CASES.items():

        def prepare_args(folder: Path, args: list[str] = args, expected: str = expected) -> list[str]:
            # Only what the arguments name: "compare {tmp}" needs a folder without results.
            makers = {
                "definition": definition_copy,
                "market": market_copy,
                "tmp": lambda f: f,
                "built": lambda f: built_copy(f, "built"),
            }
            values = {
                k: make(folder) if "{" + k + "}" in " ".join(args) else "" for k, make in makers.items()
            }
            return [a.format(**values) for a in args]

        category = (
            2 if "into the source" in name or "foreign" in name else 5 if "below a file" in name else 10
        )
        words = expected.replace("{market}", "{dir}/market").replace("{tmp}", "{dir}")
        cases.append(Case(category, f"command: {name}", prepare_args, words))
    for name, (damage, expected) in test_results.CASES.items():
        for verb in ("compare", "report"):

            def prepare_result(
                folder: Path, damage: Callable[[Path], object] = damage, verb: str = verb
            ) -> list[str]:
                result = built_copy(folder)
                damage(result)
                return [verb, str(result)] + (["--out", str(folder / "f.html")] if verb == "report" else [])

            cases.append(
                Case(7, f"{verb} a result: {name}", prepare_result, expected.replace("{f}", "{dir}/r"))
            )
    for index_id, shown in test_outputs.ID_CASES.items():

        def prepare_id(folder: Path, index_id: str = index_id) -> list[str]:
            body = test_definitions.GOOD_YAML.replace("id: t", "id: " + json.dumps(index_id))
            (folder / "d.yaml").write_text(body, encoding="utf-8")
            return ["validate", str(folder / "d.yaml")]

        cases.append(Case(3, f"index id {index_id[:20]!r}", prepare_id, f"id {shown} is not a safe name"))
    return cases


def file_param_cases() -> list[Case]:
    template = (
        '[index]\nid = "t"\nschedule = {{ use = "monthly", params = {{ rank_lag_sessions = 0, '
        'announce_lag_sessions = 0 }} }}\nranking = {{ use = "company-market-cap" }}\n'
        'bucketing = {{ use = "committee-list", params = {{ file = "{file}" }} }}\nweighting = {{ use = "equal" }}\n'
    )

    def definition(
        folder: Path, file: str, members: bytes | None = b"date,security_id,action\n2024-01-02,A,add\n"
    ) -> Path:
        defs = folder / "defs"
        defs.mkdir(exist_ok=True)
        if members is not None:
            (defs / "members.csv").write_bytes(members)
        (defs / "cl.toml").write_text(template.format(file=file))
        return defs / "cl.toml"

    def from_elsewhere(folder: Path) -> tuple[str, str]:
        path = definition(folder, "members.csv")
        (folder / "elsewhere").mkdir()
        run = execute(
            ["build", str(path), "--data", str(market_copy(folder)), "--out", str(folder / "out")],
            cwd=folder / "elsewhere",
        )
        if run.code != 0:
            return classify_refusal(run, None, folder)[
                0
            ] if "Traceback" not in run.err else "traceback", run.err[-300:]
        return ("handled", "") if finite_levels(folder / "out") is None else ("silent-wrong", "levels")

    cases = [
        Case(9, "membership file read from another working directory (legitimate)", special=from_elsewhere)
    ]
    bad: dict[str, tuple[str, bytes | None, str]] = {
        "/etc/passwd": ("/etc/passwd", None, "file '/etc/passwd' is outside the definition's folder"),
        "../ parent": ("../m.csv", None, "file '../m.csv' is outside the definition's folder"),
        "absolute path elsewhere": (
            "/tmp/m.csv",
            None,
            "file '/tmp/m.csv' is outside the definition's folder",
        ),
        "missing file": ("gone.csv", None, "membership file {dir}/defs/gone.csv does not exist"),
        "passwd-like content": (
            "members.csv",
            b"root:x:0:0:root:/root:/bin/bash\nbin:x:1:1::/bin:\na,b,c,d\n",
            "cannot be read as CSV",
        ),
        "empty file": ("members.csv", b"", "cannot be read as CSV"),
        "Latin-1 file": (
            "members.csv",
            "date,security_id,action\n2024-01-02,Ä,add\n".encode("latin-1"),
            "not UTF-8",
        ),
        "month-first date": (
            "members.csv",
            b"date,security_id,action\n01/02/2024,A,add\n",
            "is not YYYY-MM-DD at line 2",
        ),
        "unknown action": (
            "members.csv",
            b"date,security_id,action\n2024-01-02,A,buy\n",
            "action 'buy' must be add or remove",
        ),
        "no action column": ("members.csv", b"date,security_id\n2024-01-02,A\n", "lacks column(s) action"),
    }
    for name, (file, members, expected) in bad.items():

        def prepare(folder: Path, file: str = file, members: bytes | None = members) -> list[str]:
            return [
                "validate",
                str(
                    definition(folder, file, members if members is not None else b"date,security_id,action\n")
                ),
            ]

        cases.append(Case(9, f"membership file: {name}", prepare, expected))

    def symlink(folder: Path) -> list[str]:
        path = definition(folder, "link.csv")
        (folder / "secret.csv").write_text("date,security_id,action\n2024-01-02,A,add\n")
        (path.parent / "link.csv").symlink_to(folder / "secret.csv")
        return ["validate", str(path)]

    cases.append(
        Case(9, "membership file: a symlink out of the folder", symlink, "is outside the definition's folder")
    )

    def allowed(folder: Path) -> list[str]:
        path = definition(folder, "../shared/m.csv")
        (folder / "shared").mkdir()
        (folder / "shared" / "m.csv").write_text("date,security_id,action\n2024-01-02,A,add\n")
        return ["validate", str(path), "--allow-path", str(folder / "shared")]

    cases.append(
        Case(
            9,
            "membership file outside, with --allow-path (legitimate)",
            allowed,
            check=lambda f, r: None if "valid" in r.out else r.out,
        )
    )
    return cases
