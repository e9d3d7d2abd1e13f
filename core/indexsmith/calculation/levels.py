"""Index calculation: divisor-continuous levels, returns, corporate actions, turnover and
costs (methodologies.md §4 and §6).

A methodology decides memberships and targets at each review and between reviews;
:func:`calculate` turns them into the daily numbers an index provider publishes. The
ledger (:mod:`indexsmith.calculation.ledger`) holds the index shares and the divisor;
the events that change them are, at each session in this order: ex-date adjustments
before the open (:mod:`indexsmith.calculation.actions`), then after the close members
leaving the market, changes between reviews (replacements, migrations), spun-off
companies dropped, large share changes, and a review taking effect.

* **Levels.** ``level = Σ q_i P_i / D``; the divisor changes only to keep the level
  unchanged across rebalances, membership changes and corporate actions.
* **Returns.** Price return from the levels; total return reinvests regular cash
  dividends across the index on the ex-date (special dividends are already reinvested by
  the price-return divisor); net total return reinvests them less ``withholding``.
* **Turnover and costs.** At each review and change the one-way turnover
  ``½ Σ |w_new − w_drifted|`` with its causes (:mod:`indexsmith.calculation.turnover`),
  a trade list, and optionally costs (bps per side plus an impact term growing with
  participation in average daily dollar volume) and an annual fee (``net_of_costs``).
* **Membership.** Every entry and exit with its session and reason, for
  ``membership.parquet``.

The loop runs over event dates only; between events the levels of all sessions come
from one matrix product.
"""

from __future__ import annotations

import functools
from typing import Any

import attrs
import numpy as np
import pandas as pd

from indexsmith.calculation import actions
from indexsmith.calculation import between as changes_between
from indexsmith.calculation.between import Change
from indexsmith.calculation.events import Events
from indexsmith.calculation.ledger import Ledger, Target
from indexsmith.calculation.options import CalculationOptions
from indexsmith.data.market import Market
from indexsmith.errors import DataError, Problem
from indexsmith.frames import ADJUSTMENT_COLUMNS, HOLDING_COLUMNS, TRADE_COLUMNS, TURNOVER_COLUMNS

#: Columns of the changes between reviews :func:`calculate` reads (one row per security
#: leaving or entering an index at a close).
BETWEEN_COLUMNS = (
    "rank_date",
    "effective_date",
    "review",
    "security_id",
    "change",
    "target_shares",
    "float_shares",
    "weight",
)
#: The membership log of a calculation: each entry and exit at a close.
LOG_COLUMNS = ("date", "security_id", "event", "reason")


@attrs.frozen(eq=False)
class HoldingsRecords:
    """The book after each change of a calculation as the ledger recorded it (session,
    positions, index shares): the holdings table is made from them only when it is read
    (a broad index held through thousands of changes has tens of millions of rows)."""

    records: list[tuple[int, np.ndarray, np.ndarray]]
    sessions: pd.DatetimeIndex
    ids: pd.Index

    def frame(self, on: pd.DatetimeIndex | None = None) -> pd.DataFrame:
        """The holdings table (:data:`HOLDING_COLUMNS`), or its rows of the sessions ``on``."""
        records = _last_per_session(self.records)
        if on is not None:
            wanted = set(self.sessions.get_indexer(on).tolist())
            records = [r for r in records if r[0] in wanted]
        if not records:
            return pd.DataFrame({c: pd.Series(dtype=float) for c in HOLDING_COLUMNS})
        lengths = [len(r[1]) for r in records]
        session = np.repeat(np.array([r[0] for r in records], dtype=np.int64), lengths)
        return pd.DataFrame(
            {
                HOLDING_COLUMNS[0]: self.sessions[session],
                HOLDING_COLUMNS[1]: self.ids[np.concatenate([r[1] for r in records]).astype(np.int64)],
                HOLDING_COLUMNS[2]: np.concatenate([r[2] for r in records]),
            }
        )


