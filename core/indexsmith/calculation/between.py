"""Changes to an index between its reviews (methodologies.md §6.1, §6.7, §6.8), applied to
a ledger's holdings at a close by :func:`indexsmith.calculation.levels.calculate`:

* :func:`between_reviews` — members that left (or migrated) at a close and what replaced
  them: a replacement of a share-holding index enters with its float-adjusted shares (as
  counted when it was chosen, split-adjusted to this close); one of a weight-holding index
  takes the value of the members it replaces, split equally among the replacements.
* :func:`drop_spin_off` — a spun-off company dropped after its first session, its value
  reinvested across the index.
* :func:`share_change` — a share (or float) change at or above the index's threshold,
  applied at once; a later review ranked before it keeps it.
"""

from __future__ import annotations

import attrs
import numpy as np

from indexsmith.calculation.ledger import Ledger
from indexsmith.errors import DataError, Problem


@attrs.frozen
class Change:
    """A change between reviews at one close: securities that leave the index (if still
    held) and those that enter, with their target shares and weights."""

    kind: str
    remove: np.ndarray
    add: np.ndarray
    add_shares: np.ndarray
    add_float_shares: np.ndarray
    add_weight: np.ndarray
    #: The session the additions' shares were chosen on (splits since then are applied).
    rank_session: int = -1


def between_reviews(
    ledger: Ledger, session: int, change: Change, before: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> None:
    """Members leaving at this close (those not already sold as delistings: migrations)
    and their replacements; ``before`` is the book before this session's delistings, so
    the turnover counts the sale and the reinvestment."""
    book, options = ledger.book, ledger.options
    proceeds = ledger.proceeds.pop(session, 0.0)
    current = ledger.mv_last
    for position in change.remove:
        i = book.index_of(int(position))
        if i < 0:
            continue
        value = float(book.q[i]) * ledger.close_of(int(position), session)
        ledger.log.append((session, int(position), "exit", change.kind))
        book.drop(i)
        proceeds += value
        ledger.adjust(session, str(ledger.ids[position]), "migration", current, current - value)
        current -= value
    add = np.array(
        [p for p in change.add if book.index_of(int(p)) < 0 and ledger.events.delisted[p] > session],
        dtype=np.int64,
    )
    keep = np.isin(change.add, add)
    if len(add):
        prices = ledger.prices.block(np.array([session]), add)[0]
        if options.unit_holdings:
            q, fs = np.ones(len(add)), np.ones(len(add))
        else:
            # Shares counted when the replacement was chosen, in shares of this close.
            split = (
                ledger.events.split_factor(change.rank_session, session, add)
                if change.rank_session >= 0
                else 1.0
            )
            fs = change.add_float_shares[keep].astype(float) * split
            if ledger.holds_shares:
                q = change.add_shares[keep].astype(float) * split
            else:
                base = current if current > 0 else ledger.emptied_from
                value = proceeds if proceeds > 0 else base * float(change.add_weight[keep].sum())
                q = value / len(add) / prices
        for position, shares, float_shares in zip(add, q, fs, strict=True):
            book.add(int(position), float(shares), float(float_shares))
            ledger.log.append((session, int(position), "entry", change.kind))
        after = current + float(prices @ q)
        ledger.adjust(session, "", "replacement", current, after)
        current = after
    ledger.mv_last = current
    old_pos, old_q, old_fs = before
    one_way, parts, cost = ledger.trade(
        session, old_pos, old_q, old_fs, book.pos, book.q, book.fs, between_reviews=True
    )
    ledger.record_turnover(session, change.kind, one_way, parts, cost)
    ledger.record_holdings(session)


def drop_spin_off(ledger: Ledger, session: int, position: int, reason: str) -> None:
    """A spun-off company leaves at the close of its first session (value reinvested)."""
    i = ledger.book.index_of(position)
    if i < 0:
        return
    before = (ledger.book.pos.copy(), ledger.book.q.copy(), ledger.book.fs.copy())
    value = float(ledger.book.q[i]) * ledger.close_of(position, session)
    ledger.book.drop(i)
    ledger.log.append((session, position, "exit", reason))
    ledger.adjust(
        session, str(ledger.ids[position]), "spin-off dropped", ledger.mv_last, ledger.mv_last - value
    )
    ledger.mv_last -= value
    one_way, parts, cost = ledger.trade(
        session, *before, ledger.book.pos, ledger.book.q, ledger.book.fs, between_reviews=True
    )
    ledger.record_turnover(session, "spin-off", one_way, parts, cost)
    ledger.record_holdings(session)


def share_change(ledger: Ledger, session: int, changes: list[tuple[int, float]]) -> None:
    """Float-adjusted share changes at or above the threshold, applied at this close."""
    book, threshold = ledger.book, ledger.options.share_change_threshold
    before = (book.pos.copy(), book.q.copy(), book.fs.copy())
    moved = False
    if threshold is None or not changes or not len(book.pos):
        return
    # Most share rows move a member by less than the threshold: find the others at once.
    slot = np.full(len(ledger.ids), -1, dtype=np.int64)
    slot[book.pos] = np.arange(len(book.pos))
    positions = np.array([p for p, _ in changes], dtype=np.int64)
    values = np.array([v for _, v in changes], dtype=float)
    at = slot[positions]
    held_fs = np.where(at >= 0, book.fs[np.maximum(at, 0)], np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        large = (at >= 0) & (held_fs > 0) & ~(np.abs(values / held_fs - 1) < threshold)
    for k in np.flatnonzero(large):
        position, float_shares = int(positions[k]), float(values[k])
        i = book.index_of(position)
        if i < 0 or not book.fs[i] > 0:
            continue
        ratio = float_shares / book.fs[i]
        if abs(ratio - 1) < threshold:
            continue
        if not ledger.panel.get("observed", session, np.array([position]))[0] == 1:
            raise DataError(
                [
                    Problem(
                        f"index '{ledger.index_id}': a share change of member {ledger.ids[position]} on "
                        f"{ledger.sessions[session]:%Y-%m-%d}, a session without a price for it",
                        "shares",
                        "date the share row on a session the security traded",
                    )
                ]
            )
        value = float(book.q[i]) * ledger.close_of(position, session)
        book.q[i] *= ratio
        book.fs[i] = float_shares
        ledger.shares_set_at[position] = session
        ledger.adjust(
            session,
            str(ledger.ids[position]),
            "share change",
            ledger.mv_last,
            ledger.mv_last + value * (ratio - 1),
        )
        ledger.mv_last += value * (ratio - 1)
        moved = True
    if moved:
        one_way, parts, cost = ledger.trade(
            session, *before, book.pos, book.q, book.fs, between_reviews=False
        )
        ledger.record_turnover(session, "share change", one_way, parts, cost)
        ledger.record_holdings(session)
