"""The embedded demo market: a synthetic US equity market, deterministic from a seed.

It exists so that ``indexsmith demo`` and the tests run on a fresh machine with no data
of one's own. It is synthetic: no company in it is real, and its numbers are not real
prices. What it reproduces are the stylised facts index work depends on (see
``docs/demo-market.md`` and :func:`calibration`):

* about 4,000-4,500 listed companies, with IPOs, bankruptcies, cash and stock
  acquisitions, spin-offs, second share classes, splits and reverse splits, regular and
  special dividends, share issuance and buybacks, float factors, ticker changes;
* a market-cap distribution as concentrated as the US market's (top 1,000 ≈ 93% of cap);
* daily returns from a factor model (market, size, value, sector, idiosyncratic noise
  larger for smaller companies) whose market factor passes through public S&P 500 level
  anchors, so the crises of 2000-02, 2008-09 and 2020 happen when they did;
* quarterly fundamentals with reporting lags, losses concentrated in small companies, and
  small caps cheaper than large caps;
* security types, exchanges and domiciles that eligibility screens must remove.

The output is a set of tables in the documented format (``docs/data.md``), so
``indexsmith market export`` writes exactly what :func:`indexsmith.load_market` reads.
Same seed and size give byte-identical tables.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import attrs
import numpy as np
import pandas as pd

from indexsmith.calendars import get_calendar
from indexsmith.errors import DataError, Problem
from indexsmith.market import SCHEMA, Market

#: Sector, share of small companies, share of large companies, market beta.
SECTORS = (
    ("Information Technology", 0.11, 0.20, 1.20),
    ("Health Care", 0.17, 0.12, 0.90),
    ("Financials", 0.18, 0.13, 1.10),
    ("Industrials", 0.16, 0.10, 1.05),
    ("Consumer Discretionary", 0.11, 0.11, 1.15),
    ("Consumer Staples", 0.04, 0.07, 0.65),
    ("Energy", 0.05, 0.05, 1.20),
    ("Materials", 0.05, 0.04, 1.05),
    ("Real Estate", 0.07, 0.03, 0.90),
    ("Utilities", 0.03, 0.05, 0.55),
    ("Communication Services", 0.03, 0.10, 1.00),
)
SECURITY_TYPES = (
    ("common", 0.855),
    ("REIT", 0.04),
    ("ADR", 0.03),
    ("preferred", 0.015),
    ("ETF", 0.015),
    ("closed-end fund", 0.01),
    ("LP", 0.01),
    ("BDC", 0.005),
    ("SPAC", 0.015),
    ("tracking", 0.005),
)
EXCHANGES = (("XNAS", 0.50), ("XNYS", 0.40), ("XASE", 0.04), ("ARCX", 0.03), ("OTC", 0.03))
FOREIGN = ("KY", "BM", "IE", "NL", "GB", "CA", "IL", "CN", "CH", "JP")

#: Public S&P 500 closing levels used as anchors for the demo's market factor (the
#: synthetic market passes through the same ups and downs; nothing else is real).
MARKET_ANCHORS = (
    ("1995-01-03", 459),
    ("1998-07-17", 1187),
    ("1998-10-08", 960),
    ("2000-03-24", 1527),
    ("2001-09-21", 966),
    ("2002-10-09", 777),
    ("2007-10-09", 1565),
    ("2009-03-09", 677),
    ("2011-04-29", 1364),
    ("2011-10-03", 1099),
    ("2015-05-21", 2131),
    ("2016-02-11", 1829),
    ("2018-09-20", 2931),
    ("2018-12-24", 2351),
    ("2020-02-19", 3386),
    ("2020-03-23", 2237),
    ("2021-12-31", 4766),
    ("2022-10-12", 3577),
    ("2024-12-31", 5882),
    ("2025-04-08", 4983),
    ("2025-12-31", 6600),
)
#: Crisis windows: (first day, last day, volatility multiplier, size-factor drift per day).
CRISES = (
    ("2000-03-24", "2002-10-09", 1.5, 0.0),
    ("2008-09-01", "2009-03-09", 2.8, -0.0008),
    ("2020-02-20", "2020-03-23", 4.0, -0.004),
    ("2025-03-01", "2025-04-08", 2.0, -0.002),
)
#: Company size at rank k (USD billions at the first market anchor's level), log-linear
#: in log(rank) between these points; calibrated so that the targets in
#: :data:`CALIBRATION_TARGETS` hold.
SIZE_PROFILE = (
    (1, 560.0),
    (3, 380.0),
    (5, 275.0),
    (20, 56.0),
    (100, 13.0),
    (250, 6.8),
    (500, 3.6),
    (1000, 1.1),
    (1500, 0.38),
    (2000, 0.23),
    (3000, 0.19),
    (4000, 0.17),
    (4500, 0.15),
)


@attrs.frozen(kw_only=True)
class DemoSize:
    """How big a demo market to generate."""

    start: str
    end: str
    companies: int = attrs.field(metadata={"help": "companies listed on the first day"})
    exit_rate: float = attrs.field(
        metadata={
            "help": "planned delistings a year as a fraction of listed companies (x 0.5-1.5 by size); IPOs replace them"
        }
    )
    chunk: int = 1000


SIZES = {
    "small": DemoSize(start="2019-01-02", end="2021-12-31", companies=450, exit_rate=0.06),
    "full": DemoSize(start="1995-01-03", end="2025-12-31", companies=4000, exit_rate=0.064),
}
DEFAULT_SEED = 32
#: Spin-offs a year as a fraction of listed companies.
SPIN_RATE = 0.004


# -- the common factors -------------------------------------------------------------------


def market_factor(sessions: pd.DatetimeIndex, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Log level of the market (a Brownian bridge through the anchors) and daily volatility."""
    n_t = len(sessions)
    vol = np.full(n_t, 0.0095)
    for lo, hi, mult, _ in CRISES:
        vol[(sessions >= pd.Timestamp(lo)) & (sessions <= pd.Timestamp(hi))] *= mult
    anchor_days = pd.DatetimeIndex([pd.Timestamp(d) for d, _ in MARKET_ANCHORS])
    anchor_log = np.log([v for _, v in MARKET_ANCHORS], dtype=float)
    # Anchors inside the generated range, plus interpolated end points.
    pos = np.searchsorted(sessions.values, anchor_days.values)
    inside = (pos > 0) & (pos < n_t - 1)
    knots = np.concatenate([[0], pos[inside], [n_t - 1]])
    day_number = (sessions - anchor_days[0]).days.to_numpy(dtype=float)
    anchor_number = (anchor_days - anchor_days[0]).days.to_numpy(dtype=float)
    knot_level = np.interp(day_number[knots], anchor_number, anchor_log)
    shocks = rng.standard_normal(n_t) * vol
    shocks[0] = 0.0
    walk = np.cumsum(shocks)
    level = np.empty(n_t)
    for a, b, la, lb in zip(knots[:-1], knots[1:], knot_level[:-1], knot_level[1:], strict=True):
        span = np.arange(a, b + 1)
        frac = (span - a) / max(b - a, 1)
        bridge = walk[span] - walk[a] - frac * (walk[b] - walk[a])
        level[span] = la + frac * (lb - la) + bridge
    return level, vol