@attrs.frozen(eq=False)
class TradeRecords:
    """Each change's trades as the ledger recorded them (sessions, positions, shares
    before and after, traded weight): the trades table is made from them when read."""

    rows: list[tuple[np.ndarray, ...]]
    sessions: pd.DatetimeIndex
    ids: pd.Index

    def frame(self) -> pd.DataFrame:
        return _frame(self.rows, TRADE_COLUMNS, self.sessions, self.ids)


@attrs.frozen(slots=False, eq=False)
class Calculation:
    """The daily numbers of one index. ``holdings`` (the index shares after each change)
    and ``trades`` are made when first read (a monthly index of 5,000 names trades 1.8
    million lines in 30 years); :meth:`holdings_on` reads the holdings of a few sessions."""

    levels: pd.DataFrame
    holdings_source: pd.DataFrame | HoldingsRecords = attrs.field(alias="holdings")
    turnover: pd.DataFrame
    trades_source: pd.DataFrame | TradeRecords = attrs.field(alias="trades")
    events: pd.DataFrame
    stale: pd.DataFrame
    #: Entries and exits at each close (``date`` is the close; see :data:`LOG_COLUMNS`).
    log: pd.DataFrame = attrs.field(factory=pd.DataFrame)

    @functools.cached_property
    def holdings(self) -> pd.DataFrame:
        source = self.holdings_source
        return source.frame() if isinstance(source, HoldingsRecords) else source

    @functools.cached_property
    def trades(self) -> pd.DataFrame:
        source = self.trades_source
        return source.frame() if isinstance(source, TradeRecords) else source

    def holdings_on(self, dates: pd.DatetimeIndex) -> pd.DataFrame:
        """The holdings rows of the sessions ``dates`` (the index shares after their close)."""
        source = self.holdings_source
        if isinstance(source, HoldingsRecords) and "holdings" not in self.__dict__:
            return source.frame(dates)
        held = self.holdings
        return held[held["effective_date"].isin(dates)] if len(held) else held


def calculate(
    constituents: pd.DataFrame,
    market: Market,
    options: CalculationOptions | None = None,
    *,
    between: pd.DataFrame | None = None,
    spin_off_drops: pd.DataFrame | None = None,
    end: pd.Timestamp | None = None,
    index_id: str = "",
) -> Calculation:
    """Daily levels of one index from its constituents at each review (one row per
    security and effective date, as in ``IndexResult.constituents``), the changes between
    reviews (:data:`BETWEEN_COLUMNS`) and the spun-off companies to drop."""
    options = options or CalculationOptions()
    sessions = market.sessions
    ids = market.security_ids
    if constituents.empty:
        raise DataError([Problem("the index has no constituents to calculate", "constituents")])
    reviews = targets(constituents, market, options)
    first = min(reviews)
    last = (
        len(sessions) - 1 if end is None else int(sessions.searchsorted(pd.Timestamp(end), side="right")) - 1
    )
    events = Events(market, first, last)
    ledger = Ledger(market, options, events, index_id)
    changes = _changes(between, market, first, last)
    drops = _drops(spin_off_drops, market, first, last)
    share_changes = _share_changes(constituents, market, options, first, last)
    ledger.reinvest_sessions = set(reviews) | {s for s, c in changes.items() if len(c.add)}

    review_sessions = sorted(s for s in reviews if s <= last)
    action_sessions = events.action_sessions()
    held_ever = events.delisted[ids.get_indexer(constituents["security_id"].unique())]
    delist_sessions = {int(s) for s in held_ever[(held_ever > first) & (held_ever <= last)]}
    spun_off = events.frame.loc[events.frame["action"] == "spin-off", "other"].dropna()
    children = ids.get_indexer(spun_off)
    entering = np.concatenate([children[children >= 0], *(c.add for c in changes.values())]).astype(np.int64)
    later = events.delisted[entering]
    delist_sessions |= {int(s) for s in later[(later > first) & (later <= last)]}
    ledger.rebalance(review_sessions[0], reviews[review_sessions[0]])
    ledger.seed(review_sessions[0])
    breaks = sorted(
        (
            set(review_sessions[1:])
            | delist_sessions
            | {s - 1 for s in action_sessions}
            | set(changes)
            | set(drops)
            | set(share_changes)
        )
        & set(range(first + 1, last + 1))
    )
    start = first + 1
    if start <= last and start in action_sessions:
        actions.before_open(ledger, start, events.on_session(start))
    # A break where nothing touches the holdings (the market's other securities' actions
    # and delistings) does not stop the segment: it ends a piece of it, so the levels are
    # compounded exactly as if the segment had stopped there.
    ends: list[int] = []
    for stop in [*breaks, last]:
        if stop < start:
            continue
        quiet = stop != last and not (
            stop in changes or stop in drops or stop in share_changes or stop in reviews
        )
        if quiet and _untouched(ledger, events, stop, last, action_sessions, delist_sessions):
            ends.append(stop)
            continue
        ledger.run_segment(start, stop, ends)
        ends = []
        before = (ledger.book.pos.copy(), ledger.book.q.copy(), ledger.book.fs.copy())
        if stop in delist_sessions:
            actions.after_close(ledger, stop)
        if stop in changes:
            changes_between.between_reviews(ledger, stop, changes[stop], before)
        ledger.proceeds.pop(stop, None)
        for position, reason in drops.get(stop, ()):
            changes_between.drop_spin_off(ledger, stop, position, reason)
        if stop in share_changes:
            changes_between.share_change(ledger, stop, share_changes[stop])
        if stop in reviews and stop != first:
            ledger.rebalance(stop, reviews[stop], before if stop in delist_sessions else None)
        nxt = stop + 1
        if nxt <= last and nxt in action_sessions:
            actions.before_open(ledger, nxt, events.on_session(nxt))
        start = nxt
    return _tables(ledger, options, sessions, market.text_ids)


