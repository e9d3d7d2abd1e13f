"""Definition files that cannot be used: unreadable, unbounded, or valid-looking but unable
to build. Each gives one line per problem with its file and ``$.path``, and nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.robustness.conftest import files_below, refused, run

GOOD = """\
[index]
id = "t"
schedule = { use = "monthly" }
ranking = { use = "company-market-cap" }
bucketing = { use = "all" }
weighting = { use = "equal" }
"""
GOOD_YAML = """\
index:
  id: t
  schedule: {use: monthly}
  ranking: {use: company-market-cap}
  bucketing: {use: all}
  weighting: {use: equal}
"""
FAMILY = """\
[family]
id = "f"
schedule = { use = "monthly" }
ranking = { use = "company-market-cap" }
bucketing = { use = "count-tiers", params = { tiers = [ { name = "top", count = 2 } ] } }
"""


def toml(extra: str = "", *, replace: tuple[str, str] | None = None) -> str:
    text = GOOD if replace is None else GOOD.replace(*replace)
    return text + extra


def bomb(levels: int) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    return "\n".join(lines) + f"\nindex:\n  id: t\n  name: *a{levels - 1}\n"


#: case -> (file name, content (text or bytes), distinctive part of the one line)
CASES: dict[str, tuple[str, str | bytes, str]] = {
    # unreadable
    "Latin-1 file": (
        "d.toml",
        toml('name = "Société"\n').encode("latin-1"),
        "definition file {dir}/d.toml is not UTF-8 text (byte 0xe9 at offset",
    ),
    "UTF-16 file": (
        "d.toml",
        GOOD.encode("utf-16"),
        "definition file {dir}/d.toml is not UTF-8 text (byte 0xff at offset 0) — save it as UTF-8",
    ),
    "UTF-16 YAML": ("d.yaml", GOOD_YAML.encode("utf-16"), "is not UTF-8 text (byte 0xff at offset 0)"),
    "binary file": ("d.toml", bytes(range(256)), "is not UTF-8 text (byte 0x80 at offset 128)"),
    "NUL bytes": ("d.toml", b"\x00\x00\x00", "malformed TOML:"),
    "unknown extension": (
        "d.json",
        "{}",
        "definition file {dir}/d.json has an unknown extension — use .toml, .yaml or .yml",
    ),
    "TOML syntax": ("d.toml", "[index\nid = 1\n", "malformed TOML: "),
    "YAML syntax": ("d.yaml", "index: [a, b\n", "malformed YAML: "),
    "YAML tab indent": ("d.yaml", "index:\n\tid: t\n", "malformed YAML: "),
    "YAML python tag": ("d.yaml", "index: !!python/object/apply:os.system ['echo hi']\n", "malformed YAML"),
    "YAML duplicate key": (
        "d.yaml",
        GOOD_YAML.replace("  id: t\n", "  id: t\n  id: u\n"),
        "malformed YAML: duplicate key 'id' at line 3, column 3 in d.yaml",
    ),
    "YAML duplicate top key": (
        "d.yaml",
        GOOD_YAML + "index: {}\n",
        "malformed YAML: duplicate key 'index' at line 7, column 1",
    ),
    "TOML duplicate key": ("d.toml", toml('id = "u"\n'), "malformed TOML: "),
    "empty TOML": (
        "d.toml",
        "",
        "a definition has exactly one top-level table, 'index' or 'family' at $ in d.toml",
    ),
    "empty YAML": (
        "d.yaml",
        "",
        "a definition must be a mapping with an 'index' or 'family' table in d.yaml",
    ),
    "YAML list": ("d.yaml", "- 1\n- 2\n", "a definition must be a mapping"),
    "YAML scalar": ("d.yml", "hello\n", "a definition must be a mapping"),
    # bounded
    "nesting 3000 deep TOML": (
        "d.toml",
        "x = " + "[" * 3000 + "]" * 3000 + "\n",
        "the definition nests deeper than 50 levels in d.toml — flatten it",
    ),
    "nesting 3000 deep YAML": (
        "d.yaml",
        "x: " + "[" * 3000 + "]" * 3000 + "\n",
        "the definition nests deeper than 50 levels in d.yaml",
    ),
    "nesting 60 deep": (
        "d.toml",
        "x = " + "[" * 60 + "]" * 60 + "\n",
        "the definition nests deeper than 50 levels",
    ),
    "YAML alias bomb": (
        "d.yaml",
        bomb(6),
        "the definition holds more than 100,000 values (with YAML aliases expanded) in d.yaml",
    ),
    "YAML alias bomb, 9 levels": ("d.yaml", bomb(9), "the definition holds more than 100,000 values"),
    "20 MB file": (
        "d.toml",
        GOOD + "# " + "x" * 2_000_000 + "\n",
        "definition file {dir}/d.toml is 2,000,150 bytes; at most 1,000,000 are read",
    ),
    "a long value is quoted short": (
        "d.toml",
        toml(
            replace=(
                'weighting = { use = "equal" }',
                'weighting = { use = "equal", params = "' + "y" * 5000 + '" }',
            )
        ),
        "params must be a table, got 'yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy... at $.index.weighting.params",
    ),
    "an integer of 5000 digits": (
        "d.toml",
        toml("name = " + "1" * 5000 + "\n"),
        "unreadable TOML: Exceeds the limit (4300 digits)",
    ),
    "a long name is quoted short": (
        "d.yaml",
        GOOD_YAML + "  name: " + "1" * 5000 + "\n",
        "unreadable YAML: Exceeds the limit (4300 digits)",
    ),
    "a long list is quoted short": (
        "d.toml",
        toml("name = [" + "1, " * 5000 + "]\n"),
        "expected text, got [1, 1, 1, 1,",
    ),
    # cannot build
    "start after end": (
        "d.toml",
        toml(replace=('id = "t"\n', 'id = "t"\nstart = 2024-05-01\nend = 2024-01-01\n')),
        "start 2024-05-01 is after end 2024-01-01 at $.index.start in d.toml — swap them",
    ),
    "calendar XXXX": (
        "d.toml",
        toml(replace=('id = "t"\n', 'id = "t"\ncalendar = "XXXX"\n')),
        "no exchange calendar named 'XXXX' at $.index.calendar in d.toml",
    ),
    "calendar lower case": (
        "d.toml",
        toml(replace=('id = "t"\n', 'id = "t"\ncalendar = "xnys"\n')),
        "no exchange calendar named 'xnys' at $.index.calendar",
    ),
    "family without indices": (
        "d.toml",
        FAMILY + "index = []\n",
        "a family needs at least one index at $.family.index in d.toml",
    ),
    "family without index key": ("d.toml", FAMILY, "required key missing at $.family.index"),
    "start not a date": (
        "d.toml",
        toml(replace=('id = "t"\n', 'id = "t"\nstart = "2024-13-01"\n')),
        "expected a date (YYYY-MM-DD), got '2024-13-01' at $.index.start",
    ),
    "start a number": (
        "d.toml",
        toml(replace=('id = "t"\n', 'id = "t"\nstart = 20240101\n')),
        "expected a date (YYYY-MM-DD), got 20240101 at $.index.start",
    ),
    "start month-first": (
        "d.toml",
        toml(replace=('id = "t"\n', 'id = "t"\nstart = "01/02/2024"\n')),
        "expected a date (YYYY-MM-DD), got '01/02/2024'",
    ),
    "fee inf": (
        "d.toml",
        toml("[index.calculation]\nfee = inf\n"),
        "expected a finite number, got inf at $.index.calculation.fee in d.toml",
    ),
    "fee nan": (
        "d.toml",
        toml("[index.calculation]\nfee = nan\n"),
        "expected a finite number, got nan at $.index.calculation.fee",
    ),
    "fee 2": (
        "d.toml",
        toml("[index.calculation]\nfee = 2\n"),
        "'fee' must be <= 1: 2.0 at $.index.calculation.fee",
    ),
    "cost_bps 1e300": (
        "d.toml",
        toml("[index.calculation]\ncost_bps = 1e300\n"),
        "'cost_bps' must be <= 10000: 1e+300 at $.index.calculation.cost_bps",
    ),
    "cost_bps -inf": (
        "d.toml",
        toml("[index.calculation]\ncost_bps = -inf\n"),
        "expected a finite number, got -inf at $.index.calculation.cost_bps",
    ),
    "impact_bps 1e5": (
        "d.toml",
        toml("[index.calculation]\nimpact_bps = 1e5\n"),
        "'impact_bps' must be <= 10000",
    ),
    "cost_bps negative": (
        "d.toml",
        toml("[index.calculation]\ncost_bps = -1\n"),
        "'cost_bps' must be >= 0: -1.0",
    ),
    "aum zero": (
        "d.toml",
        toml("[index.calculation]\naum = 0\n"),
        "'aum' must be > 0: 0.0 at $.index.calculation.aum",
    ),
    "base_value inf": (
        "d.toml",
        toml("[index.calculation]\nbase_value = inf\n"),
        "expected a finite number, got inf at $.index.calculation.base_value",
    ),
    "unknown calculation key": (
        "d.toml",
        toml("[index.calculation]\nfees = 0.01\n"),
        "unknown param 'fees' at $.index.calculation.fees in d.toml — did you mean 'fee'?",
    ),
    "param inf": (
        "d.toml",
        toml(
            replace=(
                'bucketing = { use = "all" }',
                'bucketing = { use = "top-with-buffer", params = { n = 10, buffer = inf } }',
            )
        ),
        "at $.index.bucketing.params",
    ),
    # structure
    "two roots": (
        "d.toml",
        GOOD + '[family]\nid = "x"\n',
        "a definition has exactly one top-level table, 'index' or 'family'",
    ),
    "unknown root": (
        "d.toml",
        '[indx]\nid = "t"\n',
        "a definition has exactly one top-level table, 'index' or 'family'; found indx at $",
    ),
    "index not a table": ("d.yaml", "index: 3\n", "'index' must be a table at $.index in d.yaml"),
    "id a number": ("d.toml", toml(replace=('id = "t"', "id = 7")), "expected text, got 7 at $.index.id"),
    "id a boolean": (
        "d.toml",
        toml(replace=('id = "t"', "id = true")),
        "expected text, got True at $.index.id",
    ),
    "id missing": ("d.toml", toml(replace=('id = "t"\n', "")), "required key missing at $.index.id"),
    "unknown key": ("d.toml", toml('colour = "red"\n'), "unknown key colour at $.index in d.toml"),
    "misspelt key": (
        "d.toml",
        toml("shedule = 1\n"),
        "unknown key shedule (did you mean 'schedule'?) at $.index in d.toml",
    ),
    "misspelt keys": (
        "d.toml",
        toml("shedule = 1\nrankin = 2\n"),
        "unknown keys rankin, shedule (did you mean 'ranking' for rankin, 'schedule' for shedule?) at $.index",
    ),
    "misspelt params key": (
        "d.toml",
        toml(replace=('{ use = "equal" }', '{ use = "equal", parms = {} }')),
        "unknown key parms (did you mean 'params'?) at $.index.weighting",
    ),
    "misspelt family index": (
        "d.toml",
        FAMILY + '[[family.indx]]\nid = "a"\nweighting = { use = "equal" }\n',
        "unknown key indx (did you mean 'index'?) at $.family in d.toml",
    ),
    "weighting missing": (
        "d.toml",
        toml(replace=('weighting = { use = "equal" }\n', "")),
        "required key missing at $.index.weighting",
    ),
    "weighting misspelt": (
        "d.toml",
        toml(replace=('use = "equal"', 'use = "eqaul"')),
        "no weighting named 'eqaul' at $.index.weighting.use in d.toml — did you mean 'equal'?",
    ),
    "ranking unknown": (
        "d.toml",
        toml(replace=('use = "company-market-cap"', 'use = "vibes"')),
        "no ranking named 'vibes' at $.index.ranking.use",
    ),
    "params not a table": (
        "d.toml",
        toml(replace=('{ use = "equal" }', '{ use = "equal", params = [1] }')),
        "params must be a table, got [1] at $.index.weighting.params",
    ),
    "unknown param": (
        "d.toml",
        toml(replace=('{ use = "monthly" }', '{ use = "monthly", params = { rank_lag = 1 } }')),
        "unknown param 'rank_lag' at $.index.schedule.params.rank_lag",
    ),
    "param a string": (
        "d.toml",
        toml(replace=('{ use = "monthly" }', '{ use = "monthly", params = { rank_lag_sessions = "1" } }')),
        "expected an integer, got '1' at $.index.schedule.params.rank_lag_sessions",
    ),
    "param a boolean": (
        "d.toml",
        toml(replace=('{ use = "monthly" }', '{ use = "monthly", params = { rank_lag_sessions = true } }')),
        "expected an integer, got True",
    ),
    "lag beyond a year": (
        "d.toml",
        toml(replace=('{ use = "monthly" }', '{ use = "monthly", params = { rank_lag_sessions = 100000 } }')),
        "'rank_lag_sessions' must be <= 500: 100000 at $.index.schedule.params.rank_lag_sessions",
    ),
    "param negative": (
        "d.toml",
        toml(replace=('{ use = "monthly" }', '{ use = "monthly", params = { rank_lag_sessions = -5 } }')),
        "'rank_lag_sessions' must be >= 0: -5",
    ),
    "applies_to unknown": (
        "d.toml",
        toml('universe = [{ use = "min-price", applies_to = "some" }]\n'),
        "at $.index.universe[0].applies_to",
    ),
    "buckets a string": (
        "d.toml",
        toml('buckets = "top"\n'),
        "expected a list, got 'top' at $.index.buckets in d.toml",
    ),
    "requires a string": ("d.toml", toml('requires = "x"\n'), "expected a list, got 'x' at $.index.requires"),
    "vocabulary values a string": (
        "d.toml",
        toml('vocabulary = { sector = "Tech" }\n'),
        "expected a list, got 'Tech' at $.index.vocabulary['sector']",
    ),
    "universe a table": (
        "d.toml",
        toml('universe = { use = "min-price" }\n'),
        "expected a list, got {'use': 'min-price'} at $.index.universe",
    ),
    "capping a list": (
        "d.toml",
        toml("capping = [1]\n"),
        'expected a table such as { use = "name", params = { ... } } at $.index.capping',
    ),
    "schedule a string": (
        "d.toml",
        toml(replace=('schedule = { use = "monthly" }', 'schedule = "monthly"')),
        "expected a table such as { use = ",
    ),
    "calculation a number": ("d.toml", toml("calculation = 5\n"), "expected a table at $.index.calculation"),
    "missing_data a word": (
        "d.toml",
        toml('missing_data = "ignore"\n'),
        "expected one of 'error', 'exclude' at $.index.missing_data",
    ),
    "applies_to a word": (
        "d.toml",
        toml('universe = [{ use = "min-price", applies_to = "some" }]\n'),
        "expected one of 'all', 'additions', 'incumbents' at $.index.universe[0].applies_to",
    ),
    "vocabulary column unknown": (
        "d.toml",
        toml('vocabulary = { colour = ["red"] }\n'),
        "vocabulary has column(s) colour; a definition may declare",
    ),
    "requirement invalid": (
        "d.toml",
        toml('requires = ["not a requirement!!"]\n'),
        "requirement 'not a requirement!!' is not valid: Expected semicolon (after name with no version specifier) or end not a requirement!! ^ at $.index.requires[0]",
    ),
    "requirement unmet": (
        "d.toml",
        toml('requires = ["indexsmith-nonexistent>=1"]\n'),
        "indexsmith-nonexistent",
    ),
    "duplicate index id": (
        "d.toml",
        FAMILY
        + '[[family.index]]\nid = "a"\nweighting = { use = "equal" }\n[[family.index]]\nid = "a"\nweighting = { use = "equal" }\n',
        "index id 'a' is used twice at $.family.index[1].id",
    ),
    "bucket unknown": (
        "d.toml",
        FAMILY + '[[family.index]]\nid = "a"\nbuckets = ["tpo"]\nweighting = { use = "equal" }\n',
        "bucket 'tpo' is not produced by bucketing 'count-tiers' at $.family.index[0].buckets[0] in d.toml — did you mean 'top'?",
    ),
    "buckets empty": (
        "d.toml",
        FAMILY + '[[family.index]]\nid = "a"\nbuckets = []\nweighting = { use = "equal" }\n',
        "an index must take at least one bucket at $.family.index[0].buckets",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_definition_is_refused(case: str, tmp_path: Path) -> None:
    name, content, expected = CASES[case]
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    before = files_below(tmp_path)
    message = refused("validate", path)
    assert expected.replace("{dir}", str(tmp_path)) in message, message
    assert files_below(tmp_path) == before


@pytest.mark.parametrize(
    "case", ["start after end", "calendar XXXX", "family without indices", "YAML alias bomb"]
)
def test_build_refuses_before_reading_data(case: str, tmp_path: Path) -> None:
    name, content, expected = CASES[case]
    path = tmp_path / name
    path.write_text(str(content), encoding="utf-8")
    message = refused("build", path, "--data", tmp_path / "no-such-market", "--out", tmp_path / "out")
    assert expected.replace("{dir}", str(tmp_path)) in message
    assert files_below(tmp_path) == [name]


def test_a_folder_named_like_a_definition(tmp_path: Path) -> None:
    (tmp_path / "x.toml").mkdir()
    assert refused("validate", tmp_path / "x.toml") == (
        f"definition file {tmp_path / 'x.toml'} is a folder — pass the .toml or .yaml file inside it"
    )


def test_a_missing_definition(tmp_path: Path) -> None:
    assert refused("validate", tmp_path / "nope.toml").startswith(
        f"definition file {tmp_path / 'nope.toml'} does not exist"
    )


@pytest.mark.parametrize(
    "name, content",
    [("bom.toml", b"\xef\xbb\xbf" + GOOD.encode()), ("bom.yaml", b"\xef\xbb\xbf" + GOOD_YAML.encode())],
)
def test_a_byte_order_mark_is_fine(name: str, content: bytes, tmp_path: Path) -> None:
    (tmp_path / name).write_bytes(content)
    code, out, err = run("validate", tmp_path / name)
    assert code == 0, err
    assert out.startswith(f"{name}: valid")


def test_yaml_aliases_within_bounds_are_fine(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "x-weighting: &w {use: equal}\nindex:\n  id: t\n  schedule: {use: monthly}\n"
        "  ranking: {use: company-market-cap}\n  bucketing: {use: all}\n  weighting: *w\n",
        encoding="utf-8",
    )
    assert "top-level table" in refused("validate", tmp_path / "a.yaml")  # the extra key, not the alias


def test_a_calendar_offset_never_wraps_round() -> None:
    from indexsmith.calendars import get_calendar

    calendar = get_calendar("XNYS")
    with pytest.raises(ValueError, match=r"^10 sessions before 1990-01-05 is outside the XNYS calendar"):
        calendar.offset(calendar.sessions[3], -10)
    with pytest.raises(ValueError, match=r"^5 sessions after .* is outside the XNYS calendar"):
        calendar.offset(calendar.sessions[-2], 5)


@pytest.mark.parametrize(
    "name, content, path",
    [
        ("d.toml", toml(replace=('{ use = "equal" }', '{ use = "equal", params = [1] }')), "index.weighting"),
        (
            "f.toml",
            FAMILY.replace('{ use = "monthly" }', '{ use = "monthly", params = 5 }'),
            "family.schedule",
        ),
    ],
)
def test_params_not_a_table_is_one_line(name: str, content: str, path: str, tmp_path: Path) -> None:
    family_index = '[[family.index]]\nid = "a"\nweighting = { use = "equal" }\n'
    (tmp_path / name).write_text(content + family_index * name.startswith("f"))
    got = "[1]" if name.startswith("d") else "5"
    assert (
        refused("validate", tmp_path / name)
        == f"params must be a table, got {got} at $.{path}.params in {name}"
    )
