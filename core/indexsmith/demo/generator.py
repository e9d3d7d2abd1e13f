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

import attrs
import numpy as np
import pandas as pd

from indexsmith.data.calendars import get_calendar
from indexsmith.data.schema import SCHEMA
from indexsmith.demo.profile import (
    CRISES,
    EXCHANGES,
    FOREIGN,
    LEADERSHIP_MOVES,
    MARKET_ANCHORS,
    SECTORS,
    SECURITY_TYPES,
    SIZE_MOVES,
    SIZE_NOISE,
    size_profile,
    smallness_of,
)
from indexsmith.demo.simulation import Chunk


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
    for lo, hi, mult in CRISES:
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
    hazard = 0.5 + smallness_of(size_profile(grid))
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
    smallness = smallness_of(base_cap)
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
        Chunk(members, roster, level, factors, sessions, np.random.default_rng(chunk_seed), out).run()
    return out.tables(np.random.default_rng(streams[2]))


def _moves(sessions: pd.DatetimeIndex, moves: tuple[tuple[str, str, float], ...]) -> np.ndarray:
    """Daily drift that spreads each (first, last, log move) evenly over its sessions."""
    drift = np.zeros(len(sessions))
    for lo, hi, move in moves:
        inside = (sessions >= pd.Timestamp(lo)) & (sessions <= pd.Timestamp(hi))
        if inside.any():
            drift[inside] += move / inside.sum()
    return drift


@attrs.define
class _Factors:
    size: np.ndarray
    value: np.ndarray
    sector: np.ndarray
    leadership: np.ndarray

    @classmethod
    def draw(cls, sessions: pd.DatetimeIndex, vol: np.ndarray, rng: np.random.Generator) -> _Factors:
        n_t = len(sessions)
        # The size factor: a persistent noise (small and large caps do not move in lockstep
        # day to day) plus the episodes of SIZE_MOVES, netted to zero before 2023.
        sigma, persistence = SIZE_NOISE
        shocks = sigma * rng.standard_normal(n_t) * (vol / 0.0095) ** 0.5
        noise = np.empty(n_t)
        state = 0.0
        for t in range(n_t):
            state = persistence * state + shocks[t]
            noise[t] = state
        drift = _moves(sessions, SIZE_MOVES)
        before = sessions < pd.Timestamp("2023-01-01")
        if before.any():
            drift[before] -= drift[before].sum() / before.sum()
        # Styles and sector leadership rotate: mean-reverting factors (half-life ~3 years).
        shocks = rng.standard_normal((n_t, len(SECTORS) + 1)) * np.r_[np.full(len(SECTORS), 0.0032), 0.003]
        rotating = np.empty_like(shocks)
        state_ = np.zeros(shocks.shape[1])
        for t in range(n_t):
            state_ = 0.99908 * state_ + shocks[t]
            rotating[t] = state_
        leadership = np.cumsum(_moves(sessions, LEADERSHIP_MOVES))
        return cls(noise + np.cumsum(drift), rotating[:, -1].copy(), rotating[:, :-1].copy(), leadership)


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
