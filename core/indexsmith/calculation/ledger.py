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
* Changes between reviews (:mod:`indexsmith.calculation.between`) — replacements and
  migrations, spun-off companies dropped, large share changes.
* :meth:`Ledger.before_open` — ex-date adjustments made with the previous close (special
  dividends, spin-offs, splits, in that order on one session).
* :meth:`Ledger.after_close` — members whose last close was this session leave, sold at
  the deal price (cash and stock acquisitions, delistings, bankruptcies).
* :meth:`Ledger.run_segment` — sessions with fixed holdings: levels and dividend
  reinvestment from one matrix product.

The divisor changes only in :meth:`Ledger.adjust`, to keep the level continuous.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np

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


def member_mask(n: int, *groups: np.ndarray) -> np.ndarray:
    """A boolean array over the market's ``n`` positions, True at every position of
    ``groups``: membership tests and unions of positions without sorting or hashing."""
    mask = np.zeros(n, dtype=bool)
    for group in groups:
        mask[group] = True
    return mask


def spread(
    values: np.ndarray, pos: np.ndarray, union: np.ndarray, slot: np.ndarray | None = None
) -> np.ndarray:
    """``values`` (aligned with ``pos``) laid out on the sorted ``union`` of positions;
    ``slot`` (market position -> place in ``union``) saves the search."""
    out = np.zeros(len(union))
    out[np.searchsorted(union, pos) if slot is None else slot[pos]] = values
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
        #: Position -> the session its float-adjusted shares were last changed between
        #: reviews: a review ranked before that keeps them (its rank-date count is older).
        self.shares_set_at = np.full(len(self.ids), -1, dtype=np.int64)
        #: Sessions at whose close something is bought (a review or a replacement): if every
        #: member leaves at such a close the divisor waits for what is bought.
        self.reinvest_sessions: set[int] = set()
        #: The market value before every member left at this close (see adjust).
        self.emptied_from = float("nan")
        self.out_dates: list[np.ndarray] = []
        self.out_cols: dict[str, list[np.ndarray]] = {k: [] for k in LEVEL_COLUMNS[1:]}
        #: The book after each change: (session, positions, index shares).
        self.holdings_rows: list[tuple[int, np.ndarray, np.ndarray]] = []
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
        if self.emptied_from > 0 and after > 0:
            # Every member left at this close; what is bought now takes the level over.
            before, self.emptied_from = self.emptied_from, float("nan")
        elif not after > 0 and before > 0 and session in self.reinvest_sessions and not len(self.book.pos):
            # The last member left; a review or replacement at this close buys the new ones.
            self.event_rows.append((self.sessions[session], sid, what, divisor, divisor))
            self.emptied_from = before
            return
        if not after > 0 and before > 0 and not len(self.book.pos):
            raise DataError(
                [
                    Problem(
                        f"index '{self.index_id}': every member left at the close of {self.sessions[session]:%Y-%m-%d} "
                        f"({what} of {sid} last) and nothing is bought at that close",
                        "constituents",
                        "give the family a replacement policy, or end the index by that date",
                    )
                ]
            )
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

    def rebalance(
        self,
        session: int,
        target: Target,
        before: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    ) -> None:
        """Set the holdings of a review at the close of its effective date; ``before`` is
        the book before this close's delistings (their sale counts in the review's turnover)."""
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
        if not len(pos):
            raise DataError(
                [
                    Problem(
                        f"index '{self.index_id}': every member of the review effective {sessions[session]:%Y-%m-%d} "
                        "left the market before it took effect",
                        "constituents",
                        "give the family a replacement policy, or end the index before that date",
                    )
                ]
            )
        # Shares counted on the rank date, in shares of the effective date (splits between).
        split = self.events.split_factor(target.rank_session, session, pos)
        shares, fs = shares * split, fs * split
        p_new = self.prices.block(np.array([session]), pos)[0]
        old_pos, old_q, old_fs = before if before is not None else (book.pos, book.q, book.fs)
        old_pos, old_q, old_fs = old_pos.copy(), old_q.copy(), old_fs.copy()
        first = bool(np.isnan(self.pr))
        if options.unit_holdings:
            q, fs = np.ones(len(pos)), np.ones(len(pos))
        elif self.holds_shares:
            q, fs = shares.astype(float).copy(), fs.astype(float).copy()
            if not first:
                q, fs = self._keep_book_shares(session, target, pos, q, fs)
        else:
            scale = options.base_value if first else self.mv_last
            if not scale > 0:
                scale = self.emptied_from
            q = w * scale / self._reference_prices(session, target, pos, p_new)
            fs = fs.astype(float).copy()
            if not first:
                _, fs = self._keep_book_shares(session, target, pos, q, fs)
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
            if abs(mv_new / mv_old - 1) > 1e-15 if mv_old > 0 else True:
                self.adjust(
                    session, "", "membership" if options.unit_holdings else "rebalance", mv_old, mv_new
                )
            one_way, parts, cost = self.trade(
                session, old_pos, old_q, old_fs, pos, q, fs, between_reviews=False
            )
            self._log_changes(session, book.pos, pos, "review")
            book.set(pos, q, fs)
            self.mv_last = mv_new
        self.record_turnover(session, target.kind, one_way, parts, cost)
        self.record_holdings(session)

    def _keep_book_shares(
        self, session: int, target: Target, pos: np.ndarray, q: np.ndarray, fs: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Members whose share counts the review does not bring up to date keep the book's:
        at a review other than a reconstitution when shares update at reconstitutions only,
        and where a share change between reviews came after the rank date (the review's
        count is older). Index shares keep the review's fraction of the book's count."""
        book = self.book
        slot = np.full(len(self.ids), -1, dtype=np.int64)
        slot[book.pos] = np.arange(len(book.pos))
        held = slot[pos] >= 0
        at = slot[pos[held]]
        book_q, book_fs = book.q[at], book.fs[at]
        if self.options.share_updates == "reconstitutions" and target.kind != "reconstitution":
            keep = np.ones(int(held.sum()), dtype=bool)
        else:
            keep = self.shares_set_at[pos[held]] > target.rank_session
        if not keep.any():
            return q, fs
        q, fs = q.copy(), fs.copy()
        idx = np.flatnonzero(held)[keep]
        if self.options.share_updates == "reconstitutions" and target.kind != "reconstitution":
            q[idx] = book_q[keep]
        elif self.holds_shares:
            fraction = np.divide(q[idx], fs[idx], out=np.ones(len(idx)), where=fs[idx] > 0)
            q[idx] = fraction * book_fs[keep]
        fs[idx] = book_fs[keep]
        return q, fs

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

    def trade(
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
        union = np.flatnonzero(member_mask(len(self.ids), old_pos, pos))
        slot = np.zeros(len(self.ids), dtype=np.int64)
        slot[union] = np.arange(len(union))
        p_union = self.prices.block(np.array([session]), union)[0]
        old_shares, new_shares = spread(old_q, old_pos, union, slot), spread(q, pos, union, slot)
        one_way, parts, traded = decompose(
            old_shares,
            new_shares,
            spread(old_fs, old_pos, union, slot),
            spread(fs, pos, union, slot),
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

    def record_turnover(
        self, session: int, kind: str, one_way: float, parts: dict[str, float], cost: float
    ) -> None:
        two_way = 2 * one_way if one_way == one_way else one_way
        self.turnover_rows.append(
            (self.sessions[session], kind, one_way, two_way, cost, *(parts[c] for c in CAUSES))
        )

    def record_holdings(self, session: int) -> None:
        """The book at this close, for the holdings table."""
        self.holdings_rows.append((int(session), self.book.pos.astype(np.int32), self.book.q.copy()))

    def _log_changes(self, session: int, old_pos: np.ndarray, new_pos: np.ndarray, reason: str) -> None:
        n = len(self.ids)
        self.log.extend((session, int(p), "exit", reason) for p in old_pos[~member_mask(n, new_pos)[old_pos]])
        self.log.extend(
            (session, int(p), "entry", reason) for p in new_pos[~member_mask(n, old_pos)[new_pos]]
        )

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

    def run_segment(self, a: int, b: int, ends: Sequence[int] = ()) -> None:
        """Sessions a..b with fixed holdings: levels and dividend reinvestment. ``ends``
        are sessions inside where the segment is cut into pieces compounded one after the
        other (breaks where nothing changed): the same figures, bit for bit, as segments
        stopping there, from one read of the closes."""
        if b < a:
            return
        book, events = self.book, self.events
        days = np.arange(a, b + 1)
        block = self.prices.block(days, book.pos)
        # Regular dividends of held securities, in index points per day.
        lo, hi = np.searchsorted(events.div_session, a), np.searchsorted(events.div_session, b, side="right")
        points = np.zeros(len(days))
        if hi > lo:
            slot = np.full(len(self.ids), -1, dtype=np.int64)
            slot[book.pos] = np.arange(len(book.pos))
            div_pos = events.div_pos[lo:hi]
            where = np.where(div_pos >= 0, slot[div_pos], -1)
            held = where >= 0
            np.add.at(
                points,
                events.div_session[lo:hi][held] - a,
                events.div_amount[lo:hi][held] * book.q[where[held]] / self.divisor,
            )
        cuts = [a, *(e + 1 for e in ends), b + 1]
        for first, stop in itertools.pairwise(cuts):
            rows = slice(first - a, stop - a)
            self._piece(days[rows], block[rows], points[rows])

    def _piece(self, days: np.ndarray, block: np.ndarray, points: np.ndarray) -> None:
        """Levels of consecutive sessions ``days`` from their closes and dividend points."""
        options, book = self.options, self.book
        mv = block @ book.q if len(book.pos) else np.zeros(len(days))
        level = mv / self.divisor
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
