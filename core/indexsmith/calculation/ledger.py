"""The ledger of one index: its holdings (index shares per security) and divisor, and the
events that change them (methodologies.md §4 and §6).

Holdings are the state. The ledger's methods are the events, applied in session order by
:func:`indexsmith.calculation.levels.calculate`:

* :meth:`Ledger.rebalance` — a review's effective date, after the close. An index that
  holds **shares** (cap weighting without a capping) holds each member's float-adjusted
  shares times its fraction, as the review set them: weights move with prices and the
  review trades only additions, deletions, share and float updates and fraction changes.
  An index that holds **weights** sets ``q_i = w_i · MV / P_i,ref`` at the reference price
  (rank-date close, a close some sessions before the effective date, or the effective-date
  close; split-adjusted), then holds it. A price-weighted index holds one unit of each.
* :meth:`Ledger.between_reviews` — members that left (or migrated) at a close and what
  replaced them: a replacement of a share-holding index enters with its float-adjusted
  shares; one of a weight-holding index takes the value of the member it replaces.
* :meth:`Ledger.drop_spin_off`, :meth:`Ledger.share_change` — a spun-off company dropped
  after its first session; a large share or float change applied at once.
* :meth:`Ledger.before_open` — ex-date adjustments made with the previous close (special
  dividends, spin-offs, splits, in that order on one session).
* :meth:`Ledger.after_close` — members whose last close was this session leave, sold at
  the deal price (cash and stock acquisitions, delistings, bankruptcies).
* :meth:`Ledger.run_segment` — sessions with fixed holdings: levels and dividend
  reinvestment from one matrix product.

The divisor changes only in :meth:`Ledger.adjust`, to keep the level continuous.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
import pandas as pd

from indexsmith.calculation.events import Events
from indexsmith.calculation.holdings import Book, Prices
from indexsmith.calculation.options import CalculationOptions
from indexsmith.calculation.turnover import CAUSES, decompose
from indexsmith.data.market import Market
from indexsmith.errors import DataError, Problem
from indexsmith.frames import LEVEL_COLUMNS
from indexsmith.units import SESSIONS_PER_YEAR


@attrs.frozen
class Target:
    """What a review sets: members, target weights, target index shares (shares holding),
    float-adjusted shares, and the sessions of its rank date and kind."""

    pos: np.ndarray
    weight: np.ndarray
    shares: np.ndarray
    float_shares: np.ndarray
    rank_session: int
    kind: str


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


def spread(values: np.ndarray, pos: np.ndarray, union: np.ndarray) -> np.ndarray:
    """``values`` (aligned with ``pos``) laid out on the sorted ``union`` of positions."""
    out = np.zeros(len(union))
    out[np.searchsorted(union, pos)] = values
    return out


class Ledger:
    """Holdings, divisor and levels of one index, with the rows every event records."""

    def __init__(
        self, market: Market, options: CalculationOptions, events: Events, index_id: str = ""
    ) -> None:
        self.options = options
        self.events = events
        self.index_id = index_id
        self.sessions = market.sessions
        self.ids = market.security_ids
        self.panel = market.daily
        self.prices = Prices(market, options.missing_prices)
        self.book = Book()
        self.holds_shares = options.holding == "shares" and not options.unit_holdings
        self.divisor = 1.0
        self.pr = self.tr = self.ntr = self.net = float("nan")
        #: Market value at the last close under the current holdings.
        self.mv_last = float("nan")
        #: Proceeds of members sold at the last after_close, for replacements taking their value.
        self.proceeds: dict[int, float] = {}
        self.out_dates: list[np.ndarray] = []
        self.out_cols: dict[str, list[np.ndarray]] = {k: [] for k in LEVEL_COLUMNS[1:]}
        self.holdings_rows: list[tuple[np.ndarray, ...]] = []
        self.turnover_rows: list[tuple[Any, ...]] = []
        self.trade_rows: list[tuple[np.ndarray, ...]] = []
        self.event_rows: list[tuple[Any, ...]] = []
        #: (session, position, "entry" | "exit", reason) for the membership table.
        self.log: list[tuple[int, int, str, str]] = []

    def close_of(self, position: int, session: int) -> float:
        return float(self.prices.block(np.array([session]), np.array([position]))[0, 0])

    # -- the divisor -----------------------------------------------------------------------

    def adjust(self, session: int, sid: str, what: str, before: float, after: float) -> None:
        """Change the divisor so the level is the same at market value ``after`` as at
        ``before``; recorded in the adjustments table."""
        divisor = self.divisor
        if not after > 0 or not before > 0:
            raise DataError(
                [
                    Problem(
                        f"{what} of {sid} on {self.sessions[session]:%Y-%m-%d} leaves market value {after:,.4f}: the divisor would be {divisor * after / before if before else float('nan'):.6g}",
                        "corporate_actions",
                        "check the action's ratio, cash and dates",
                    )
                ]
            )
        new = divisor * after / before
        self.event_rows.append((self.sessions[session], sid, what, divisor, new))
        self.divisor = new

    # -- reviews -----------------------------------------------------------------------------

    def rebalance(self, session: int, target: Target) -> None:
        """Set the holdings of a review at the close of its effective date."""
        options, book, sessions = self.options, self.book, self.sessions
        pos, w, shares, fs = target.pos, target.weight, target.shares, target.float_shares
        # A member delisted between the rank date and this close is not bought.
        alive = self.events.delisted[pos] > session
        if not alive.all():
            for position in pos[~alive]:
                self.event_rows.append(
                    (
                        sessions[session],
                        self.ids[position],
                        "not added: delisted before the effective date",
                        self.divisor,
                        self.divisor,
                    )
                )
            pos, w, shares, fs = pos[alive], w[alive] / w[alive].sum(), shares[alive], fs[alive]
        p_new = self.prices.block(np.array([session]), pos)[0]
        old_pos, old_q, old_fs = book.pos.copy(), book.q.copy(), book.fs.copy()
        first = bool(np.isnan(self.pr))
        if options.unit_holdings:
            q, fs = np.ones(len(pos)), np.ones(len(pos))
        elif self.holds_shares:
            q = shares.astype(float).copy()
            if not first and options.share_updates == "reconstitutions" and target.kind != "reconstitution":
                held = np.isin(pos, old_pos)
                at = np.searchsorted(old_pos, pos[held], sorter=np.argsort(old_pos))
                order = np.argsort(old_pos)
                q[held] = old_q[order][at]
                fs = fs.astype(float).copy()
                fs[held] = old_fs[order][at]
        else:
            scale = options.base_value if first else self.mv_last
            q = w * scale / self._reference_prices(session, target, pos, p_new)
        mv_new = float(p_new @ q)
        if first:
            self.divisor = options.initial_divisor or mv_new / options.base_value
            book.set(pos, q, fs)
            self.mv_last = mv_new
            level = mv_new / options.initial_divisor if options.initial_divisor else options.base_value
            self.pr = self.tr = self.ntr = self.net = level
            self.log.extend((session, int(p), "entry", "review") for p in pos)
            one_way, parts, cost = float("nan"), dict.fromkeys(CAUSES, float("nan")), 0.0
        else:
            mv_old = self.mv_last
            if abs(mv_new / mv_old - 1) > 1e-15:
                self.adjust(
                    session, "", "membership" if options.unit_holdings else "rebalance", mv_old, mv_new
                )
            one_way, parts, cost = self._trade(
                session, old_pos, old_q, old_fs, pos, q, fs, between_reviews=False
            )
            self._log_changes(session, old_pos, pos, "review")
            book.set(pos, q, fs)
            self.mv_last = mv_new
        self._turnover_row(session, target.kind, one_way, parts, cost)
        self.holdings_rows.append((np.full(len(book.pos), session), book.pos.copy(), book.q.copy()))

    def _reference_prices(
        self, session: int, target: Target, pos: np.ndarray, p_new: np.ndarray
    ) -> np.ndarray:
        """Closes index shares are set at (holding 'weights'), split-adjusted to ``session``."""
        options = self.options
        if options.reference_price == "effective-date":
            return p_new
        ref = (
            target.rank_session
            if options.reference_price == "rank-date"
            else session - options.reference_sessions
        )
        if ref < 0:
            raise DataError(
                [
                    Problem(
                        f"index '{self.index_id}': the reference price of the review effective "
                        f"{self.sessions[session]:%Y-%m-%d} is {options.reference_sessions} sessions earlier, before the "
                        f"market data starts ({self.sessions[0]:%Y-%m-%d})",
                        "calculation.reference_sessions",
                        "use fewer reference sessions, or start the index later",
                    )
                ]
            )
        prices = self.panel.get("close", ref, pos).astype(float)
        factor = self.events.split_factor(ref, session, pos)
        adjusted = prices / factor
        usable = np.isfinite(adjusted) & (adjusted > 0)
        return np.where(usable, adjusted, p_new)

    def _trade(
        self,
        session: int,
        old_pos: np.ndarray,
        old_q: np.ndarray,
        old_fs: np.ndarray,
        pos: np.ndarray,
        q: np.ndarray,
        fs: np.ndarray,
        *,
        between_reviews: bool,
    ) -> tuple[float, dict[str, float], float]:
        """Turnover (with its causes), trades and costs of moving from the old holdings to
        ``q``; returns (one-way turnover, causes, cost as a fraction of the index)."""
        options = self.options
        union = np.union1d(old_pos, pos)
        p_union = self.prices.block(np.array([session]), union)[0]
        old_shares, new_shares = spread(old_q, old_pos, union), spread(q, pos, union)
        one_way, parts, traded = decompose(
            old_shares,
            new_shares,
            spread(old_fs, old_pos, union),
            spread(fs, pos, union),
            p_union,
            between_reviews=between_reviews,
            holds_shares=self.holds_shares,
        )
        cost = 0.0
        if options.cost_bps or options.impact_bps:
            window = np.arange(max(0, session - options.adv_sessions + 1), session + 1)
            dollar_adv = np.nanmean(
                self.panel.get("close", window, union) * self.panel.get("volume", window, union), axis=0
            )
            participation = np.abs(traded) * options.aum / np.where(dollar_adv > 0, dollar_adv, np.nan)
            per_name = (
                np.abs(traded)
                * (options.cost_bps + options.impact_bps * np.nan_to_num(participation, nan=1.0))
                / 1e4
            )
            cost = float(per_name.sum())
            self.net *= 1.0 - cost  # paid at this close
            self.out_cols["net_of_costs"][-1] = self.out_cols["net_of_costs"][-1].copy()
            self.out_cols["net_of_costs"][-1][-1] = self.net
        changed = np.abs(new_shares - old_shares) > 0
        self.trade_rows.append(
            (
                np.full(int(changed.sum()), session),
                union[changed],
                old_shares[changed],
                new_shares[changed],
                traded[changed],
            )
        )
        return one_way, parts, cost

    def _turnover_row(
        self, session: int, kind: str, one_way: float, parts: dict[str, float], cost: float
    ) -> None:
        two_way = 2 * one_way if one_way == one_way else one_way
        self.turnover_rows.append(
            (self.sessions[session], kind, one_way, two_way, cost, *(parts[c] for c in CAUSES))
        )

    def _log_changes(self, session: int, old_pos: np.ndarray, new_pos: np.ndarray, reason: str) -> None:
        self.log.extend((session, int(p), "exit", reason) for p in old_pos[~np.isin(old_pos, new_pos)])
        self.log.extend((session, int(p), "entry", reason) for p in new_pos[~np.isin(new_pos, old_pos)])

    # -- between reviews -----------------------------------------------------------------------

    def between_reviews(
        self, session: int, change: Change, before: tuple[np.ndarray, np.ndarray, np.ndarray]
    ) -> None:
        """Members leaving at this close (those not already sold as delistings: migrations)
        and their replacements; ``before`` is the book before this session's delistings, so
        the turnover counts the sale and the reinvestment."""
        book, options = self.book, self.options
        proceeds = self.proceeds.pop(session, 0.0)
        current = self.mv_last
        for position in change.remove:
            i = book.index_of(int(position))
            if i < 0:
                continue
            value = float(book.q[i]) * self.close_of(int(position), session)
            self.log.append((session, int(position), "exit", change.kind))
            book.drop(i)
            proceeds += value
            self.adjust(session, str(self.ids[position]), "migration", current, current - value)
            current -= value
        add = np.array(
            [p for p in change.add if book.index_of(int(p)) < 0 and self.events.delisted[p] > session],
            dtype=np.int64,
        )
        keep = np.isin(change.add, add)
        if len(add):
            prices = self.prices.block(np.array([session]), add)[0]
            if options.unit_holdings:
                q, fs = np.ones(len(add)), np.ones(len(add))
            elif self.holds_shares:
                q, fs = change.add_shares[keep].astype(float), change.add_float_shares[keep].astype(float)
            else:
                value = proceeds if proceeds > 0 else current * float(change.add_weight[keep].sum())
                q = value / len(add) / prices
                fs = change.add_float_shares[keep].astype(float)
            for position, shares, float_shares in zip(add, q, fs, strict=True):
                book.add(int(position), float(shares), float(float_shares))
                self.log.append((session, int(position), "entry", change.kind))
            after = current + float(prices @ q)
            self.adjust(session, "", "replacement", current, after)
            current = after
        self.mv_last = current
        old_pos, old_q, old_fs = before
        one_way, parts, cost = self._trade(
            session, old_pos, old_q, old_fs, book.pos, book.q, book.fs, between_reviews=True
        )
        self._turnover_row(session, change.kind, one_way, parts, cost)
        self.holdings_rows.append((np.full(len(book.pos), session), book.pos.copy(), book.q.copy()))

    def drop_spin_off(self, session: int, position: int, reason: str) -> None:
        """A spun-off company leaves at the close of its first session (value reinvested)."""
        i = self.book.index_of(position)
        if i < 0:
            return
        before = (self.book.pos.copy(), self.book.q.copy(), self.book.fs.copy())
        value = float(self.book.q[i]) * self.close_of(position, session)
        self.book.drop(i)
        self.log.append((session, position, "exit", reason))
        self.adjust(session, str(self.ids[position]), "spin-off dropped", self.mv_last, self.mv_last - value)
        self.mv_last -= value
        one_way, parts, cost = self._trade(
            session, *before, self.book.pos, self.book.q, self.book.fs, between_reviews=True
        )
        self._turnover_row(session, "spin-off", one_way, parts, cost)

    def share_change(self, session: int, changes: list[tuple[int, float]]) -> None:
        """Float-adjusted share changes at or above the threshold, applied at this close."""
        book, threshold = self.book, self.options.share_change_threshold
        before = (book.pos.copy(), book.q.copy(), book.fs.copy())
        moved = False
        for position, float_shares in changes:
            i = book.index_of(position)
            if i < 0 or not book.fs[i] > 0 or threshold is None:
                continue
            ratio = float_shares / book.fs[i]
            if abs(ratio - 1) < threshold:
                continue
            if not self.panel.get("observed", session, np.array([position]))[0] == 1:
                raise DataError(
                    [
                        Problem(
                            f"index '{self.index_id}': a share change of member {self.ids[position]} on "
                            f"{self.sessions[session]:%Y-%m-%d}, a session without a price for it",
                            "shares",
                            "date the share row on a session the security traded",
                        )
                    ]
                )
            value = float(book.q[i]) * self.close_of(position, session)
            book.q[i] *= ratio
            book.fs[i] = float_shares
            self.adjust(
                session,
                str(self.ids[position]),
                "share change",
                self.mv_last,
                self.mv_last + value * (ratio - 1),
            )
            self.mv_last += value * (ratio - 1)
            moved = True
        if moved:
            one_way, parts, cost = self._trade(
                session, *before, book.pos, book.q, book.fs, between_reviews=False
            )
            self._turnover_row(session, "share change", one_way, parts, cost)
            self.holdings_rows.append((np.full(len(book.pos), session), book.pos.copy(), book.q.copy()))

    # -- sessions between events -----------------------------------------------------------

    def seed(self, session: int) -> None:
        """The first effective date's close: the base level."""
        self.out_dates.append(np.array([session]))
        for key, value in (
            ("price_return", self.pr),
            ("total_return", self.tr),
            ("net_total_return", self.ntr),
            ("divisor", self.divisor),
            ("market_value", self.mv_last),
            ("net_of_costs", self.net),
        ):
            self.out_cols[key].append(np.array([value]))

    def run_segment(self, a: int, b: int) -> None:
        """Sessions a..b with fixed holdings: levels and dividend reinvestment."""
        if b < a:
            return
        options, book, events = self.options, self.book, self.events
        days = np.arange(a, b + 1)
        block = self.prices.block(days, book.pos)
        mv = block @ book.q if len(book.pos) else np.zeros(len(days))
        level = mv / self.divisor
        # Regular dividends of held securities, in index points per day.
        lo, hi = np.searchsorted(events.div_session, a), np.searchsorted(events.div_session, b, side="right")
        slot = pd.Series(np.arange(len(book.pos)), index=book.pos)
        points = np.zeros(len(days))
        if hi > lo:
            where = slot.reindex(events.div_pos[lo:hi]).to_numpy()
            held = ~np.isnan(where)
            np.add.at(
                points,
                events.div_session[lo:hi][held] - a,
                events.div_amount[lo:hi][held] * book.q[where[held].astype(int)] / self.divisor,
            )
        prev = np.concatenate([[self.pr], level[:-1]])
        growth = (level + points) / prev
        net_growth = (level + points * (1 - options.withholding)) / prev
        tr_series = self.tr * np.cumprod(growth)
        ntr_series = self.ntr * np.cumprod(net_growth)
        fee = (1 - options.fee / SESSIONS_PER_YEAR) ** np.arange(1, len(days) + 1)
        net_series = self.net * np.cumprod(growth) * fee
        self.out_dates.append(days)
        self.out_cols["price_return"].append(level)
        self.out_cols["total_return"].append(tr_series)
        self.out_cols["net_total_return"].append(ntr_series)
        self.out_cols["divisor"].append(np.full(len(days), self.divisor))
        self.out_cols["market_value"].append(mv)
        self.out_cols["net_of_costs"].append(net_series)
        self.pr, self.tr, self.ntr, self.net = (
            float(level[-1]),
            float(tr_series[-1]),
            float(ntr_series[-1]),
            float(net_series[-1]),
        )
        self.mv_last = float(mv[-1])
