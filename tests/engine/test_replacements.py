"""Members that leave between reviews, and what replaces them (methodologies.md §3.4,
§5.2): on tiny markets whose dates and numbers can be checked by hand."""

from __future__ import annotations

from typing import Any

import indexsmith
import pandas as pd
import pytest
from indexsmith import Plugins

from tests.support import tiny_market

#: 45 sessions from 2024-01-02: January ends at session 20, February at session 40.
DAYS = 45


def closes(**prices: float) -> dict[str, list[float | None]]:
    return {sid: [price] * DAYS for sid, price in prices.items()}


def leaves(path: dict[str, list[float | None]], sid: str, last: int, price: float | None = None) -> None:
    """``sid`` trades up to session ``last`` (at ``price`` on it, the deal price)."""
    values = path[sid]
    if price is not None:
        values[last] = price
    path[sid] = values[: last + 1] + [None] * (DAYS - last - 1)


def top(count: int, replacement: str, **extra: Any) -> dict[str, Any]:
    index = {
        "id": "top",
        "schedule": {"use": "monthly", "params": {"rank_lag_sessions": 0, "announce_lag_sessions": 0}},
        "ranking": {"use": "company-market-cap"},
        "bucketing": {
            "use": "top-with-buffer",
            "params": {"count": count, "buffer_rank": count, "name": "top"},
        },
        "weighting": {"use": "float-cap"},
        "replacement": {"use": replacement},
        "maintenance": {"announce_sessions": 2},
    }
    index.update(extra)
    return {"index": index}


def members_each_session(result: indexsmith.IndexResult, m: indexsmith.Market) -> pd.Series:
    first = result.levels["date"].iloc[1]
    return pd.Series({day: len(result.members_on(day)) for day in m.sessions[m.sessions >= first]})


def test_next_ranked_replaces_a_member_at_its_last_close(plugins: Plugins) -> None:
    # A (40) and B (30) are the top 2 from the end of January; A is bought out at 41 at the
    # close of session 25 (2024-02-07): C (20), the next-ranked company, enters at that close.
    path = closes(A=40.0, B=30.0, C=20.0, D=10.0)
    leaves(path, "A", 25, 41.0)
    m = tiny_market(path, actions=[(25, "A", "cash-acquisition", {"cash": 41.0})])
    result = indexsmith.build(top(2, "next-ranked"), m, plugins=plugins)["top"]
    changes = result.changes[result.changes["review"] == "replacement"]
    assert changes[["security_id", "change", "reason"]].values.tolist() == [
        ["C", "addition", "replacement for A"],
        ["A", "deletion", "cash acquisition at $41.00, last close 2024-02-07"],
    ]
    assert (
        changes["rank_date"].iloc[0] == m.sessions[23] and changes["effective_date"].iloc[0] == m.sessions[25]
    )
    assert members_each_session(result, m).eq(2).all()
    membership = result.membership.set_index("security_id")
    assert membership.loc["A", "exit_date"] == m.sessions[26]
    assert membership.loc["C", "entry_date"] == m.sessions[26]
    assert membership.loc["A", "exit_reason"] == "cash acquisition at $41.00, last close 2024-02-07"
    assert membership.loc["C", "entry_reason"] == "replacement for A"
    # Sold A at 41 (41/71 of the index), bought C (20/50): one way = 41/71, all of it the
    # replacement's; B only funds it.
    row = result.calculation.turnover.set_index("effective_date").loc[m.sessions[25]]
    assert row["review"] == "replacement"
    assert row["one_way"] == pytest.approx(41 / 71, rel=1e-12)
    assert row["replacements"] == pytest.approx(41 / 71, rel=1e-12)
    levels = result.levels.set_index("date")["price_return"]
    assert levels[m.sessions[26]] == pytest.approx(levels[m.sessions[25]], rel=1e-12)


