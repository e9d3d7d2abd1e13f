"""The rows a simulated chunk adds to the demo market's tables: prices, shares,
dividends, corporate actions, fundamentals and securities (the last steps of
:meth:`indexsmith.demo.simulation.Chunk.run`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from indexsmith.demo.profile import smallness_of

if TYPE_CHECKING:
    from indexsmith.demo.simulation import Chunk


def prices(c: Chunk) -> None:
    """Price rows of the lines that ever list."""
    out = c.out
    alive = c.alive
    raw_close = c.raw_close
    volume = c.volume
    listed, sid = c.listed, c.sid
    t_alive, i_alive = np.nonzero(alive & listed[None, :])
    out.prices.append(
        (
            t_alive.astype(np.int16),
            sid[i_alive].astype(np.int32),
            raw_close[t_alive, i_alive],
            volume[t_alive, i_alive],
        )
    )


def shares(c: Chunk) -> None:
    """Share rows: at listing, at each quarter start, on splits and on stock issuance."""
    out = c.out
    n_t = c.n_t
    m = c.m
    first = c.first
    last = c.last
    listed = c.listed
    sid = c.sid
    quarters = c.quarters
    q_of_t = c.q_of_t
    ff_path = c.ff_path
    split_rows = c.split_rows
    stock_rows = c.stock_rows
    shares_out = c.shares_out
    q_grid, i_grid = np.meshgrid(quarters, np.arange(m), indexing="ij")
    split_t = np.array([r[0] for r in split_rows], dtype=np.int64)
    split_i = np.array([r[1] for r in split_rows], dtype=np.int64)
    issue_t = np.array([r[0] + 1 for r in stock_rows], dtype=np.int64)
    issue_i = np.array([r[2] for r in stock_rows], dtype=np.int64)
    st = np.concatenate([first, q_grid.ravel(), split_t, issue_t])
    si = np.concatenate([np.arange(m), i_grid.ravel(), split_i, issue_i])
    keep = listed[si] & (st >= first[si]) & (st <= last[si]) & (st < n_t)
    st, si = st[keep], si[keep]
    pairs = np.unique(st * m + si)
    st, si = pairs // m, pairs % m
    out.shares.append((st, sid[si], shares_out[st, si], ff_path[q_of_t[st], si]))


def dividends(c: Chunk) -> None:
    """Dividends: regular quarterly for payers, some specials."""
    out, rng = c.out, c.rng
    n_t = c.n_t
    m = c.m
    first = c.first
    last = c.last
    listed = c.listed
    sid = c.sid
    quarters = c.quarters
    smallness = c.smallness
    raw_close = c.raw_close
    payer = (rng.random(m) < np.clip(0.2 + 0.55 * (1 - smallness), 0.1, 0.85)) & listed
    dividend_yield = np.clip(rng.normal(0.022, 0.009, m), 0.004, 0.06)
    ex_t = quarters + 30
    ex_t = ex_t[ex_t < n_t]
    et, ei = (a.ravel() for a in np.meshgrid(ex_t, np.flatnonzero(payer), indexing="ij"))
    ok = (et > first[ei] + 60) & (et <= last[ei])
    et, ei = et[ok], ei[ok]
    amount = np.round(raw_close[et - 1, ei] * dividend_yield[ei] / 4, 4)
    special = rng.random(len(et)) < 0.008
    amount = np.where(special, np.round(raw_close[et - 1, ei] * rng.uniform(0.02, 0.1, len(et)), 4), amount)
    kinds = np.where(special, "special", "regular").astype(object)
    good = amount > 0
    out.dividends.append((et[good], sid[ei[good]], amount[good], kinds[good]))


def actions(c: Chunk) -> None:
    """Corporate actions: splits, exits (cash acquisitions, delistings with their
    reason), stock acquisitions and spin-offs."""
    out = c.out
    n_t = c.n_t
    last = c.last
    listed = c.listed
    sid = c.sid
    exit_kind = c.exit_kind
    raw_close = c.raw_close
    split_rows = c.split_rows
    stock_rows = c.stock_rows
    spin_rows = c.spin_rows
    rows = [
        pd.DataFrame(
            {
                "t": [r[0] for r in split_rows],
                "s": sid[[r[1] for r in split_rows]] if split_rows else [],
                "action": "split",
                "ratio": [r[2] for r in split_rows],
            }
        )
    ]
    ended = np.flatnonzero(listed & (last < n_t - 1))
    for i in ended:
        kind_i = exit_kind[i]
        if kind_i == "cash-acquisition":
            rows.append(
                pd.DataFrame(
                    {
                        "t": [last[i]],
                        "s": [sid[i]],
                        "action": "cash-acquisition",
                        "cash": [raw_close[last[i], i]],
                    }
                )
            )
        elif kind_i != "stock-acquisition":
            reason = kind_i or "voluntary"
            rows.append(
                pd.DataFrame({"t": [last[i]], "s": [sid[i]], "action": "delisting", "reason": [reason]})
            )
    for d, i, a, ratio, _ in stock_rows:
        rows.append(
            pd.DataFrame(
                {
                    "t": [d],
                    "s": [sid[i]],
                    "action": "stock-acquisition",
                    "ratio": [ratio],
                    "acquirer": [sid[a]],
                }
            )
        )
    for d, parent_line, child, ratio in spin_rows:
        rows.append(
            pd.DataFrame(
                {
                    "t": [d],
                    "s": [sid[parent_line]],
                    "action": "spin-off",
                    "ratio": [ratio],
                    "new_security": [sid[child]],
                }
            )
        )
    out.actions.append(pd.concat(rows, ignore_index=True))


def fundamentals(c: Chunk) -> None:
    """Fundamentals: quarterly net income, book equity and sales, reported with a lag."""
    _fundamentals(
        c.out,
        c.sessions,
        c.level,
        c.raw_close,
        c.shares_out,
        c.value_load,
        c.first,
        c.last,
        c.listed,
        c.sid,
        c.rng,
    )


def securities(c: Chunk) -> None:
    """The lines' reference data, for the securities table."""
    out = c.out
    kind_arr = c.kind_arr
    company_arr = c.company_arr
    src = c.src
    first = c.first
    last = c.last
    listed = c.listed
    sector = c.sector
    stype = c.stype
    exchange = c.exchange
    out.securities.append(
        {
            "company": np.where(kind_arr == "spin", company_arr, src)[listed],
            "first": first[listed],
            "last": last[listed],
            "sector": sector[listed],
            "stype": stype[listed],
            "exchange": exchange[listed],
        }
    )
    out.n_securities += int(listed.sum())


