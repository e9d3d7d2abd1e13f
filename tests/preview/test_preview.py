"""``indexsmith preview``: the next review as of a date, checked against the review the
build actually made, with the invariants of weights, turnover and trade lists."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import indexsmith
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from indexsmith import Market, Plugins
from indexsmith.cli import cli
from indexsmith.prediction.bubble import BubbleOptions


@pytest.fixture(scope="module")
def built(demo: Market) -> indexsmith.BuildResult:
    return indexsmith.build("demo-tiers", demo, plugins=Plugins(autoload=False), calculate=False)


def _members(result: indexsmith.BuildResult, index_id: str, effective: str) -> set[str]:
    c = result[index_id].constituents
    return set(c.loc[c["effective_date"] == pd.Timestamp(effective), "security_id"])


def _changes(result: indexsmith.BuildResult, index_id: str, effective: str, kind: str) -> list[str]:
    c = result[index_id].changes
    return sorted(
        c.loc[(c["effective_date"] == pd.Timestamp(effective)) & (c["change"] == kind), "security_id"]
    )


def test_preview_on_the_rank_date_is_the_review_the_build_made(demo: Market, built) -> None:  # type: ignore[no-untyped-def]
    # Ranked 2021-06-11, effective 2021-06-18; two members of demo-small leave the market
    # on 06-16 and 06-17 (a cash acquisition, a delisting): as of 06-17 the pro-forma is
    # the review as it took effect, without them.
    p = indexsmith.preview("demo-tiers", demo, as_of="2021-06-17", plugins=Plugins(autoload=False))
    first = p.reviews.iloc[0]
    assert first["effective_date"] == pd.Timestamp("2021-06-18")
    assert first["basis"] == "decided on its rank date 2021-06-11"
    for index_id in ("demo-large", "demo-small", "demo-broad-equal"):
        rows = p.constituents[
            (p.constituents["index_id"] == index_id) & (p.constituents["review_number"] == 1)
        ]
        assert set(rows["security_id"]) == _members(built, index_id, "2021-06-18")
        changes = built[index_id].changes
        actual = changes[changes["effective_date"] == pd.Timestamp("2021-06-18")]
        for kind in ("addition", "deletion"):
            expected = sorted(actual.loc[actual["change"] == kind, "security_id"])
            got = p.additions(index_id) if kind == "addition" else p.deletions(index_id)
            assert got == expected, (index_id, kind)
    # demo-large added 5 and deleted 5 at that review (see the build's changes).
    assert len(p.additions("demo-large")) == 5 and len(p.deletions("demo-large")) == 5


def test_prediction_weeks_ahead_weights_turnover_and_trades(demo: Market, built) -> None:  # type: ignore[no-untyped-def]
    p = indexsmith.preview(
        "demo-tiers",
        demo,
        as_of="2021-05-14",
        aum=[1e9, 5e9],
        participation=0.25,
        plugins=Plugins(autoload=False),
    )
    assert list(p.reviews["review"]) == [1, 2]
    assert p.reviews.iloc[0]["basis"] == "predicted from the data as of 2021-05-14"
    assert p.reviews.iloc[0]["ranked_on"] == pd.Timestamp("2021-05-14")
    actual = _members(built, "demo-large", "2021-06-18")
    predicted = set(
        p.constituents.loc[
            (p.constituents["index_id"] == "demo-large") & (p.constituents["review_number"] == 1),
            "security_id",
        ]
    )
    assert len(predicted) == 100
    assert len(predicted & actual) >= 95  # four weeks ahead, the top 100 barely moves
    c = p.constituents
    for (_, _), rows in c.groupby(["review_number", "index_id"]):
        assert rows["weight"].sum() == pytest.approx(1.0, abs=1e-12)
    before = p.constituents[(p.constituents["review_number"] == 1)]
    held = before.groupby("index_id")["weight_before"].sum()
    # The held weights of retained members; the rest was held by the deletions.
    assert (held <= 1 + 1e-12).all()
    t = p.trades
    for (review, index_id, aum), rows in t.groupby(["review", "index_id", "aum"]):
        # Both weight vectors sum to one: a tracking fund buys what it sells.
        assert rows["trade_value"].sum() == pytest.approx(0.0, abs=aum * 1e-9)
        turnover = p.turnover[(p.turnover["review"] == review) & (p.turnover["index_id"] == index_id)][
            "one_way"
        ].iloc[0]
        assert rows["trade_value"].abs().sum() / 2 == pytest.approx(turnover * aum, rel=1e-9)
        np.testing.assert_allclose(rows["days_of_volume"], rows["trade_value"].abs() / (0.25 * rows["adv"]))
        np.testing.assert_allclose(rows["trade_shares"] * rows["close"], rows["trade_value"])
    big = t[t["aum"] == 5e9].set_index(["review", "index_id", "security_id"])["days_of_volume"]
    small = t[t["aum"] == 1e9].set_index(["review", "index_id", "security_id"])["days_of_volume"]
    np.testing.assert_allclose(big.sort_index(), 5 * small.sort_index())


def test_bubble_list_sides_and_flip_moves(demo: Market) -> None:
    p = indexsmith.preview(
        "demo-tiers",
        demo,
        as_of="2021-05-14",
        bubble=BubbleOptions(ranks=10),
        plugins=Plugins(autoload=False),
    )
    b = p.bubble[p.bubble["review"] == 1]
    assert set(b["breakpoint"]) == {"rank 100: large | small", "rank 300: small | outside"}
    at_100 = b[b["breakpoint"] == "rank 100: large | small"]
    assert at_100["company_rank"].between(90, 110).all() and len(at_100) >= 21
    # Without bands a count tier is a plain rank cut: the names ranked 1..100 are above.
    assert (at_100["side"] == np.where(at_100["company_rank"] <= 100, "above", "below")).all()
    assert (at_100.loc[at_100["side"] == "above", "lands_in"] == "large").all()
    # A name above flips on a fall, a name below on a rise; the nearest flip first.
    assert (at_100.loc[at_100["side"] == "above", "move_to_flip"] <= 0).all()
    assert (at_100.loc[at_100["side"] == "below", "move_to_flip"] > 0).all()
    rank_100 = at_100[at_100["company_rank"] == 100].iloc[0]
    rank_101 = at_100[at_100["company_rank"] == 101].iloc[0]
    assert rank_100["move_to_flip"] == pytest.approx(rank_101["measure"] / rank_100["measure"] - 1)
    assert rank_101["move_to_flip"] == pytest.approx(rank_100["measure"] / rank_101["measure"] - 1)
    assert p.notes == ()


def test_a_flip_move_really_flips(demo_tables: dict[str, pd.DataFrame]) -> None:
    """Raise the close of the first name below the breakpoint by its move (plus 1%) on the
    as-of date: the preview then puts it in the large tier."""
    as_of = pd.Timestamp("2021-05-14")
    base = Market.from_frames(demo_tables, source="demo-small")
    p = indexsmith.preview("demo-tiers", base, as_of=as_of, plugins=Plugins(autoload=False), following=False)
    b = p.bubble[
        (p.bubble["breakpoint"] == "rank 100: large | small") & (p.bubble["company_rank"] == 101)
    ].iloc[0]
    sid, move = b["security_id"], b["move_to_flip"]
    company = base.securities.set_index("security_id").loc[sid, "company_id"]
    lines = base.securities.loc[base.securities["company_id"] == company, "security_id"]
    tables = {k: v.copy() for k, v in demo_tables.items()}
    prices = tables["prices"]
    on = (prices["date"] == as_of) & prices["security_id"].isin(lines)
    prices.loc[on, "close"] = prices.loc[on, "close"] * (1 + move) * 1.01
    moved = indexsmith.preview(
        "demo-tiers",
        Market.from_frames(tables, source="moved"),
        as_of=as_of,
        plugins=Plugins(autoload=False),
        following=False,
    )
    assert sid in moved.additions("demo-large") or sid in set(
        moved.constituents.loc[moved.constituents["index_id"] == "demo-large", "security_id"]
    )
    assert sid not in set(p.constituents.loc[p.constituents["index_id"] == "demo-large", "security_id"])


def test_no_fixed_breakpoints_says_what_was_used(demo: Market) -> None:
    definition = {
        "index": {
            "id": "top-equal",
            "schedule": {"use": "monthly"},
            "ranking": {"use": "company-market-cap"},
            "bucketing": {"use": "all"},
            "weighting": {"use": "equal"},
        }
    }
    p = indexsmith.preview(definition, demo, as_of="2021-05-14", plugins=Plugins(autoload=False))
    assert p.notes == (
        "bucketing 'all' has no fixed breakpoints: the bubble list measures each name against the last member "
        "of each bucket by rank instead",
    )
    assert p.bubble["breakpoint"].str.startswith("last member of ").all()


def test_build_ending_between_rank_and_effective_dates_writes_the_pro_forma(
    demo: Market, built, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    early = indexsmith.build("demo-tiers", demo, end=dt.date(2021, 6, 17), plugins=Plugins(autoload=False))
    large = early["demo-large"]
    assert large.run_info["pending_reviews"] == [
        {
            "rank_date": "2021-06-11",
            "announcement_date": "2021-06-15",
            "effective_date": "2021-06-18",
            "review": "reconstitution",
            "pro_forma": True,
        }
    ]
    assert set(large.pro_forma["security_id"]) == _members(built, "demo-large", "2021-06-18")
    small = early["demo-small"].pro_forma
    assert set(small["security_id"]) == _members(built, "demo-small", "2021-06-18")
    # As of the rank date the two that left on 06-16 and 06-17 were still in it.
    ranked = indexsmith.build("demo-tiers", demo, end=dt.date(2021, 6, 11), plugins=Plugins(autoload=False))
    assert set(ranked["demo-small"].pro_forma["security_id"]) - set(small["security_id"]) == {
        "S000172",
        "S000447",
    }
    assert sorted(
        large.pro_forma_changes.loc[large.pro_forma_changes["change"] == "addition", "security_id"]
    ) == _changes(built, "demo-large", "2021-06-18", "addition")
    # Reviews in force are unchanged by the pro-forma: the last is the March review.
    assert large.constituents["effective_date"].max() == pd.Timestamp("2021-03-19")
    out = early.write(tmp_path / "r")
    info = json.loads((out / "demo-large" / "run.json").read_text())
    assert {"pro_forma.parquet", "pro_forma_changes.parquet"} <= set(info["outputs"])
    assert len(pd.read_parquet(out / "demo-large" / "pro_forma.parquet")) == 100


def test_preview_cli_writes_every_table_and_refuses_bad_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INDEXSMITH_DISABLE_PLUGIN_AUTOLOAD", "1")
    runner = CliRunner()
    out = tmp_path / "pv"
    result = runner.invoke(
        cli,
        [
            "preview",
            "demo-tiers",
            "--demo",
            "small",
            "--as-of",
            "2021-05-14",
            "--aum",
            "1e9",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "review 1: reconstitution effective 2021-06-18 (scheduled rank date 2021-06-11" in result.output
    names = {p.name for p in out.iterdir()}
    for table in ("reviews", "changes", "migrations", "bubble", "constituents", "turnover", "trades"):
        assert {f"{table}.parquet", f"{table}.csv"} <= names
    info = json.loads((out / "preview.json").read_text())
    assert info["as_of"] == "2021-05-14" and info["aum"] == [1e9]
    cases = [
        (
            ["--as-of", "2030-01-02"],
            "as-of date 2030-01-02 is outside the market data (2019-01-02..2021-12-31)",
        ),
        (["--as-of", "2021-05-14", "--aum", "-1"], "'-1' is not a positive number of dollars"),
        (["--as-of", "2021-05-14", "--aum", "lots"], "'lots' is not a positive number of dollars"),
    ]
    for args, message in cases:
        bad = runner.invoke(
            cli, ["preview", "demo-tiers", "--demo", "small", *args, "--out", str(tmp_path / "bad")]
        )
        assert bad.exit_code != 0 and message in bad.output, bad.output
        assert not (tmp_path / "bad").exists()


def test_a_schedule_with_no_review_ahead_is_refused(demo: Market) -> None:
    definition = {
        "index": {
            "id": "ended",
            "end": "2020-12-31",
            "schedule": {"use": "monthly"},
            "ranking": {"use": "company-market-cap"},
            "bucketing": {"use": "all"},
            "weighting": {"use": "equal"},
        }
    }
    with pytest.raises(
        indexsmith.DefinitionError,
        match=r"has no review taking effect after 2021-05-14 .*\(its end is 2020-12-31\)",
    ):
        indexsmith.preview(definition, demo, as_of="2021-05-14", plugins=Plugins(autoload=False))
    with pytest.raises(indexsmith.DefinitionError, match=r"AUM -5 is not a positive number"):
        indexsmith.preview("demo-tiers", demo, as_of="2021-05-14", aum=[-5], plugins=Plugins(autoload=False))


def test_explain_a_pro_forma_decision(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INDEXSMITH_DISABLE_PLUGIN_AUTOLOAD", "1")
    result = CliRunner().invoke(
        cli, ["explain", "demo-tiers", "CPVD", "--date", "2021-05-14", "--pro-forma", "--demo", "small"]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    header = next(line for line in lines if line.startswith("S000510 (CPVD"))
    assert (
        "at the pro-forma (predicted from the data as of 2021-05-14) review ranked 2021-05-14, effective 2021-06-18"
        in header
    )
    assert "  bucket: large" in lines  # a new listing, straight into the large tier at rank 60
    assert "  previous review: in no bucket (a newcomer to the family)" in lines
    assert any(line.startswith("  demo-large: member, weight ") for line in lines)


def test_a_pro_forma_cites_only_departures_known_by_its_day(demo: Market) -> None:
    from indexsmith import engine
    from indexsmith.definition import load
    from indexsmith.results.proforma import pro_forma_tables

    methodology = load("demo-tiers", Plugins(autoload=False))
    run = engine.run(methodology, demo, end=dt.date(2021, 6, 18))
    june = run.outputs[-1]  # ranked 2021-06-11; S000172 left the market on 2021-06-16
    assert june.review.effective_date == pd.Timestamp("2021-06-18")
    held = pd.Index([*june.constituents["demo-small"].index, "S000172"], dtype=object)
    _, before = pro_forma_tables("demo-small", june, held, demo, pd.Timestamp("2021-06-11"))
    _, after = pro_forma_tables("demo-small", june, held, demo, pd.Timestamp("2021-06-17"))
    # As of the rank date its departure was not known: the reason is where it ranked.
    assert before.loc[before["security_id"] == "S000172", "reason"].iloc[0].startswith("rank 230 in ")
    assert after.loc[after["security_id"] == "S000172", "reason"].iloc[0] == (
        "cash acquisition at $30.06, last close 2021-06-16"
    )


def test_a_capped_index_holds_its_capped_weights_pro_forma(demo: Market) -> None:
    """Nasdaq-100-style: float-cap shares, then the two-level capping (single names to 20%
    once over 24%). The pro-forma weights are the capped targets, not the uncapped shares."""
    p = indexsmith.preview(
        "nasdaq-100-style", demo, as_of="2020-11-02", following=False, plugins=Plugins(autoload=False)
    )
    c = p.constituents
    assert c["weight"].max() <= 0.24 + 1e-12
    output = indexsmith.preview(
        "nasdaq-100-style", demo, as_of="2020-11-27", following=False, plugins=Plugins(autoload=False)
    ).constituents
    built = indexsmith.build("nasdaq-100-style", demo, plugins=Plugins(autoload=False), calculate=False)
    target = built["nasdaq-100-style"].at("2020-12-18").set_index("security_id")["weight"]
    np.testing.assert_allclose(
        output.set_index("security_id")["weight"].reindex(target.index), target, atol=1e-12
    )