def _untouched(
    ledger: Ledger, events: Events, stop: int, last: int, action_sessions: set[Any], delist_sessions: set[int]
) -> bool:
    """Whether no member leaves at the close of ``stop`` and no member has an action on
    the next session: the calculator would change nothing at this break."""
    held = ledger.book.pos
    if stop in delist_sessions and (events.delisted[held] == stop).any():
        return False
    nxt = stop + 1
    return not (nxt <= last and nxt in action_sessions and np.isin(events.positions_on(nxt), held).any())


def _changes(between: pd.DataFrame | None, market: Market, first: int, last: int) -> dict[int, Change]:
    """Session -> the change between reviews of that close."""
    if between is None or between.empty:
        return {}
    sessions, ids = market.sessions, market.security_ids
    frame = between.assign(
        session=sessions.searchsorted(pd.DatetimeIndex(between["effective_date"])),
        pos=ids.get_indexer(between["security_id"]),
    )
    frame = frame[(frame["session"] > first) & (frame["session"] <= last) & (frame["pos"] >= 0)]
    frame = frame.sort_values("session", kind="stable")
    session = frame["session"].to_numpy(dtype=np.int64)
    pos = frame["pos"].to_numpy(dtype=np.int64)
    adds = (frame["change"] == "addition").to_numpy()
    shares = frame["target_shares"].to_numpy(dtype=float)
    float_shares = frame["float_shares"].to_numpy(dtype=float)
    weight = frame["weight"].to_numpy(dtype=float)
    kind = frame["review"].to_numpy(dtype=object)
    chosen = (
        sessions.searchsorted(pd.DatetimeIndex(frame["rank_date"]))
        if "rank_date" in frame
        else np.full(len(frame), -1)
    )
    out = {}
    starts = np.flatnonzero(np.r_[True, session[1:] != session[:-1]]) if len(session) else np.zeros(0, int)
    for lo, hi in zip(starts, [*starts[1:], len(session)], strict=True):
        a = adds[lo:hi]
        out[int(session[lo])] = Change(
            kind=str(kind[lo]),
            remove=pos[lo:hi][~a],
            add=pos[lo:hi][a],
            add_shares=shares[lo:hi][a],
            add_float_shares=float_shares[lo:hi][a],
            add_weight=weight[lo:hi][a],
            rank_session=int(chosen[lo]),
        )
    return out