def quarter_sessions(sessions: pd.DatetimeIndex) -> np.ndarray:
    months = sessions.month.to_numpy()
    new_month = np.r_[True, months[1:] != months[:-1]]
    return np.flatnonzero(new_month & (months % 3 == 1))


def _fundamentals(out, sessions, level, close, shares, value_load, first, last, listed, sid, rng):
    """Quarterly reports. Profitability and earnings yield follow a company's size at the
    time (small companies are cheaper and lose money more often); which companies lose
    money is persistent."""
    n_t, m = close.shape
    loss_rank = rng.random(m)
    book_to_price = np.clip(0.3 + 0.12 * value_load + rng.normal(0, 0.1, m), 0.03, 3.0)
    quarter_ends = pd.period_range(sessions[0].to_period("Q") - 4, sessions[-1].to_period("Q"), freq="Q")
    parts = []
    for q in quarter_ends:
        end = q.end_time.normalize()
        t_end = int(np.clip(sessions.searchsorted(end, side="right") - 1, 0, n_t - 1))
        t_ref = np.clip(np.maximum(t_end, first), 0, n_t - 1)
        cap = close[t_ref, np.arange(m)] * shares[t_ref, np.arange(m)]
        small = smallness_of(cap * np.exp(level[0] - level[t_ref]))
        earnings_yield = np.clip(0.046 + 0.04 * small + 0.008 * value_load, 0.01, 0.15)
        lag = rng.integers(25, 70, m)
        available = end + pd.to_timedelta(lag, unit="D")
        avail_t = sessions.searchsorted(available)
        live = listed & (t_end >= first - 90) & (avail_t <= last) & (avail_t < n_t)
        ni = cap * earnings_yield / 4 * rng.normal(1, 0.3, m)
        loss = (loss_rank < 0.02 + 0.62 * small**1.6) ^ (rng.random(m) < 0.06)
        ni = np.where(loss, -np.abs(ni) * rng.uniform(0.3, 2.5, m), ni)
        idx = np.flatnonzero(live)
        parts.append(
            (
                sid[idx],
                np.full(len(idx), end.to_datetime64()),
                available.values[idx],
                np.round(ni[idx], -3),
                np.round(cap[idx] * (book_to_price[idx] + 0.3 * small[idx]), -3),
                np.round(np.abs(ni[idx]) * rng.uniform(6, 25, len(idx)) + cap[idx] * 0.02, -3),
            )
        )
    out.fundamentals.append(tuple(np.concatenate(p) for p in zip(*parts, strict=True)))