def test_without_replacement_the_place_stays_empty(plugins: Plugins) -> None:
    path = closes(A=40.0, B=30.0, C=20.0, D=10.0)
    leaves(path, "A", 25, 41.0)
    m = tiny_market(path, actions=[(25, "A", "cash-acquisition", {"cash": 41.0})])
    result = indexsmith.build(top(2, "none"), m, plugins=plugins)["top"]
    counts = members_each_session(result, m)
    assert (
        counts.loc[: m.sessions[25]].eq(2).all() and counts.loc[m.sessions[26] : m.sessions[40]].eq(1).all()
    )
    deletion = result.changes[result.changes["review"] == "deletion"]
    assert deletion[["security_id", "change"]].values.tolist() == [["A", "deletion"]]
    assert counts.loc[m.sessions[41] :].eq(2).all()  # the February review fills it


def test_a_decided_review_is_amended_when_a_member_leaves_before_it_takes_effect(plugins: Plugins) -> None:
    # The February review is ranked 3 sessions early (session 37); A leaves at session 38:
    # both the membership in force and the decided review get C.
    path = closes(A=40.0, B=30.0, C=20.0, D=10.0)
    leaves(path, "A", 38)
    m = tiny_market(path, actions=[(38, "A", "delisting", {"reason": "voluntary"})])
    definition = top(2, "next-ranked")
    definition["index"]["schedule"]["params"] = {"rank_lag_sessions": 3, "announce_lag_sessions": 1}
    result = indexsmith.build(definition, m, plugins=plugins)["top"]
    february = result.constituents[result.constituents["effective_date"] == m.sessions[40]]
    assert sorted(february["security_id"]) == ["B", "C"]
    assert members_each_session(result, m).eq(2).all()


def test_a_member_leaving_on_the_effective_date_is_deleted_for_that_reason(plugins: Plugins) -> None:
    path = closes(A=40.0, B=30.0, C=20.0, D=10.0)
    leaves(path, "A", 40)
    m = tiny_market(path, actions=[(40, "A", "delisting", {"reason": "voluntary"})])
    definition = top(2, "next-ranked")
    definition["index"]["schedule"]["params"] = {"rank_lag_sessions": 3, "announce_lag_sessions": 1}
    result = indexsmith.build(definition, m, plugins=plugins)["top"]
    february = result.changes[result.changes["effective_date"] == m.sessions[40]]
    assert february[["security_id", "change", "reason"]].values.tolist() == [
        ["C", "addition", "replacement for A"],
        ["A", "deletion", "delisted (voluntary), last close 2024-02-29"],
    ]


def test_an_amended_review_keeps_what_it_announced_and_the_replacement_takes_the_freed_weight(
    plugins: Plugins,
) -> None:
    # A capped (weight-holding) index: the February review announced A 40/70 and B 30/70;
    # A leaves before it takes effect. B keeps 30/70 and C, which replaces A, takes 40/70
    # (re-weighting the review on the later view would have given B 30/50).
    path = closes(A=40.0, B=30.0, C=20.0, D=10.0)
    leaves(path, "A", 38)
    m = tiny_market(path, actions=[(38, "A", "delisting", {"reason": "voluntary"})])
    definition = top(2, "next-ranked", capping={"use": "single-name", "params": {"max_weight": 0.99}})
    definition["index"]["schedule"]["params"] = {"rank_lag_sessions": 3, "announce_lag_sessions": 1}
    result = indexsmith.build(definition, m, plugins=plugins)["top"]
    february = result.constituents[result.constituents["effective_date"] == m.sessions[40]]
    weights = february.set_index("security_id")["weight"]
    assert weights.to_dict() == pytest.approx({"B": 30 / 70, "C": 40 / 70}, rel=1e-12)