def _drops(
    frame: pd.DataFrame | None, market: Market, first: int, last: int
) -> dict[int, list[tuple[int, str]]]:
    """Session -> the spun-off companies to drop at its close, with the reason."""
    out: dict[int, list[tuple[int, str]]] = {}
    if frame is None or frame.empty:
        return out
    sessions = market.sessions.searchsorted(pd.DatetimeIndex(frame["date"]))
    positions = market.security_ids.get_indexer(frame["security_id"])
    for session, position, reason in zip(sessions, positions, frame["reason"], strict=True):
        if first < session <= last and position >= 0:
            out.setdefault(int(session), []).append((int(position), str(reason)))
    return out


def _share_changes(
    constituents: pd.DataFrame,
    market: Market,
    options: CalculationOptions,
    first: int,
    last: int,
) -> dict[int, list[tuple[int, float]]]:
    """Session -> (position, shares on the index's basis) of share rows of members between
    reviews, when the index applies large changes at once (``share_change_threshold``;
    not for an index holding one unit of each member)."""
    if options.share_change_threshold is None or options.unit_holdings:
        return {}
    table = market.shares
    members = np.unique(market.security_ids.get_indexer(constituents["security_id"].unique()))
    keep = np.isin(table["pos"], members)
    sessions = market.sessions.searchsorted(pd.DatetimeIndex(table["date"][keep]))
    float_shares = table["shares_outstanding"][keep].astype(float)
    if options.share_basis == "float":
        float_shares = float_shares * table["float_factor"][keep]
    out: dict[int, list[tuple[int, float]]] = {}
    for session, position, value in zip(sessions, table["pos"][keep], float_shares, strict=True):
        if first < session <= last:
            out.setdefault(int(session), []).append((int(position), float(value)))
    return out


def _tables(
    ledger: Ledger, options: CalculationOptions, sessions: pd.DatetimeIndex, ids: pd.Index
) -> Calculation:
    """The ledger's rows as the calculation's tables."""
    dates = np.concatenate(ledger.out_dates)
    levels = pd.DataFrame({"date": sessions[dates]})
    for key, parts in ledger.out_cols.items():
        levels[key] = np.concatenate(parts)
    if not options.has_costs:
        levels = levels.drop(columns="net_of_costs")
    stale = (
        pd.DataFrame(ledger.prices.stale, columns=["date", "security_id"])
        .drop_duplicates()
        .sort_values(["date", "security_id"], kind="stable")
        .reset_index(drop=True)
    )
    log = pd.DataFrame(ledger.log, columns=["session", "pos", "event", "reason"])
    log = pd.DataFrame(
        {
            "date": sessions[log["session"].to_numpy(dtype=np.int64)],
            "security_id": ids[log["pos"].to_numpy(dtype=np.int64)],
            "event": log["event"].to_numpy(dtype=object),
            "reason": log["reason"].to_numpy(dtype=object),
        }
    )
    return Calculation(
        levels=levels,
        # The holdings after the last change of each session (a share change and a review can
        # share a close).
        holdings=HoldingsRecords(ledger.holdings_rows, sessions, ids),
        turnover=pd.DataFrame(ledger.turnover_rows, columns=list(TURNOVER_COLUMNS)),
        trades=TradeRecords(ledger.trade_rows, sessions, ids),
        events=pd.DataFrame(ledger.event_rows, columns=list(ADJUSTMENT_COLUMNS)),
        stale=stale,
        log=log,
    )


