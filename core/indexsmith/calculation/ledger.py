"""The ledger of one index: its holdings (index shares per security) and divisor, and the
events that change them (methodologies.md §4 and §6).

The ledger is the state of an index calculation. Its methods are the events, applied in
session order by :func:`indexsmith.calculation.levels.calculate`:

* :meth:`Ledger.rebalance` — a review's effective date, after the close: index shares set
  from the target weights at that close (``q_i = w_i · MV / P_i``), so the market value
  and the level do not move; a price-weighted index (``unit_holdings``) holds one share
  of each member and its divisor absorbs the change (§4.2). Turnover, trades and costs are
  recorded here.
* :meth:`Ledger.before_open` — ex-date adjustments made with the previous close (splits,
  special dividends, spin-offs).
* :meth:`Ledger.after_close` — members whose last close was this session leave, sold at
  the deal price (cash and stock acquisitions, delistings, bankruptcies).
* :meth:`Ledger.run_segment` — sessions with fixed holdings: levels and dividend
  reinvestment from one matrix product.

The divisor changes only in :meth:`Ledger.adjust`, to keep the level continuous.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from indexsmith.calculation.events import Events
from indexsmith.calculation.holdings import Book, Prices
from indexsmith.calculation.options import CalculationOptions
from indexsmith.data.market import Market
from indexsmith.errors import DataError, Problem
from indexsmith.frames import LEVEL_COLUMNS
from indexsmith.units import SESSIONS_PER_YEAR


def spread(values: np.ndarray, pos: np.ndarray, union: np.ndarray) -> np.ndarray:
    """``values`` (aligned with ``pos``) laid out on the sorted ``union`` of positions."""
    out = np.zeros(len(union))
    out[np.searchsorted(union, pos)] = values
    return out


class Ledger:
    """Holdings, divisor and levels of one index, with the rows every event records."""

    def __init__(self, market: Market, options: CalculationOptions, events: Events, kinds: Any) -> None:
        self.options = options
        self.events = events
        self.kinds = kinds
        self.sessions = market.sessions
        self.ids = market.security_ids
        self.panel = market.daily
        self.prices = Prices(market, options.missing_prices)
        self.book = Book()
        self.divisor = 1.0
        self.pr = self.tr = self.ntr = self.net = float("nan")
        #: Market value at the last close under the current holdings.
        self.mv_last = float("nan")
        self.out_dates: list[np.ndarray] = []
        self.out_cols: dict[str, list[np.ndarray]] = {k: [] for k in LEVEL_COLUMNS[1:]}
        self.holdings_rows: list[tuple[np.ndarray, ...]] = []
        self.turnover_rows: list[tuple[Any, ...]] = []
        self.trade_rows: list[tuple[np.ndarray, ...]] = []
        self.event_rows: list[tuple[Any, ...]] = []

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

    def rebalance(self, session: int, target: tuple[np.ndarray, np.ndarray]) -> None:
        """Set the holdings of a review at the close of its effective date."""
        options, prices, book = self.options, self.prices, self.book
        sessions, ids = self.sessions, self.ids
        pos, w = target
        # A member delisted between the rank date and this close is not bought.
        alive = self.events.delisted[pos] > session
        if not alive.all():
            for position in pos[~alive]:
                self.event_rows.append(
                    (
                        sessions[session],
                        ids[position],
                        "not added: delisted before the effective date",
                        self.divisor,
                        self.divisor,
                    )
                )
            pos, w = pos[alive], w[alive] / w[alive].sum()
        p_new = prices.block(np.array([session]), pos)[0]
        old_pos, old_q = book.pos.copy(), book.q.copy()
        mv_old = self.mv_last
        if np.isnan(self.pr):  # the first effective date
            if options.unit_holdings:
                q = np.ones(len(pos))
                self.divisor = options.initial_divisor or float(p_new @ q) / options.base_value
            else:
                self.divisor = options.initial_divisor or 1.0
                q = w * options.base_value * self.divisor / p_new
            book.set(pos, q)
            self.mv_last = float(p_new @ book.q)
            self.pr = self.tr = self.ntr = self.net = self.mv_last / self.divisor
            cost = 0.0
            one_way = float("nan")
        else:
            if options.unit_holdings:
                q = np.ones(len(pos))
                self.mv_last = float(p_new @ q)
                self.adjust(session, "", "membership", mv_old, self.mv_last)
            else:
                q = w * mv_old / p_new
            one_way, cost = self._trade(session, old_pos, old_q, pos, q, p_new, mv_old)
            book.set(pos, q)
        kind = (
            self.kinds.get(sessions[session], "reconstitution")
            if self.kinds is not None
            else "reconstitution"
        )
        self.turnover_rows.append(
            (sessions[session], kind, one_way, 2 * one_way if one_way == one_way else one_way, cost)
        )
        self.holdings_rows.append((np.full(len(book.pos), session), book.pos.copy(), book.q.copy()))

    def _trade(
        self,
        session: int,
        old_pos: np.ndarray,
        old_q: np.ndarray,
        pos: np.ndarray,
        q: np.ndarray,
        p_new: np.ndarray,
        mv_old: float,
    ) -> tuple[float, float]:
        """Turnover, trades and costs of moving from the old holdings to ``q``; returns
        (one-way turnover, cost as a fraction of the index)."""
        options = self.options
        # Drifted weights of the old holdings at this close, on the union of names.
        union = np.union1d(old_pos, pos)
        p_union = self.prices.block(np.array([session]), union)[0]
        old_shares = spread(old_q, old_pos, union)
        new_shares = units = spread(q, pos, union)
        if options.unit_holdings:  # compare weights, not unit counts
            new_shares = new_shares * mv_old / float(p_new @ q)
        drifted = old_shares * p_union / mv_old
        weights_new = new_shares * p_union / mv_old
        traded = (new_shares - old_shares) * p_union / mv_old
        one_way = 0.5 * float(np.abs(weights_new - drifted).sum())
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
                units[changed],
                traded[changed],
            )
        )
        return one_way, cost

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

    # -- corporate actions -------------------------------------------------------------------

    def before_open(self, session: int, rows: list[Any]) -> None:
        """Ex-date adjustments, made with the previous close."""
        options, book, sessions = self.options, self.book, self.sessions
        prev = session - 1
        for row in rows:
            i = book.index_of(row.pos)
            if i < 0:
                continue
            sid = row.security_id
            if not self.panel.get("observed", session, np.array([row.pos]))[0] == 1:
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
                    after = self.mv_last - book.q[i] * self.close_of(row.pos, prev) * (1 - 1 / row.ratio)
                    self.adjust(session, sid, "split", self.mv_last, after)
                    self.mv_last = after
                else:
                    book.q[i] *= row.ratio
                    self.event_rows.append((sessions[session], sid, "split", self.divisor, self.divisor))
            elif row.action == "special-dividend":
                after = self.mv_last - book.q[i] * row.cash
                self.adjust(session, sid, "special dividend", self.mv_last, after)
                self.mv_last = after
            elif row.action == "spin-off":
                child = self.events.other_security(
                    row,
                    session,
                    "spin-off",
                    "new security",
                    "add the spun-off security to securities and prices",
                )
                if options.unit_holdings:
                    after = self.mv_last - book.q[i] * row.ratio * self.close_of(child, session)
                    self.adjust(session, sid, "spin-off", self.mv_last, after)
                    self.mv_last = after
                else:
                    book.add(child, book.q[i] * row.ratio)  # at price 0 on the previous close
                    self.event_rows.append((sessions[session], sid, "spin-off", self.divisor, self.divisor))

    def after_close(self, session: int) -> None:
        """Members whose last close was this session leave the index: sold at the deal
        price (the close reflects the sale), then the divisor takes what remains."""
        options, book, events = self.options, self.book, self.events
        gone = np.flatnonzero(events.delisted[book.pos] == session)
        if not len(gone):
            return
        plan = []  # (position, shares, close, price, what, acquirer, ratio)
        for i in gone:
            position = int(book.pos[i])
            close = self.close_of(position, session)
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
                    price = ratio * self.close_of(acquirer, session)
                    if book.index_of(acquirer) < 0 or options.unit_holdings:
                        acquirer = -1  # not held: removed at the consideration's value
                    else:
                        price = close  # held: shares move to the acquirer, no sale
                elif act.action == "delisting" and act.reason == "bankruptcy" and options.bankruptcy_at_zero:
                    price, what = 0.0, "bankruptcy"
            plan.append((position, float(book.q[i]), close, price, what, acquirer, ratio))
        realised = self.mv_last + sum(shares * (price - close) for _, shares, close, price, *_ in plan)
        if realised != self.mv_last:
            self._restate_last(realised)
        current = realised
        for position, shares, close, price, what, acquirer, ratio in plan:
            book.drop(book.index_of(position))
            if acquirer >= 0:
                book.add(acquirer, shares * ratio)
                after = current - shares * close + shares * ratio * self.close_of(acquirer, session)
            else:
                after = current - shares * price
            self.adjust(session, self.ids[position], what, current, after)
            current = after
        self.mv_last = current

    def _restate_last(self, mv: float) -> None:
        """The last close was a sale at ``mv``: restate that session's levels."""
        ratio = mv / self.out_cols["market_value"][-1][-1]
        for key in ("price_return", "total_return", "net_total_return", "net_of_costs", "market_value"):
            self.out_cols[key][-1] = self.out_cols[key][-1].copy()
            self.out_cols[key][-1][-1] *= ratio
        self.pr, self.tr, self.ntr, self.net = (
            self.pr * ratio,
            self.tr * ratio,
            self.ntr * ratio,
            self.net * ratio,
        )