def test_a_place_that_cannot_be_filled_is_reported(plugins: Plugins, tmp_path: Any) -> None:
    # Only C could replace A, and C's price is below the screen's minimum.
    path = closes(A=40.0, B=30.0, C=0.5)
    leaves(path, "A", 25)
    m = tiny_market(path, actions=[(25, "A", "delisting", {"reason": "voluntary"})])
    screen = [{"use": "min-price", "params": {"min_price": 1.0}}]
    result = indexsmith.build(top(2, "next-ranked", universe=screen), m, plugins=plugins)["top"]
    assert result.run_info["warnings"] == [
        "1 place(s) left by A on 2024-02-07 could not be filled: replacement 'next-ranked' found no eligible "
        "company, so the family holds 1 companies until its next review"
    ]
    assert members_each_session(result, m).loc[m.sessions[26] : m.sessions[40]].eq(1).all()


def test_committee_rules_migrate_and_fill_in_turn(plugins: Plugins) -> None:
    # big: companies of at least $35M (A 50M, B 40M); small: $8M-35M (C 30M, D 20M, E 10M).
    # A leaves: no company outside the family is big enough, so the committee takes the
    # largest below the range, C, from small; small's place goes to E.
    path = closes(A=50.0, B=40.0, C=30.0, D=20.0, E=10.0)
    leaves(path, "A", 25)
    m = tiny_market(path, actions=[(25, "A", "delisting", {"reason": "voluntary"})])
    definition = {
        "family": {
            "id": "committee",
            "schedule": {"use": "monthly", "params": {"rank_lag_sessions": 0, "announce_lag_sessions": 0}},
            "ranking": {"use": "company-market-cap"},
            "bucketing": {
                "use": "committee-selection",
                "params": {
                    "indices": [
                        {"name": "big", "target": 2, "ranges": [{"start": "2020-01-01", "min_cap": 35e6}]},
                        {
                            "name": "small",
                            "target": 2,
                            "ranges": [{"start": "2020-01-01", "min_cap": 8e6, "max_cap": 35e6}],
                        },
                    ],
                    "pool": 1,
                },
            },
            "replacement": {"use": "bucketing-rules"},
            "index": [
                {"id": "big", "buckets": ["big"], "weighting": {"use": "float-cap"}},
                {"id": "small", "buckets": ["small"], "weighting": {"use": "float-cap"}},
            ],
        }
    }
    result = indexsmith.build(definition, m, plugins=plugins)
    moves = {
        index_id: result[index_id]
        .changes.query("review == 'replacement'")[["security_id", "change", "reason"]]
        .values.tolist()
        for index_id in ("big", "small")
    }
    assert moves == {
        "big": [
            ["C", "addition", "migrated from small"],
            ["A", "deletion", "delisted (voluntary), last close 2024-02-07"],
        ],
        "small": [["E", "addition", "replacement for A"], ["C", "deletion", "migrated to big"]],
    }
    for index_id in ("big", "small"):
        assert members_each_session(result[index_id], m).eq(2).all()


def test_an_unknown_replacement_is_refused_with_its_path(plugins: Plugins) -> None:
    with pytest.raises(indexsmith.DefinitionError) as info:
        indexsmith.load_definition(top(2, "next-rankd"), plugins)
    assert str(info.value).startswith(
        "no replacement named 'next-rankd' at $.index.replacement.use — did you mean 'next-ranked'?"
    )


def test_bucketing_rules_need_a_bucketing_that_fills(plugins: Plugins) -> None:
    definition = top(2, "bucketing-rules")
    definition["index"]["bucketing"] = {"use": "all"}
    with pytest.raises(indexsmith.DefinitionError) as info:
        indexsmith.load_definition(definition, plugins)
    assert (
        "replacement 'bucketing-rules' needs a bucketing that fills vacancies between reviews; Everything does not"
        in str(info.value)
    )


