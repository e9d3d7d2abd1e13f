"""Index calculation: divisor-continuous levels, returns, corporate actions, turnover and
costs (methodologies.md §4 and §6).

A methodology decides target weights at each review; :func:`calculate` turns them into the
daily numbers an index provider publishes:

* **Holdings.** At each effective date (after the close) index shares are set from the
  target weights at that close: ``q_i = w_i · MV / P_i``, so the market value and the
  level do not move and the weights equal the targets exactly. A price-weighted index
  (``unit_holdings``) holds one share of each member instead and its divisor absorbs the
  change (Dow style: ``D_new = D_old · ΣP_new / ΣP_old``, §4.2).
* **Levels.** ``level = Σ q_i P_i / D``; the divisor changes only to keep the level
  unchanged across rebalances, membership changes and corporate actions.
* **Corporate actions** (from the market data; §6.4). Split or reverse split on its
  ex-date: index shares scale by the ratio (a unit-holdings index adjusts its divisor
  instead). Special dividend: the price-return divisor falls by its value. Spin-off: the
  new company enters on the ex-date at price 0 with ``ratio`` shares per parent share
  (the level does not move) and leaves at the next review unless the methodology keeps
  it (for unit holdings the divisor adjusts for the parent's price drop). Cash
  acquisition: removed at the deal price after its last close. Stock acquisition: the
  acquirer's index shares grow by ``ratio`` per target share if it is held, otherwise the
  target is removed at the value of the consideration. Other delistings: removed at the
  last close, or at zero for bankruptcies with ``bankruptcy_at_zero``. Members that leave
  between reviews are not replaced.
* **Returns.** Price return from the levels; total return reinvests regular cash
  dividends across the index on the ex-date (special dividends are already reinvested by
  the price-return divisor); net total return reinvests them less ``withholding``.
* **Turnover and costs.** At each review the one-way turnover ``½ Σ |w_new − w_drifted|``
  (drifted weights are the old holdings at the effective-date close), a trade list, and
  optionally costs (bps per side plus an impact term growing with participation in
  average daily dollar volume) and an annual fee, giving a ``net_of_costs`` series.

The loop runs over event dates only (reviews and corporate actions of held securities);
between events the levels of all sessions come from one matrix product.
"""

from __future__ import annotations

import attrs
import numpy as np
import pandas as pd

from indexsmith.calculation.events import Events
from indexsmith.calculation.ledger import Ledger
from indexsmith.calculation.options import CalculationOptions
from indexsmith.data.market import Market
from indexsmith.errors import DataError, Problem
from indexsmith.frames import ADJUSTMENT_COLUMNS, HOLDING_COLUMNS, TRADE_COLUMNS, TURNOVER_COLUMNS


@attrs.frozen
class Calculation:
    """The daily numbers of one index."""

    levels: pd.DataFrame
    holdings: pd.DataFrame
    turnover: pd.DataFrame
    trades: pd.DataFrame
    events: pd.DataFrame
    stale: pd.DataFrame


def calculate(
    constituents: pd.DataFrame,
    market: Market,
    options: CalculationOptions | None = None,
    *,
    end: pd.Timestamp | None = None,
) -> Calculation:
    """Daily levels of one index from its constituents (one weight per security and
    effective date, as in ``IndexResult.constituents``)."""
    options = options or CalculationOptions()
    sessions = market.sessions
    ids = market.security_ids
    if constituents.empty:
        raise DataError([Problem("the index has no constituents to calculate", "constituents")])
    reviews = targets(constituents, market)
    kinds = (
        constituents.drop_duplicates("effective_date").set_index("effective_date")["review"]
        if "review" in constituents
        else None
    )
    first = min(reviews)
    last = (
        len(sessions) - 1 if end is None else int(sessions.searchsorted(pd.Timestamp(end), side="right")) - 1
    )
    events = Events(market, first, last)
    ledger = Ledger(market, options, events, kinds)

    # Event sessions: corporate actions act before the open, delistings and reviews after
    # the close; the levels of the sessions between come from one block each.
    review_sessions = sorted(s for s in reviews if s <= last)
    action_sessions = events.action_sessions()
    held_ever = events.delisted[ids.get_indexer(constituents["security_id"].unique())]
    delist_sessions = {int(s) for s in held_ever[(held_ever > first) & (held_ever <= last)]}
    ledger.rebalance(review_sessions[0], reviews[review_sessions[0]])
    ledger.seed(review_sessions[0])
    breaks = sorted(
        (set(review_sessions[1:]) | delist_sessions | {s - 1 for s in action_sessions})
        & set(range(first + 1, last + 1))
    )
    start = first + 1
    if start <= last and start in action_sessions:
        ledger.before_open(start, events.on_session(start))
    for stop in [*breaks, last]:
        if stop < start:
            continue
        ledger.run_segment(start, stop)
        if stop in delist_sessions:
            ledger.after_close(stop)
        if stop in reviews and stop != first:
            ledger.rebalance(stop, reviews[stop])
        nxt = stop + 1
        if nxt <= last and nxt in action_sessions:
            ledger.before_open(nxt, events.on_session(nxt))
        start = nxt
    return _tables(ledger, options, sessions, ids)


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
    return Calculation(
        levels=levels,
        holdings=_frame(ledger.holdings_rows, HOLDING_COLUMNS, sessions, ids),
        turnover=pd.DataFrame(ledger.turnover_rows, columns=list(TURNOVER_COLUMNS)),
        trades=_frame(ledger.trade_rows, TRADE_COLUMNS, sessions, ids),
        events=pd.DataFrame(ledger.event_rows, columns=list(ADJUSTMENT_COLUMNS)),
        stale=stale,
    )


def targets(constituents: pd.DataFrame, market: Market) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Session -> (security positions, target weights), one entry per effective date."""
    sessions, ids = market.sessions, market.security_ids
    frame = constituents.sort_values("effective_date", kind="stable")
    dates = pd.DatetimeIndex(frame["effective_date"]).to_numpy()
    pos = ids.get_indexer(frame["security_id"])
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
    starts = np.flatnonzero(np.r_[True, dates[1:] != dates[:-1]])
    out = {}
    for lo, hi in zip(starts, [*starts[1:], len(dates)], strict=True):
        session = int(sessions.get_loc(pd.Timestamp(dates[lo])))
        p, w = pos[lo:hi], weight[lo:hi]
        if len(np.unique(p)) != len(p):  # a security listed twice: one holding
            p, inverse = np.unique(p, return_inverse=True)
            w = np.bincount(inverse, weights=w)
        out[session] = (p, w)
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
