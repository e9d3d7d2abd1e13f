"""The simulation of one block of companies: their lines' prices, shares, dividends,
corporate actions and fundamentals, step by step (:class:`Chunk`).

The steps draw from the chunk's random generator in a fixed order, so a seed gives the same
market whatever else changes; a step keeps what later steps need on the chunk.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from indexsmith.demo import rows
from indexsmith.demo.profile import LAGGARDS, SECTORS, smallness_of


class Chunk:
    """One block of companies of the roster, simulated into ``out`` by :meth:`run`."""

    def __init__(
        self,
        members: np.ndarray,
        roster: Any,
        level: np.ndarray,
        factors: Any,
        sessions: pd.DatetimeIndex,
        rng: np.random.Generator,
        out: Any,
    ) -> None:
        self.roster, self.level, self.factors, self.sessions, self.rng, self.out = (
            roster,
            level,
            factors,
            sessions,
            rng,
            out,
        )
        self._lines(members)

    def run(self) -> None:
        """Price, share, dividend, action and fundamental rows for the block."""
        self.prices()
        self.shares()
        self.trading()
        self.number_lines()
        rows.prices(self)
        rows.shares(self)
        rows.dividends(self)
        rows.actions(self)
        rows.fundamentals(self)
        rows.securities(self)

    def _lines(self, members: np.ndarray) -> None:
        """Lines: each company, plus second classes and spin-off children (new companies)."""
        roster, rng, sessions = self.roster, self.rng, self.sessions
        n_t = len(sessions)
        t_idx = np.arange(n_t)[:, None]
        company = list(members)
        parent = list(np.full(len(members), -1))
        kind = ["main"] * len(members)
        for j in members:
            if roster.second_class[j] > 0:
                company.append(j)
                parent.append(j)
                kind.append("class")
        next_company = 10_000_000 + int(members[0]) * 8
        spin_children = {}
        for j in members:
            if roster.spin_at[j] >= 0:
                spin_children[j] = len(company)
                company.append(next_company)
                next_company += 1
                parent.append(j)
                kind.append("spin")
        company_arr = np.array(company, dtype=np.int64)
        parent_arr = np.array(parent, dtype=np.int64)
        kind_arr = np.array(kind, dtype=object)
        m = len(company_arr)
        src = np.where(parent_arr >= 0, parent_arr, company_arr)  # roster row giving the attributes

        first = roster.first[src].copy()
        last = roster.last[src].copy()
        exit_kind = roster.exit_kind[src].copy()
        is_spin = kind_arr == "spin"
        first[is_spin] = roster.spin_at[src[is_spin]]
        exit_kind[is_spin] = np.where(rng.random(is_spin.sum()) < 0.5, "cash-acquisition", "")
        last[is_spin] = np.where(
            exit_kind[is_spin] == "",
            n_t - 1,
            np.minimum(first[is_spin] + rng.integers(250, 5000, is_spin.sum()), n_t - 1),
        )
        exit_kind[is_spin & (last == n_t - 1)] = ""
        sector = roster.sector[src].copy()
        sector[is_spin] = np.where(
            rng.random(is_spin.sum()) < 0.6, sector[is_spin], rng.integers(0, len(SECTORS), is_spin.sum())
        )
        stype = roster.stype[src].copy()
        stype[is_spin] = 0
        exchange = roster.exchange[src].copy()
        self.n_t = n_t
        self.t_idx = t_idx
        self.company_arr = company_arr
        self.parent_arr = parent_arr
        self.kind_arr = kind_arr
        self.m = m
        self.src = src
        self.first = first
        self.last = last
        self.exit_kind = exit_kind
        self.sector = sector
        self.stype = stype
        self.exchange = exchange
        self.spin_children = spin_children

    def prices(self) -> None:
        """Daily prices: factor exposures, idiosyncratic paths, second classes, and the
        events that reshape a path (bankruptcy, acquisition, spin-off)."""
        roster, level, factors, rng = self.roster, self.level, self.factors, self.rng
        n_t = self.n_t
        t_idx = self.t_idx
        company_arr = self.company_arr
        kind_arr = self.kind_arr
        m = self.m
        src = self.src
        first = self.first
        last = self.last
        exit_kind = self.exit_kind
        sector = self.sector
        spin_children = self.spin_children
        # Size: the roster's base cap, scaled to the market level at listing.
        base = roster.base_cap[src].copy()
        base[kind_arr == "class"] *= roster.second_class[src[kind_arr == "class"]]
        base[(kind_arr == "main") & (roster.second_class[src] > 0)] *= (
            1 - roster.second_class[src[(kind_arr == "main") & (roster.second_class[src] > 0)]]
        )
        smallness = smallness_of(base * np.exp(level[first] - level[0]))
        beta = np.array([SECTORS[s][3] for s in sector]) * rng.normal(1, 0.12, m)
        # The size factor is small minus large: the largest companies do not load on it.
        size_load = smallness * 1.3 - 0.15
        value_load = rng.normal(0, 0.7, m)
        # Technology leadership: large information-technology companies load on it, the
        # other large companies against it.
        technology = [name for name, *_ in SECTORS].index("Information Technology")
        leader_load = np.where(sector == technology, 1.0, -LAGGARDS) * (1 - smallness) ** 2
        # Idiosyncratic: a mean-reverting size deviation and transient noise. No random walk:
        # over decades it would spread company sizes without bound and hollow out the
        # cross-section that the calibration targets describe.
        # The deviation's half-life is about five months: what an equal-weight index
        # harvests when it rebalances (it sells what rose above its level, buys what fell).
        phi = 0.994
        sigma_ou = (0.003 + 0.01 * smallness) * np.sqrt((1 - phi**2) / (1 - 0.9994**2))
        sigma_tr = 0.006 + 0.016 * smallness
        ou = np.zeros((n_t, m))
        shocks = rng.standard_normal((n_t, m)) * sigma_ou
        state = rng.normal(0, 1, m) * sigma_ou / np.sqrt(1 - phi**2)
        for t in range(n_t):
            state = phi * state + shocks[t]
            ou[t] = state
        del shocks
        # Beta scales the market's swings around its one-year moving average, not its trend:
        # over decades high-beta companies do not compound away from low-beta ones.
        window = min(250, n_t)
        running = np.cumsum(np.concatenate([[0.0], level]))
        trend = np.empty(n_t)
        trend[:window] = running[1 : window + 1] / np.arange(1, window + 1)
        trend[window:] = (running[window + 1 :] - running[1 : n_t - window + 1]) / window
        log_p = (
            level[:, None]
            + (level - trend)[:, None] * (beta - 1)
            + factors.size[:, None] * size_load
            + factors.value[:, None] * value_load
            + factors.sector[:, sector]
            + factors.leadership[:, None] * leader_load
            + ou
            + rng.standard_normal((n_t, m)) * sigma_tr
        )
        del ou
        # Second classes track their company's main line closely.
        for i in np.flatnonzero(kind_arr == "class"):
            main = np.flatnonzero((company_arr == company_arr[i]) & (kind_arr == "main"))[0]
            log_p[:, i] = (
                log_p[:, main]
                + 0.002 * np.cumsum(rng.standard_normal(n_t)) * 0.1
                + np.log(rng.uniform(0.9, 1.1))
            )
            first[i], last[i], exit_kind[i] = first[main], last[main], exit_kind[main]
        alive = (t_idx >= first[None, :]) & (t_idx <= last[None, :])
        # Anchor each line so its cap at listing equals its size at that market level.
        price0 = np.clip(np.exp(rng.normal(np.log(25), 0.7, m)) * (base / 1e9) ** 0.1, 2.0, 400.0)
        shares0 = base * np.exp(level[first] - level[0]) / price0
        log_p -= log_p[first, np.arange(m)][None, :]
        log_p += np.log(price0)[None, :]

        # Events that reshape the path before the exit.
        for i in np.flatnonzero(exit_kind == "bankruptcy"):
            lo = max(first[i], last[i] - 150)
            log_p[lo : last[i] + 1, i] -= np.linspace(0, rng.uniform(2.5, 4.5), last[i] + 1 - lo)
        for i in np.flatnonzero(np.isin(exit_kind, ["cash-acquisition", "stock-acquisition"])):
            announce = max(first[i], last[i] - 45)
            deal = log_p[announce, i] + np.log(rng.uniform(1.15, 1.45))
            log_p[announce : last[i] + 1, i] = deal + 0.002 * rng.standard_normal(last[i] + 1 - announce)

        # Spin-offs: the parent's price drops by the child's value on the ex-date.
        spin_rows: list[tuple[int, int, int, float]] = []
        for j, child in spin_children.items():
            parent_line = int(np.flatnonzero((company_arr == j) & (kind_arr == "main"))[0])
            d = int(first[child])
            if d <= first[parent_line] or d > last[parent_line] or d >= n_t:
                last[child] = first[child] - 1  # never listed
                continue
            fraction = roster.spin_fraction[j]
            parent_price = float(np.exp(log_p[d - 1, parent_line]))
            child_value = parent_price * fraction  # value per parent share
            ratio = float(rng.choice([0.1, 0.2, 0.25, 1 / 3, 0.5, 1.0]))
            child_price = child_value / ratio
            log_p[d:, parent_line] += np.log(1 - fraction)
            log_p[:, child] += np.log(child_price) - log_p[d, child]
            shares0[child] = shares0[parent_line] * ratio
            price0[child] = child_price
            spin_rows.append((d, parent_line, child, ratio))
        alive = (t_idx >= first[None, :]) & (t_idx <= last[None, :])

        price = np.exp(log_p)
        del log_p
        self.smallness = smallness
        self.value_load = value_load
        self.price = price
        self.shares0 = shares0
        self.spin_rows = spin_rows
        self.alive = alive

    def shares(self) -> None:
        """Shares outstanding and float factors, delistings on listing standards, stock
        acquisitions, and the splits that keep raw prices in range."""
        level, rng, sessions = self.level, self.rng, self.sessions
        n_t = self.n_t
        t_idx = self.t_idx
        kind_arr = self.kind_arr
        m = self.m
        first = self.first
        last = self.last
        exit_kind = self.exit_kind
        price = self.price
        shares0 = self.shares0
        alive = self.alive
        # Share counts: issuance and buybacks each quarter.
        quarters = rows.quarter_sessions(sessions)
        q_of_t = np.searchsorted(quarters, np.arange(n_t), side="right")
        # A company's issuance and buybacks mean-revert (half-life ~3.5 years). A common upward
        # drift would compound for old incumbents (mostly the largest companies) and
        # concentrate the market decade by decade.
        steps = rng.normal(0, 0.006, (len(quarters), m)) + np.where(
            rng.random((len(quarters), m)) < 0.02, rng.normal(0, 0.06, (len(quarters), m)), 0
        )
        own = np.zeros((len(quarters) + 1, m))
        for q in range(len(quarters)):
            own[q + 1] = 0.95 * own[q] + steps[q]
        issuance = own
        issuance -= issuance[q_of_t[first], np.arange(m)][None, :]
        ff_path = np.clip(
            np.clip(rng.beta(9, 2, m), 0.06, 1.0)[None, :]
            + np.cumsum(
                np.where(
                    rng.random((len(quarters) + 1, m)) < 0.05, rng.normal(0, 0.04, (len(quarters) + 1, m)), 0
                ),
                axis=0,
            ),
            0.01,
            1.0,
        )
        ff_path[:, rng.random(m) < 0.015] = rng.uniform(0.01, 0.05)
        ff_path = np.round(ff_path, 4)
        shares_level = shares0[None, :] * np.exp(issuance[q_of_t])

        # Delisting on listing standards: market cap below $1.5M (at the base level) at a month
        # end. Rare by design: the planned exits, which IPOs replace size for size, are the
        # main way companies leave.
        cap = price * shares_level
        floor = 1.5e6 * np.exp(level - level[0])
        month_end = np.r_[sessions.month[1:] != sessions.month[:-1], True]
        breach = alive & (cap < floor[:, None]) & month_end[:, None] & (t_idx > first[None, :] + 60)
        hit = breach.any(axis=0)
        when = np.where(hit, np.argmax(breach, axis=0), n_t)
        standards = hit & (when < last)
        last = np.where(standards, when, last)
        exit_kind = np.where(standards, "listing-standards", exit_kind)
        alive = (t_idx >= first[None, :]) & (t_idx <= last[None, :])
        del cap, breach

        # Stock acquisitions: the acquirer is a company of the chunk 3-20 times the target's
        # size, alive at the date (so the largest companies do not swallow everything).
        stock_rows = []
        for i in np.flatnonzero(exit_kind == "stock-acquisition"):
            d = int(last[i])
            target_cap = price[d, i] * shares_level[d, i]
            caps_d = price[d] * shares_level[d]
            candidates = np.flatnonzero(
                alive[d]
                & (kind_arr == "main")
                & (caps_d > 3 * target_cap)
                & (caps_d < 20 * target_cap)
                & (last > d + 5)
            )
            if len(candidates) == 0:
                exit_kind[i] = "cash-acquisition"
                continue
            # Smaller eligible acquirers are likelier: deals do not all go to the giants.
            weights = 1 / caps_d[candidates]
            a = int(rng.choice(candidates, p=weights / weights.sum()))
            ratio = float(price[d, i] / price[d, a])
            stock_rows.append((d, i, a, ratio, shares_level[d, i] * ratio))
            shares_level[d + 1 :, a] += shares_level[d, i] * ratio

        # Splits and reverse splits keep raw prices in a realistic range.
        factor = np.ones((n_t, m))
        split_rows: list[tuple[int, int, float]] = []
        for line in range(m):
            if last[line] < first[line]:
                continue
            path = price[first[line] : last[line] + 1, line]
            cum = 1.0
            start = 20
            while start < len(path):
                raw = path[start:] / cum
                high = raw > rng.uniform(180, 400)
                low = (raw < 0.6) & (exit_kind[line] != "bankruptcy")
                nxt_high = int(np.argmax(high)) if high.any() else len(raw)
                nxt_low = int(np.argmax(low)) if low.any() else len(raw)
                nxt = min(nxt_high, nxt_low)
                if nxt >= len(raw):
                    break
                k = float(rng.choice([2.0, 3.0, 4.0])) if nxt == nxt_high else float(rng.choice([0.1, 0.2]))
                cum *= k
                t = first[line] + start + nxt
                factor[t:, line] *= k
                split_rows.append((t, line, k))
                start = start + nxt + 60
        raw_close = np.maximum(np.round(price / factor, 2), 0.01)
        shares_out = np.round(shares_level * factor)
        del price
        self.quarters = quarters
        self.q_of_t = q_of_t
        self.ff_path = ff_path
        self.last = last
        self.exit_kind = exit_kind
        self.alive = alive
        self.stock_rows = stock_rows
        self.split_rows = split_rows
        self.raw_close = raw_close
        self.shares_out = shares_out

    def trading(self) -> None:
        """Daily volume: turnover of the float, higher for small companies and in crises."""
        rng = self.rng
        n_t = self.n_t
        m = self.m
        smallness = self.smallness
        shares_out = self.shares_out
        ff_path = self.ff_path
        q_of_t = self.q_of_t
        turnover = np.exp(rng.normal(np.log(0.004), 0.4, m)) * (1 + 1.5 * smallness)
        volume = np.round(
            shares_out * ff_path[q_of_t] * turnover * np.exp(0.5 * rng.standard_normal((n_t, m)))
        )
        self.volume = volume

    def number_lines(self) -> None:
        """Security positions of the lines that ever list, after the lines of earlier chunks."""
        offset = self.out.n_securities
        self.listed = self.last >= self.first
        local = np.cumsum(self.listed) - 1  # position among this chunk's listed lines
        self.sid = offset + local