@pytest.mark.parametrize(
    ("policy", "child_price", "dropped"),
    [
        ("keep", 4.0, False),
        ("drop-after-first-session", 40.0, True),
        ("drop-if-ineligible", 4.0, True),  # fails min-price 5
        ("drop-if-ineligible", 40.0, False),
    ],
)
def test_spun_off_companies_leave_after_their_first_session(
    plugins: Plugins, policy: str, child_price: float, dropped: bool
) -> None:
    # P spins off S (one S per P) on session 25; S trades from that session.
    path = closes(P=50.0, Q=40.0, R=30.0)
    path["S"] = [None] * 25 + [child_price] * (DAYS - 25)
    m = tiny_market(path, actions=[(25, "P", "spin-off", {"ratio": 1.0, "new_security_id": "S"})])
    definition = top(2, "none", universe=[{"use": "min-price", "params": {"min_price": 5.0}}])
    definition["index"]["maintenance"] = {"spin_offs": policy}
    result = indexsmith.build(definition, m, plugins=plugins)["top"]
    spin = result.membership.set_index("security_id").loc["S"]
    assert spin["entry_date"] == m.sessions[25] and spin["entry_reason"] == "spin-off of P"
    if dropped:
        assert spin["exit_date"] == m.sessions[26]
        assert spin["exit_reason"].startswith("spin-off of P: ")
        assert "spin-off dropped" in set(result.calculation.events["event"])
    else:
        assert spin["exit_date"] == m.sessions[41]  # sold at the February review
    levels = result.levels.set_index("date")["price_return"]
    assert levels[m.sessions[26]] == pytest.approx(levels[m.sessions[25]], rel=1e-12)


def test_a_plugin_brings_its_own_replacement_policy(plugins: Plugins) -> None:
    # A third-party policy registered through indexsmith_register_replacements: replace a
    # leaver with the smallest eligible company instead of the largest.
    import attrs
    from indexsmith import Replacement, hookimpl

    @attrs.frozen(kw_only=True)
    class Smallest(Replacement):
        def replace(self, view, ranked, current, vacated, bucketing):  # type: ignore[no-untyped-def]
            others = ranked[~ranked.index.isin(current["security_id"])]
            row = pd.DataFrame({"security_id": [others.index[-1]], "bucket": ["top"], "fraction": [1.0]})
            return pd.concat([current, row], ignore_index=True)

    class Policies:
        @hookimpl
        def indexsmith_register_replacements(self, register):  # type: ignore[no-untyped-def]
            register("smallest", Smallest)

    plugins.register(Policies(), name="policies")
    path = closes(A=40.0, B=30.0, C=20.0, D=10.0)
    leaves(path, "A", 25)
    m = tiny_market(path, actions=[(25, "A", "delisting", {"reason": "voluntary"})])
    result = indexsmith.build(top(2, "smallest"), m, plugins=plugins)["top"]
    added = result.changes.query("review == 'replacement' and change == 'addition'")
    assert added["security_id"].tolist() == ["D"]
    assert {c["name"] for c in result.run_info["components"] if c["kind"] == "replacement"} == {"smallest"}


def test_a_review_past_the_data_is_reported_as_pending(plugins: Plugins) -> None:
    # Monthly reviews ranked 5 sessions early; the data ends 2 sessions before the end of
    # February, inside the February review's window.
    m = tiny_market({k: v[:39] for k, v in closes(A=40.0, B=30.0, C=20.0).items()})
    definition = top(2, "none")
    definition["index"]["schedule"]["params"] = {"rank_lag_sessions": 5, "announce_lag_sessions": 1}
    result = indexsmith.build(definition, m, plugins=plugins)
    assert result["top"].run_info["pending_reviews"] == [
        {
            "rank_date": "2024-02-22",
            "announcement_date": "2024-02-28",
            "effective_date": "2024-02-29",
            "review": "reconstitution",
            "pro_forma": True,
        }
    ]
    assert result.pending["effective_date"].tolist() == [pd.Timestamp("2024-02-29")]
    # Decided on its rank date like any review: its pro-forma is the top two, A and B.
    pro_forma = result["top"].pro_forma
    assert sorted(pro_forma["security_id"]) == ["A", "B"]
    assert pro_forma["weight"].sum() == pytest.approx(1.0)
    assert (pro_forma["rank_date"] == pd.Timestamp("2024-02-22")).all()
