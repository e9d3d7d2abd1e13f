"""Why members leave the market, and the spun-off companies a family drops after their
first session (``maintenance.spin_offs``): worked out from the market's corporate actions."""

from __future__ import annotations

from typing import Any

import pandas as pd

from indexsmith import contracts
from indexsmith.components import Review
from indexsmith.data.market import Market
from indexsmith.definition.model import Methodology
from indexsmith.engine.review import ReviewOutput, call
from indexsmith.frames import UNIVERSE_COLUMNS


def spin_off_drops(
    methodology: Methodology, market: Market, outputs: list[ReviewOutput], events: list[Any]
) -> pd.DataFrame:
    """Spun-off companies of family members to drop at the close of their first session
    (``maintenance.spin_offs``); the calculation acts only where it holds one."""
    policy = methodology.maintenance.spin_offs
    columns = {
        "date": pd.Series(dtype="datetime64[ns]"),
        "security_id": pd.Series(dtype=object),
        "reason": pd.Series(dtype=object),
    }
    if policy == "keep" or not outputs:
        return pd.DataFrame(columns)
    actions = market.corporate_actions
    spins = actions[(actions["action"] == "spin-off") & (actions["date"] > outputs[0].review.effective_date)]
    ever = set()
    for output in outputs:
        ever.update(output.assignment["security_id"])
    for event in events:
        for frame in event.added.values():
            ever.update(frame.index)
    spins = spins[spins["security_id"].isin(ever) & spins["new_security_id"].notna()]
    positions = market.security_ids.get_indexer(spins["new_security_id"])
    rows = []
    for (_, action), position in zip(spins.iterrows(), positions, strict=True):
        if position < 0:
            continue
        first = int(market.daily.first_session[position])
        if first < 0:
            continue
        child = str(action["new_security_id"])
        reason = f"spin-off of {action['security_id']}: dropped after its first session"
        if policy == "drop-if-ineligible":
            failure = _ineligible(methodology, market, child, first)
            if failure is None:
                continue
            reason = f"spin-off of {action['security_id']}: ineligible ({failure}), dropped after its first session"
        rows.append((market.sessions[first], child, reason))
    if not rows:
        return pd.DataFrame(columns)
    return (
        pd.DataFrame(rows, columns=list(columns))
        .sort_values(["date", "security_id"], kind="stable")
        .reset_index(drop=True)
    )


def _ineligible(methodology: Methodology, market: Market, security_id: str, session: int) -> str | None:
    """The first screen a security fails as a candidate for addition on a session."""
    view = market.view(market.sessions[session])
    if security_id not in view.securities.index:
        return "not listed"
    subject = view.securities.loc[[security_id], list(UNIVERSE_COLUMNS)].copy()
    subject["incumbent"] = False
    review = Review(view.as_of, view.as_of, view.as_of, "replacement")
    for screen in methodology.screens:
        if screen.applies_to == "incumbents":
            continue
        reasons = contracts.check_reasons(
            screen, call(screen, "screen", review, view, subject), subject, review
        )
        if reasons.notna().any():
            return f"{screen.entry.name}: {reasons.iloc[0]}"
    return None


def leaving_reasons(market: Market) -> dict[tuple[str, int], str]:
    """(security_id, session) -> why the security's last close was that session: the
    corporate action recorded for it on that date (worked out once per market)."""
    return market.memo("leaving_reasons", lambda: _leaving_reasons(market))


def _leaving_reasons(market: Market) -> dict[tuple[str, int], str]:
    actions = market.corporate_actions
    actions = actions[actions["action"].isin(["cash-acquisition", "stock-acquisition", "delisting"])]
    sessions = market.sessions.searchsorted(pd.DatetimeIndex(actions["date"]))
    out: dict[tuple[str, int], str] = {}
    for row, session in zip(actions.itertuples(index=False), sessions, strict=True):
        date = f"{row.date:%Y-%m-%d}"
        if row.action == "cash-acquisition":
            cash = f" at ${row.cash:,.2f}" if row.cash == row.cash else ""
            text = f"cash acquisition{cash}, last close {date}"
        elif row.action == "stock-acquisition":
            text = f"stock acquisition by {row.acquirer_id}, last close {date}"
        else:
            text = f"delisted ({row.reason or 'no reason given'}), last close {date}"
        out.setdefault((row.security_id, int(session)), text)
    return out