def size_profile(ranks: np.ndarray) -> np.ndarray:
    """Company size in USD at the given (possibly fractional) ranks, at the base level."""
    k, cap = np.array(SIZE_PROFILE, dtype=float).T
    return np.exp(np.interp(np.log(ranks), np.log(k), np.log(cap * 1e9)))


# -- the generator ----------------------------------------------------------------------------


@attrs.define
class _Roster:
    """Companies (rows) and what happens to them."""

    first: np.ndarray
    last: np.ndarray
    exit_kind: np.ndarray  # "", bankruptcy, cash-acquisition, stock-acquisition, voluntary
    sector: np.ndarray
    stype: np.ndarray
    exchange: np.ndarray
    base_cap: np.ndarray  # size at the base market level
    second_class: np.ndarray  # fraction of the company in a second listed class (0 = none)
    spin_at: np.ndarray  # session of a spin-off (-1 = none)
    spin_fraction: np.ndarray


def _roster(spec: DemoSize, n_t: int, rng: np.random.Generator) -> _Roster:
    years = n_t / 252
    # Planned exits have a hazard of exit_rate x (0.5 + smallness): small companies leave
    # sooner. IPOs replace them in number and, drawn by the same hazard over the size
    # profile, size for size, so the shape of the market holds over decades.
    scale = 4300 / spec.companies
    grid = np.arange(1, 4501, dtype=float)
    hazard = 0.5 + _smallness(size_profile(grid))
    # Spin-offs (SPIN_RATE a year) also bring new companies, so IPOs make up the rest.
    n_ipo = int(rng.poisson(spec.companies * (spec.exit_rate * hazard.mean() - SPIN_RATE) * years))
    n = spec.companies + n_ipo
    first = np.zeros(n, dtype=np.int64)
    first[spec.companies :] = np.sort(rng.integers(1, n_t, n_ipo))
    ipo_rank = np.interp(rng.random(n), np.cumsum(hazard) / hazard.sum(), grid)
    rank_draw = np.where(
        np.arange(n) < spec.companies,
        (np.concatenate([rng.permutation(spec.companies), np.zeros(n_ipo)]) + rng.random(n)) * scale + 1,
        ipo_rank,
    )
    base_cap = size_profile(rank_draw)
    base_cap *= np.exp(rng.normal(0, 0.15, n))
    smallness = _smallness(base_cap)
    rate = spec.exit_rate * (0.5 + smallness)
    life = (rng.exponential(1.0, n) * 252 / rate).astype(np.int64) + 120
    last = np.minimum(first + life, n_t - 1)
    kind = np.full(n, "", dtype=object)
    exits = last < n_t - 1
    u = rng.random(n)
    bankrupt_share = 0.1 + 0.3 * smallness
    kind[exits & (u < bankrupt_share)] = "bankruptcy"
    kind[exits & (u >= bankrupt_share) & (u < bankrupt_share + 0.15)] = "voluntary"
    acquired = exits & (u >= bankrupt_share + 0.15)
    kind[acquired] = np.where(rng.random(acquired.sum()) < 0.2, "stock-acquisition", "cash-acquisition")

    large_share = np.clip((np.log(base_cap) - np.log(2e8)) / (np.log(5e10) - np.log(2e8)), 0, 1)
    small_p = np.array([s[1] for s in SECTORS])
    large_p = np.array([s[2] for s in SECTORS])
    probs = (1 - large_share)[:, None] * small_p / small_p.sum() + large_share[
        :, None
    ] * large_p / large_p.sum()
    sector = (probs.cumsum(axis=1) < rng.random(n)[:, None]).sum(axis=1)
    stype = rng.choice(len(SECURITY_TYPES), n, p=_p([t[1] for t in SECURITY_TYPES]))
    # Fund-like lines and preferreds are small; REITs are real estate.
    type_names = np.array([t[0] for t in SECURITY_TYPES], dtype=object)[stype]
    base_cap[np.isin(type_names, ["preferred", "closed-end fund", "BDC", "SPAC", "LP"])] *= 0.3
    sector[type_names == "REIT"] = [s[0] for s in SECTORS].index("Real Estate")
    sector[np.isin(type_names, ["ETF", "closed-end fund", "BDC", "SPAC"])] = [s[0] for s in SECTORS].index(
        "Financials"
    )
    exchange = rng.choice(len(EXCHANGES), n, p=_p([e[1] for e in EXCHANGES]))
    # The largest companies list on the big boards, not OTC.
    exchange[(base_cap > 5e9) & (exchange >= 2)] = rng.integers(
        0, 2, ((base_cap > 5e9) & (exchange >= 2)).sum()
    )
    second = np.where((rng.random(n) < 0.015) & (type_names == "common"), rng.uniform(0.2, 0.5, n), 0.0)
    spin_at = np.full(n, -1, dtype=np.int64)
    eligible = np.flatnonzero((last - first > 600) & (type_names == "common"))
    spins = np.zeros(n, dtype=bool)
    spins[
        rng.choice(eligible, min(len(eligible), round(SPIN_RATE * spec.companies * years)), replace=False)
    ] = True
    spin_at[spins] = (
        first[spins] + 250 + (rng.random(spins.sum()) * (last[spins] - first[spins] - 500)).astype(np.int64)
    )
    spin_fraction = np.where(spins, rng.uniform(0.1, 0.3, n), 0.0)
    return _Roster(first, last, kind, sector, stype, exchange, base_cap, second, spin_at, spin_fraction)


