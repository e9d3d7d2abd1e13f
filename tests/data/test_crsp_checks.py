"""The crsp source's cross-checks and documented fallbacks on the crsp-sample fixture: a
CFACPR change no split explains, quarters without an RDQ, liquidation delistings (4xx)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from indexsmith import DataError, Plugins, open_market

from tests.support import FIXTURES, run_cli

CRSP = FIXTURES / "crsp-sample"


@pytest.fixture(autouse=True)
def _no_third_party(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INDEXSMITH_DISABLE_PLUGIN_AUTOLOAD", "1")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return Path(shutil.copytree(CRSP, tmp_path / "crsp"))


def test_a_cfacpr_change_without_a_split_is_refused_with_its_dsf_row(folder: Path) -> None:
    dist = pd.read_csv(folder / "dsedist.csv", dtype=str)
    dist[dist["DISTCD"] != "5523"].to_csv(folder / "dsedist.csv", index=False)  # ALFA's 3-for-2 split
    with pytest.raises(DataError) as caught:
        open_market(f"crsp:{folder}", plugins=Plugins(autoload=False))
    dsf = pd.read_csv(folder / "dsf.csv", dtype=str)
    row = int(dsf.index[(dsf["PERMNO"] == "10001") & (dsf["DATE"] == "20200615")][0]) + 1
    assert caught.value.lines() == [
        f"CFACPR of PERMNO 10001 changes from 1.5 to 1 on 2020-06-15, and no dsedist distribution with a "
        f"FACPR explains it at dsf.csv row {row} in crsp:{folder} — add the split or stock dividend to "
        "dsedist (DISTCD 5xxx with FACPR and FACSHR), or correct CFACPR"
    ]
    # The split dated on a later day does not explain the change either.
    dist.loc[dist["DISTCD"] == "5523", "EXDT"] = "2020-06-16"
    dist.to_csv(folder / "dsedist.csv", index=False)
    with pytest.raises(DataError) as later:
        open_market(f"crsp:{folder}", plugins=Plugins(autoload=False))
    assert later.value.lines()[0].startswith("CFACPR of PERMNO 10001 changes from 1.5 to 1 on 2020-06-15")


def test_quarters_without_rdq_are_counted_or_dated_by_the_fallback(folder: Path) -> None:
    fundq = pd.read_csv(folder / "fundq.csv", dtype=str)
    # ZETA (GVKEY 001008) reports its 2020Q2 without an RDQ (due 2020-08-04).
    missing = (fundq["GVKEY"] == "001008") & (fundq["DATADATE"] == "2020-06-30")
    fundq.loc[missing, "RDQ"] = None
    fundq.to_csv(folder / "fundq.csv", index=False)
    code, stdout, stderr = run_cli("market", "check", f"crsp:{folder}")
    assert code == 0 and stdout.startswith(f"crsp:{folder}: valid"), stderr
    assert stderr.splitlines() == [
        "note: fundq.csv: 1 of 69 quarters have no RDQ and are left out (set the crsp source's "
        "rdq_fallback_days to date them DATADATE + that many days)"
    ]
    dropped = open_market(f"crsp:{folder}", plugins=Plugins(autoload=False))
    dated = open_market(f"crsp:{folder}", plugins=Plugins(autoload=False), params={"rdq_fallback_days": 45})
    assert dated.notes == (
        "fundq.csv: 1 of 69 quarters have no RDQ and are dated DATADATE + 45 days (rdq_fallback_days)",
    )
    # Left out, ZETA's latest quarter on 2020-09-01 is 2020Q1; dated 45 days after
    # 2020-06-30 (2020-08-14), it is 2020Q2 from then on.
    latest = {
        day: pd.Timestamp(dated.view(day).latest_fundamental(["10008"], "period_end").iloc[0])
        for day in ("2020-08-13", "2020-08-14")
    }
    assert latest == {"2020-08-13": pd.Timestamp("2020-03-31"), "2020-08-14": pd.Timestamp("2020-06-30")}
    left_out = dropped.view("2020-09-01").latest_fundamental(["10008"], "period_end").iloc[0]
    assert pd.Timestamp(left_out) == pd.Timestamp("2020-03-31")
    code, _, stderr = run_cli("market", "check", f"crsp:{folder}", "--param", "rdq_fallback_days=-1")
    assert code != 0 and "rdq_fallback_days" in stderr


@pytest.mark.parametrize(
    ("dlstcd", "dlret", "dlprc", "expected"),
    [
        ("450", "-0.1", "", ("cash-acquisition", 0.9, None)),  # liquidated, final distribution
        ("470", "-1.0", "", ("delisting", None, "bankruptcy")),  # nothing left for the holders
        ("460", "", "", ("delisting", None, "voluntary")),  # value unknown
        ("233", "0.25", "", ("cash-acquisition", 1.25, None)),  # the cash merger, as before
    ],
)
def test_liquidation_delistings_pay_the_final_distribution(
    folder: Path, dlstcd: str, dlret: str, dlprc: str, expected: tuple[str, float | None, str | None]
) -> None:
    (folder / "dsedelist.csv").write_text(
        f"PERMNO,DLSTDT,DLSTCD,DLPRC,DLRET,NWPERM\n10005,2020-10-01,{dlstcd},{dlprc},{dlret},\n"
    )
    market = open_market(f"crsp:{folder}", plugins=Plugins(autoload=False))
    actions = market.corporate_actions
    (ending,) = actions[actions["security_id"] == "10005"].itertuples(index=False)
    dsf = pd.read_csv(folder / "dsf.csv", dtype={"PERMNO": str})
    last = float(dsf[dsf["PERMNO"] == "10005"]["PRC"].iloc[-1])
    action, per_close, reason = expected
    assert ending.action == action and ending.date == pd.Timestamp("2020-09-30")
    if per_close is None:
        assert pd.isna(ending.cash) and ending.reason == reason
    else:
        assert ending.cash == pytest.approx(last * per_close)


def test_the_documented_sic_table_is_the_map_code_by_code() -> None:
    from indexsmith_plugins.sources.crsp_codes import sector_of_sic

    text = (Path(__file__).resolve().parents[2] / "docs" / "sources" / "crsp.md").read_text()
    documented = {}
    for low, high, sector in re.findall(r"^\| (\d{4})(?:-(\d{4}))? \| ([^|]+) \|$", text, flags=re.M):
        for code in range(int(low), int(high or low) + 1):
            assert code not in documented, f"SIC {code} is in two rows"
            documented[code] = None if sector.startswith("none") else sector.strip()
    assert sorted(documented) == list(range(10_000))
    assert {code: sector_of_sic(float(code)) for code in range(10_000)} == documented
    assert documented[2834] == "Health Care" and documented[7372] == "Information Technology"