def targets(
    constituents: pd.DataFrame, market: Market, options: CalculationOptions | None = None
) -> dict[int, Target]:
    """Session -> what the review effective on it sets, one entry per effective date;
    members' share counts on the index's basis (``share_basis``)."""
    basis = options.share_basis if options is not None else "float"
    sessions, ids = market.sessions, market.security_ids
    frame = (
        constituents
        if constituents["effective_date"].is_monotonic_increasing
        else constituents.sort_values("effective_date", kind="stable")
    )
    dates = pd.DatetimeIndex(frame["effective_date"]).to_numpy()
    # Look each id up once: constituents repeat the same ids at every review.
    codes, unique_ids = pd.factorize(frame["security_id"])
    pos = np.where(codes >= 0, ids.get_indexer(unique_ids)[codes] if len(unique_ids) else -1, -1)
    if (pos < 0).any():
        row = frame.iloc[int(np.argmax(pos < 0))]
        raise DataError(
            [
                Problem(
                    f"constituent {row['security_id']} on {row['effective_date']:%Y-%m-%d} is not in the market data",
                    "constituents",
                )
            ]
        )
    weight = frame["weight"].to_numpy(dtype=float)
    column = lambda name: (  # noqa: E731
        frame[name].to_numpy(dtype=float) if name in frame else np.full(len(frame), np.nan)
    )
    shares = column("target_shares")
    float_shares = column("shares_outstanding") * (column("float_factor") if basis == "float" else 1.0)
    float_shares = np.where(np.isfinite(float_shares), float_shares, shares)
    # One rank date and kind per review: read them at each review's first row only.
    starts = np.flatnonzero(np.r_[True, dates[1:] != dates[:-1]])
    rank_dates = pd.DatetimeIndex(
        (frame["rank_date"] if "rank_date" in frame else frame["effective_date"]).iloc[starts]
    )
    rank_sessions = sessions.searchsorted(rank_dates)
    kinds = (
        frame["review"].iloc[starts].to_numpy(dtype=object)
        if "review" in frame
        else np.full(len(starts), "reconstitution", dtype=object)
    )
    out = {}
    for k, (lo, hi) in enumerate(zip(starts, [*starts[1:], len(dates)], strict=True)):
        session = int(sessions.get_loc(pd.Timestamp(dates[lo])))
        p, w, q, fs = pos[lo:hi], weight[lo:hi], shares[lo:hi], float_shares[lo:hi]
        if len(p) and np.bincount(p).max() > 1:  # a security listed twice: one holding
            p, first_at, inverse = np.unique(p, return_index=True, return_inverse=True)
            w = np.bincount(inverse, weights=w)
            q = np.bincount(inverse, weights=np.nan_to_num(q))
            fs = fs[first_at]
        out[session] = Target(p, w, q, fs, int(rank_sessions[k]), str(kinds[k]))
    return out


def _last_per_session(
    rows: list[tuple[int, np.ndarray, np.ndarray]],
) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """Holdings records with, for every (session, security) recorded more than once, only
    its last record kept, in record order (a share change and a review can share a close)."""
    records: dict[int, list[int]] = {}
    for k, record in enumerate(rows):
        if len(record[1]):
            records.setdefault(record[0], []).append(k)
    out = list(rows)
    for ks in records.values():
        for j, k in enumerate(ks[:-1]):
            keep = ~np.isin(rows[k][1], np.concatenate([rows[i][1] for i in ks[j + 1 :]]))
            out[k] = (rows[k][0], rows[k][1][keep], rows[k][2][keep])
    return out


def _frame(
    rows: list[tuple[np.ndarray, ...]], columns: tuple[str, ...], sessions: pd.DatetimeIndex, ids: pd.Index
) -> pd.DataFrame:
    """Per-review arrays (session, position, values...) as one frame with dates and ids."""
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in columns})
    parts = [np.concatenate([r[k] for r in rows]) for k in range(len(columns))]
    out = {columns[0]: sessions[parts[0].astype(np.int64)], columns[1]: ids[parts[1].astype(np.int64)]}
    out.update({c: v for c, v in zip(columns[2:], parts[2:], strict=True)})
    return pd.DataFrame(out)