def _smallness(cap: np.ndarray) -> np.ndarray:
    """0 for the largest companies, 1 for micro caps."""
    return np.clip((np.log(2e11) - np.log(np.maximum(cap, 1.0))) / np.log(2e11 / 2e7), 0, 1)


def _p(weights: list[float]) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return w / w.sum()


def generate(size: str | DemoSize = "small", seed: int = DEFAULT_SEED) -> dict[str, pd.DataFrame]:
    """The demo market's tables in the documented format."""
    spec = SIZES[size] if isinstance(size, str) else size
    sessions = get_calendar("XNYS").between(pd.Timestamp(spec.start).date(), pd.Timestamp(spec.end).date())
    n_t = len(sessions)
    streams = np.random.SeedSequence(seed).spawn(3)
    rng = np.random.default_rng(streams[0])
    level, vol = market_factor(sessions, rng)
    factors = _Factors.draw(sessions, vol, rng)
    roster = _roster(spec, n_t, rng)
    chunk_seeds = streams[1].spawn((len(roster.first) + spec.chunk - 1) // spec.chunk)

    out = _Output(sessions)
    for c, chunk_seed in enumerate(chunk_seeds):
        members = np.arange(c * spec.chunk, min((c + 1) * spec.chunk, len(roster.first)))
        _simulate_chunk(members, roster, level, factors, sessions, np.random.default_rng(chunk_seed), out)
    return out.tables(np.random.default_rng(streams[2]))


@attrs.define
class _Factors:
    size: np.ndarray
    value: np.ndarray
    sector: np.ndarray
    megacap: np.ndarray

    @classmethod
    def draw(cls, sessions: pd.DatetimeIndex, vol: np.ndarray, rng: np.random.Generator) -> _Factors:
        n_t = len(sessions)
        recent = sessions >= pd.Timestamp("2023-01-01")
        # Small caps fall further in crises and catch up afterwards: before 2023 the size
        # factor's drift nets to zero, so decades do not shrink small caps for good.
        size = 0.0025 * rng.standard_normal(n_t) * (vol / 0.0095) ** 0.5
        for lo, hi, _, drift in CRISES:
            size[(sessions >= pd.Timestamp(lo)) & (sessions <= pd.Timestamp(hi))] += drift
        if (~recent).any():
            size[~recent] -= size[~recent].sum() / (~recent).sum()
        # Small caps lagged the AI-led large caps from 2023.
        size[recent] -= 0.0004
        # Styles and sector leadership rotate: mean-reverting factors (half-life ~3 years).
        shocks = rng.standard_normal((n_t, len(SECTORS) + 1)) * np.r_[np.full(len(SECTORS), 0.0032), 0.003]
        rotating = np.empty_like(shocks)
        state = np.zeros(shocks.shape[1])
        for t in range(n_t):
            state = 0.99908 * state + shocks[t]
            rotating[t] = state
        # The largest companies pulled ahead from 2023 (the AI-led rally).
        megacap = np.where(recent, 0.00012, 0.0)
        return cls(np.cumsum(size), rotating[:, -1].copy(), rotating[:, :-1].copy(), np.cumsum(megacap))


@attrs.define
class _Output:
    """Rows collected chunk by chunk."""

    sessions: pd.DatetimeIndex
    prices: list[tuple[np.ndarray, ...]] = attrs.Factory(list)
    shares: list[tuple[np.ndarray, ...]] = attrs.Factory(list)
    dividends: list[tuple[np.ndarray, ...]] = attrs.Factory(list)
    actions: list[pd.DataFrame] = attrs.Factory(list)
    fundamentals: list[tuple[np.ndarray, ...]] = attrs.Factory(list)
    securities: list[dict[str, np.ndarray]] = attrs.Factory(list)
    n_securities: int = 0

    def _merged_prices(self, id_type: pd.CategoricalDtype) -> pd.DataFrame:
        t, s, close, volume = _time_major(self.prices, len(self.sessions))
        frame = pd.DataFrame(
            {
                "date": self.sessions.values[t],
                "security_id": pd.Categorical.from_codes(s, dtype=id_type),
                "close": close,
                "volume": volume,
            },
            copy=False,
        )
        return frame

    def tables(self, rng: np.random.Generator) -> dict[str, pd.DataFrame]:
        n = self.n_securities
        ids = np.array([f"S{i:06d}" for i in range(n)], dtype=object)
        id_type = pd.CategoricalDtype(ids)
        dates = self.sessions.values

        sec = {k: np.concatenate([s[k] for s in self.securities]) for k in self.securities[0]}
        tickers = _tickers(n, rng)
        names = [
            f"{t.title()} {SECTORS[s][0].split()[0]} {suffix}"
            for t, s, suffix in zip(
                tickers, sec["sector"], rng.choice(["Corp", "Inc", "Holdings", "Group", "Co"], n), strict=True
            )
        ]
        country_inc = np.full(n, "US", dtype=object)
        country_hq = np.full(n, "US", dtype=object)
        type_names = np.array([t[0] for t in SECURITY_TYPES], dtype=object)[sec["stype"]]
        foreign_inc = (rng.random(n) < 0.06) & (type_names != "ADR")
        country_inc[foreign_inc] = rng.choice(FOREIGN, foreign_inc.sum())
        adr = type_names == "ADR"
        country_inc[adr] = rng.choice(FOREIGN, adr.sum())
        country_hq[adr] = country_inc[adr]
        delisted = sec["last"] < len(self.sessions) - 1
        securities = pd.DataFrame(
            {
                "security_id": ids,
                "company_id": np.array([f"C{c:06d}" for c in sec["company"]], dtype=object),
                "ticker": tickers,
                "name": names,
                "sector": np.array([s[0] for s in SECTORS], dtype=object)[sec["sector"]],
                "industry": [
                    f"{SECTORS[s][0]} {k}" for s, k in zip(sec["sector"], rng.integers(1, 6, n), strict=True)
                ],
                "exchange": np.array([e[0] for e in EXCHANGES], dtype=object)[sec["exchange"]],
                "country_of_incorporation": country_inc,
                "country_of_headquarters": country_hq,
                "security_type": type_names,
                "listing_date": dates[sec["first"]],
                "delisting_date": np.where(
                    delisted, dates[np.minimum(sec["last"], len(dates) - 1)], np.datetime64("NaT")
                ),
            }
        )
        securities["delisting_date"] = pd.to_datetime(securities["delisting_date"]).astype("datetime64[ns]")

        prices = self._merged_prices(id_type)

        shares = _by_date(self.shares, dates, id_type, "date", ("shares_outstanding", "float_factor"))
        dividends = _by_date(self.dividends, dates, id_type, "ex_date", ("amount", "kind"))
        actions = pd.concat(self.actions, ignore_index=True)
        # Ticker changes: a few a year, to companies still listed afterwards.
        n_changes = int(len(self.sessions) / 252 * 0.004 * n) if n else 0
        who = rng.choice(n, n_changes, replace=False) if n_changes else np.zeros(0, dtype=np.int64)
        when = sec["first"][who] + (
            (sec["last"][who] - sec["first"][who]) * rng.uniform(0.2, 0.8, len(who))
        ).astype(np.int64)
        new_tickers = [f"{tickers[w]}X" for w in who]
        changes = pd.DataFrame({"t": when, "s": who, "action": "ticker-change", "new_ticker": new_tickers})
        actions = pd.concat([actions, changes], ignore_index=True)
        actions = actions.sort_values(["t", "s", "action"], kind="stable").reset_index(drop=True)
        columns = [c.name for c in SCHEMA["corporate_actions"]]
        corporate_actions = pd.DataFrame(
            {
                "date": dates[actions["t"].to_numpy(dtype=np.int64)],
                "security_id": ids[actions["s"].to_numpy(dtype=np.int64)],
                "action": actions["action"].to_numpy(dtype=object),
                "ratio": actions.get("ratio", pd.Series(np.nan, index=actions.index)).to_numpy(dtype=float),
                "cash": actions.get("cash", pd.Series(np.nan, index=actions.index)).to_numpy(dtype=float),
                "acquirer_id": _ids_or_none(actions.get("acquirer"), ids, len(actions)),
                "new_security_id": _ids_or_none(actions.get("new_security"), ids, len(actions)),
                "reason": actions.get("reason", pd.Series(None, index=actions.index))
                .astype(object)
                .where(lambda x: x.notna(), None)
                .to_numpy(),
                "new_ticker": actions.get("new_ticker", pd.Series(None, index=actions.index))
                .astype(object)
                .where(lambda x: x.notna(), None)
                .to_numpy(),
            },
            columns=columns,
        )

        s, period_end, available, ni, be, sales = (
            np.concatenate(parts) for parts in zip(*self.fundamentals, strict=True)
        )
        order = np.lexsort((s, available))
        fundamentals = pd.DataFrame(
            {
                "security_id": pd.Categorical.from_codes(s[order], dtype=id_type),
                "period_end": period_end[order],
                "available_date": available[order],
                "net_income": ni[order],
                "book_equity": be[order],
                "sales": sales[order],
            }
        )
        return {
            "securities": securities,
            "prices": prices,
            "shares": shares,
            "dividends": dividends,
            "corporate_actions": corporate_actions,
            "fundamentals": fundamentals,
        }


def _by_date(
    chunks: list[tuple[np.ndarray, ...]],
    dates: np.ndarray,
    id_type: pd.CategoricalDtype,
    date_column: str,
    value_columns: tuple[str, ...],
) -> pd.DataFrame:
    """Rows collected as (session, security, values...) per chunk, as a table ordered by
    date then security."""
    t, s, *values = (np.concatenate(parts) for parts in zip(*chunks, strict=True))
    order = np.lexsort((s, t))
    columns = {
        date_column: dates[t[order]],
        "security_id": pd.Categorical.from_codes(s[order], dtype=id_type),
    }
    columns.update({name: v[order] for name, v in zip(value_columns, values, strict=True)})
    return pd.DataFrame(columns)


def _time_major(chunks: list[tuple[np.ndarray, ...]], n_sessions: int) -> tuple[np.ndarray, ...]:
    """Merge per-chunk rows (each sorted by session, chunks in security order) into one
    session-major order without sorting all rows: a counting merge, chunk by chunk."""
    counts = np.array([np.bincount(c[0], minlength=n_sessions) for c in chunks])
    per_session = counts.sum(axis=0)
    session_start = np.concatenate([[0], np.cumsum(per_session)[:-1]])
    before = np.cumsum(counts, axis=0) - counts  # rows of earlier chunks in the same session
    total = int(per_session.sum())
    out = [np.empty(total, dtype=a.dtype) for a in chunks[0]]
    while chunks:
        c = len(counts) - len(chunks)
        rows = chunks.pop(0)
        t = rows[0].astype(np.int64)
        block_start = np.concatenate([[0], np.cumsum(counts[c])[:-1]])
        dest = session_start[t] + before[c][t] + (np.arange(len(t)) - block_start[t])
        for target, values in zip(out, rows, strict=True):
            target[dest] = values
    return tuple(out)


def _ids_or_none(codes: pd.Series | None, ids: np.ndarray, n: int) -> np.ndarray:
    """Security ids for row codes (NaN -> None); all None when the column is absent."""
    if codes is None:
        return np.full(n, None, dtype=object)
    values = codes.to_numpy(dtype=float)
    out = np.full(len(values), None, dtype=object)
    ok = ~np.isnan(values)
    out[ok] = ids[values[ok].astype(np.int64)]
    return out


def _tickers(n: int, rng: np.random.Generator) -> np.ndarray:
    letters = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    out: dict[str, None] = {}
    while len(out) < n:
        batch = rng.choice(letters, (max(n - len(out), 16) * 2, 4))
        lengths = rng.integers(2, 5, len(batch))
        for row, length in zip(batch, lengths, strict=True):
            out.setdefault("".join(row[:length]), None)
            if len(out) == n:
                break
    return np.array(list(out), dtype=object)


def _simulate_chunk(
    members: np.ndarray,
    roster: _Roster,
    level: np.ndarray,
    factors: _Factors,
    sessions: pd.DatetimeIndex,
    rng: np.random.Generator,
    out: _Output,
) -> None:
    """Price, share, dividend, action and fundamental rows for a block of companies."""
    n_t = len(sessions)
    t_idx = np.arange(n_t)[:, None]
    # Lines: each company, plus second classes and spin-off children (new companies).
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

    # Size: the roster's base cap, scaled to the market level at listing.
    base = roster.base_cap[src].copy()
    base[kind_arr == "class"] *= roster.second_class[src[kind_arr == "class"]]
    base[(kind_arr == "main") & (roster.second_class[src] > 0)] *= (
        1 - roster.second_class[src[(kind_arr == "main") & (roster.second_class[src] > 0)]]
    )
    smallness = _smallness(base * np.exp(level[first] - level[0]))
    beta = np.array([SECTORS[s][3] for s in sector]) * rng.normal(1, 0.12, m)
    size_load = smallness * 1.4 - 0.3
    value_load = rng.normal(0, 0.7, m)
    mega = (roster.base_cap[src] > 6e10) & (kind_arr == "main")
    # Idiosyncratic: a mean-reverting size deviation and transient noise. No random walk:
    # over decades it would spread company sizes without bound and hollow out the
    # cross-section that the calibration targets describe.
    sigma_ou = 0.003 + 0.01 * smallness
    sigma_tr = 0.006 + 0.016 * smallness
    phi = 0.9994
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
        + factors.megacap[:, None] * mega
        + ou
        + rng.standard_normal((n_t, m)) * sigma_tr
    )
    del ou
    # Second classes track their company's main line closely.
    for i in np.flatnonzero(kind_arr == "class"):
        main = np.flatnonzero((company_arr == company_arr[i]) & (kind_arr == "main"))[0]
        log_p[:, i] = (
            log_p[:, main] + 0.002 * np.cumsum(rng.standard_normal(n_t)) * 0.1 + np.log(rng.uniform(0.9, 1.1))
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
    # Share counts: issuance and buybacks each quarter.
    quarters = _quarter_sessions(sessions)
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

    # Daily volume: turnover of the float, higher for small companies and in crises.
    turnover = np.exp(rng.normal(np.log(0.004), 0.4, m)) * (1 + 1.5 * smallness)
    volume = np.round(shares_out * ff_path[q_of_t] * turnover * np.exp(0.5 * rng.standard_normal((n_t, m))))

    # -- rows ------------------------------------------------------------------------
    offset = out.n_securities
    listed = last >= first
    local = np.cumsum(listed) - 1  # position among this chunk's listed lines
    sid = offset + local
    t_alive, i_alive = np.nonzero(alive & listed[None, :])
    out.prices.append(
        (
            t_alive.astype(np.int16),
            sid[i_alive].astype(np.int32),
            raw_close[t_alive, i_alive],
            volume[t_alive, i_alive],
        )
    )

    # Share rows: at listing, at each quarter start, on splits and on stock issuance.
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

    # Dividends: regular quarterly for payers, some specials.
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

    # Corporate actions.
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

    # Fundamentals: quarterly net income, book equity and sales, reported with a lag.
    _fundamentals(out, sessions, level, raw_close, shares_out, value_load, first, last, listed, sid, rng)

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


def _quarter_sessions(sessions: pd.DatetimeIndex) -> np.ndarray:
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
        small = _smallness(cap * np.exp(level[0] - level[t_ref]))
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


# -- calibration ------------------------------------------------------------------------------

#: What the demo market must look like (from the facts in the user's source documents):
#: name -> (low, high).
CALIBRATION_TARGETS = {
    "listed companies": (4000, 4500),
    "top 1,000 share of cap": (0.91, 0.95),
    "top 3,000 share of cap": (0.97, 0.99),
    "companies to 70% of cap": (200, 300),
    "companies to 85% of cap": (500, 700),
    "companies to 98% of cap": (1800, 2800),
    "top 5 share of top-500 cap": (0.18, 0.30),
    "P/E of ranks 1,001-3,000": (13.0, 20.0),
    "P/E of the top 500": (20.0, 28.0),
    "loss-makers in ranks 1,001-3,000": (0.30, 0.45),
    "financials in ranks 1,001-3,000": (0.12, 0.22),
    "health care in ranks 1,001-3,000": (0.12, 0.22),
    "industrials in ranks 1,001-3,000": (0.12, 0.22),
}


#: The dates the calibration is checked on (the end date and two earlier ones).
CALIBRATION_DATES = ("2005-06-30", "2015-06-30", "2025-12-31")


def calibration(market: Market, date: str | pd.Timestamp) -> dict[str, float]:
    """The calibration figures of a market on a date.

    Companies are operating companies (every listed company but funds and preferred
    lines), ranked by total company market cap. P/E is the
    cap-weighted harmonic P/E of companies with positive trailing four-quarter earnings
    (sum of caps / sum of earnings), as providers quote it.
    """
    view = market.view(date)
    listed = view.securities
    companies = listed[~listed["security_type"].isin(["ETF", "closed-end fund", "preferred"])]
    caps = (
        view.company_market_cap(companies.index)
        .groupby(companies["company_id"])
        .first()
        .sort_values(ascending=False)
    )
    share = caps.cumsum() / caps.sum()
    earnings = view.ttm(companies.index).groupby(companies["company_id"]).sum(min_count=1).reindex(caps.index)
    sector = companies.groupby("company_id")["sector"].first().reindex(caps.index)

    def pe(sl: slice) -> float:
        c, e = caps.iloc[sl], earnings.iloc[sl]
        positive = e > 0
        return float(c[positive].sum() / e[positive].sum())

    small = slice(1000, 3000)
    small_caps = caps.iloc[small]
    weights = small_caps.groupby(sector.iloc[small]).sum() / small_caps.sum()
    return {
        "listed companies": float(listed["company_id"].nunique()),
        "top 1,000 share of cap": float(share.iloc[999]),
        "top 3,000 share of cap": float(share.iloc[2999]),
        "companies to 70% of cap": float(np.searchsorted(share.to_numpy(), 0.70) + 1),
        "companies to 85% of cap": float(np.searchsorted(share.to_numpy(), 0.85) + 1),
        "companies to 98% of cap": float(np.searchsorted(share.to_numpy(), 0.98) + 1),
        "top 5 share of top-500 cap": float(caps.iloc[:5].sum() / caps.iloc[:500].sum()),
        "P/E of ranks 1,001-3,000": pe(small),
        "P/E of the top 500": pe(slice(0, 500)),
        "loss-makers in ranks 1,001-3,000": float((earnings.iloc[small] <= 0).mean()),
        "financials in ranks 1,001-3,000": float(weights.get("Financials", 0.0)),
        "health care in ranks 1,001-3,000": float(weights.get("Health Care", 0.0)),
        "industrials in ranks 1,001-3,000": float(weights.get("Industrials", 0.0)),
    }


# -- cache ----------------------------------------------------------------------------------


def cache_name(size: str, seed: int) -> str:
    """The cache folder of a demo market: it names the generator's own source hash, so a
    changed generator never reuses a market made by an older one."""
    source = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]
    return f"demo-{size}-{seed}-{source}"


