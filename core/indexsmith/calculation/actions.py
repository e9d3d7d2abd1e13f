"""Corporate actions applied to a ledger's holdings (methodologies.md §6.4).

On an ex-date, before the open and with the previous close, in this order for one
security: special dividends (the price-return divisor falls by the cash per share held),
spin-offs (the spun-off company enters at price 0 with ``ratio`` shares per share held),
splits and reverse splits (index shares scale by the ratio; a price-weighted index adjusts
its divisor instead). After the close of a security's last session it leaves: sold at the
deal price of a cash acquisition (the close is restated as the sale), moved into a held
acquirer's index shares or sold at the consideration's value in a stock acquisition, and
otherwise sold at the last close (at zero for bankruptcies with ``bankruptcy_at_zero``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from indexsmith.errors import DataError, Problem

if TYPE_CHECKING:
    from indexsmith.calculation.ledger import Ledger


def before_open(ledger: Ledger, session: int, rows: list[Any]) -> None:
    """Ex-date adjustments, made with the previous close."""
    options, book, sessions = ledger.options, ledger.book, ledger.sessions
    prev = session - 1
    for row in rows:
        i = book.index_of(row.pos)
        if i < 0:
            continue
        sid = row.security_id
        if not ledger.panel.get("observed", session, np.array([row.pos]))[0] == 1:
            raise DataError(
                [
                    Problem(
                        f"{row.action} of member {sid} on {sessions[session]:%Y-%m-%d}, a session without a price for it",
                        "corporate_actions",
                        "date the action on its ex-date, a session the security traded",
                    )
                ]
            )
        if row.action == "split":
            if not row.ratio > 0:
                raise DataError(
                    [
                        Problem(
                            f"split of {sid} on {sessions[session]:%Y-%m-%d} has ratio {row.ratio}",
                            "corporate_actions",
                            "give new shares per old share, > 0",
                        )
                    ]
                )
            if options.unit_holdings:
                after = ledger.mv_last - book.q[i] * ledger.close_of(row.pos, prev) * (1 - 1 / row.ratio)
                ledger.adjust(session, sid, "split", ledger.mv_last, after)
                ledger.mv_last = after
            else:
                book.scale(i, row.ratio)
                ledger.event_rows.append((sessions[session], sid, "split", ledger.divisor, ledger.divisor))
        elif row.action == "special-dividend":
            after = ledger.mv_last - book.q[i] * row.cash
            ledger.adjust(session, sid, "special dividend", ledger.mv_last, after)
            ledger.mv_last = after
        elif row.action == "spin-off":
            child = ledger.events.other_security(
                row,
                session,
                "spin-off",
                "new security",
                "add the spun-off security to securities and prices",
            )
            if options.unit_holdings:
                after = ledger.mv_last - book.q[i] * row.ratio * ledger.close_of(child, session)
                ledger.adjust(session, sid, "spin-off", ledger.mv_last, after)
                ledger.mv_last = after
            else:
                book.add(child, book.q[i] * row.ratio)  # at price 0 on the previous close
                ledger.log.append((session - 1, child, "entry", f"spin-off of {sid}"))
                ledger.event_rows.append((sessions[session], sid, "spin-off", ledger.divisor, ledger.divisor))


def after_close(ledger: Ledger, session: int) -> None:
    """Members whose last close was this session leave the index: sold at the deal
    price (the close reflects the sale), then the divisor takes what remains."""
    options, book, events = ledger.options, ledger.book, ledger.events
    gone = np.flatnonzero(events.delisted[book.pos] == session)
    if not len(gone):
        return
    plan = []  # (position, shares, close, price, what, acquirer, ratio)
    for i in gone:
        position = int(book.pos[i])
        close = ledger.close_of(position, session)
        price, what, acquirer, ratio = close, "delisting", -1, 0.0
        for act in events.of(session, position):
            if act.action == "cash-acquisition" and act.cash == act.cash:
                price, what = act.cash, "cash acquisition"
            elif act.action == "stock-acquisition":
                acquirer = events.other_security(
                    act,
                    session,
                    "stock acquisition",
                    "acquirer",
                    "add the acquirer or record the deal as a cash acquisition",
                )
                ratio, what = act.ratio, "stock acquisition"
                price = ratio * ledger.close_of(acquirer, session)
                if book.index_of(acquirer) < 0 or options.unit_holdings:
                    acquirer = -1  # not held: removed at the consideration's value
                else:
                    price = close  # held: shares move to the acquirer, no sale
            elif act.action == "delisting" and act.reason == "bankruptcy" and options.bankruptcy_at_zero:
                price, what = 0.0, "bankruptcy"
        plan.append((position, float(book.q[i]), close, price, what, acquirer, ratio))
    realised = ledger.mv_last + sum(shares * (price - close) for _, shares, close, price, *_ in plan)
    if realised != ledger.mv_last:
        _restate_last(ledger, realised)
    current = realised
    for position, shares, close, price, what, acquirer, ratio in plan:
        book.drop(book.index_of(position))
        ledger.log.append((session, position, "exit", what))
        if acquirer >= 0:
            book.add(acquirer, shares * ratio)
            after = current - shares * close + shares * ratio * ledger.close_of(acquirer, session)
        else:
            after = current - shares * price
            ledger.proceeds[session] = ledger.proceeds.get(session, 0.0) + shares * price
        ledger.adjust(session, ledger.ids[position], what, current, after)
        current = after
    ledger.mv_last = current


def _restate_last(ledger: Ledger, mv: float) -> None:
    """The last close was a sale at ``mv``: restate that session's levels."""
    ratio = mv / ledger.out_cols["market_value"][-1][-1]
    for key in ("price_return", "total_return", "net_total_return", "net_of_costs", "market_value"):
        ledger.out_cols[key][-1] = ledger.out_cols[key][-1].copy()
        ledger.out_cols[key][-1][-1] *= ratio
    ledger.pr, ledger.tr, ledger.ntr, ledger.net = (
        ledger.pr * ratio,
        ledger.tr * ratio,
        ledger.ntr * ratio,
        ledger.net * ratio,
    )