def cache_dir() -> Path:
    """Where generated demo markets are kept: ``$INDEXSMITH_CACHE_DIR`` or the user cache."""
    env = os.environ.get("INDEXSMITH_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("indexsmith"))


def export(
    tables: dict[str, pd.DataFrame], directory: str | Path, *, fmt: str = "parquet", overwrite: bool = True
) -> Path:
    """Write tables in the documented format, all at once (temporary folder, then move)."""
    from indexsmith.result import atomic_directory, write_parquet

    directory = Path(directory)
    with atomic_directory(directory, overwrite=overwrite) as tmp:
        for name, frame in tables.items():
            if fmt == "parquet":
                write_parquet(frame, tmp / f"{name}.parquet")
            else:
                frame.to_csv(tmp / f"{name}.csv", index=False, date_format="%Y-%m-%d")
    return directory


def demo_market(
    size: str = "small", seed: int = DEFAULT_SEED, *, progress: Callable[[str], None] | None = None
) -> Market:
    """The demo market, generated once and then loaded from the cache."""
    from indexsmith.market import load_market

    if size not in SIZES:
        raise DataError(
            [Problem(f"unknown demo market size '{size}'", hint=f"use one of {', '.join(SIZES)}")]
        )
    directory = cache_dir() / cache_name(size, seed)
    if not (directory / "prices.parquet").exists():
        if progress:
            progress(f"generating the {size} demo market (seed {seed}) into {directory}")
        export(generate(size, seed), directory)
    elif progress:
        progress(f"loading the {size} demo market from {directory}")
    return load_market(directory)
