"""The embedded demo market: a synthetic US equity market, deterministic from a seed.

It exists so that ``indexsmith demo`` and the tests run on a fresh machine with no data
of one's own. Companies list (IPOs) and leave (bankruptcies, cash acquisitions); prices
follow a factor model (market, size, value, sector and idiosyncratic noise that is larger
for smaller companies) with crisis episodes; companies split and reverse-split, pay
regular and special dividends, issue and buy back shares, and report quarterly
fundamentals with lags and losses. A minority are foreign-domiciled, ADRs, or security
types that eligibility screens must remove.

The output is a set of tables in the documented format (``docs/data.md``), so
``indexsmith market export`` writes exactly what :func:`indexsmith.load_market` reads.
Same seed and size give byte-identical tables.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import attrs
import numpy as np
import pandas as pd

from indexsmith.calendars import get_calendar
from indexsmith.errors import DataError, Problem
from indexsmith.market import SCHEMA, Market

SECTORS = (
    ("Information Technology", 0.14, 1.15),
    ("Health Care", 0.15, 0.95),
    ("Financials", 0.17, 1.05),
    ("Industrials", 0.15, 1.05),
    ("Consumer Discretionary", 0.11, 1.15),
    ("Consumer Staples", 0.05, 0.65),
    ("Energy", 0.05, 1.2),
    ("Materials", 0.05, 1.05),
    ("Real Estate", 0.06, 0.9),
    ("Utilities", 0.03, 0.55),
    ("Communication Services", 0.04, 1.0),
)
SECURITY_TYPES = (
    ("common", 0.86),
    ("REIT", 0.04),
    ("ADR", 0.03),
    ("preferred", 0.015),
    ("ETF", 0.015),
    ("closed-end fund", 0.01),
    ("LP", 0.01),
    ("BDC", 0.005),
    ("SPAC", 0.015),
)
EXCHANGES = (("XNAS", 0.5), ("XNYS", 0.4), ("XASE", 0.04), ("ARCX", 0.03), ("OTC", 0.03))
FOREIGN = ("KY", "BM", "IE", "NL", "GB", "CA", "IL", "CN")
#: Crisis episodes: (first day, last day, daily market drift, volatility multiplier).
CRISES = (
    ("2000-03-27", "2002-10-09", -0.0009, 1.6),
    ("2008-09-01", "2009-03-09", -0.0035, 2.8),
    ("2020-02-20", "2020-03-23", -0.012, 4.0),
)


@attrs.frozen(kw_only=True)
class DemoSize:
    """How big a demo market to generate."""

    start: str
    end: str
    companies: int = attrs.field(metadata={"help": "companies listed on the first day"})
    ipo_rate: float = attrs.field(metadata={"help": "IPOs a year as a fraction of listed companies"})
    exit_rate: float = attrs.field(metadata={"help": "delistings a year as a fraction of listed companies"})


SIZES = {
    "small": DemoSize(start="2019-01-02", end="2021-12-31", companies=450, ipo_rate=0.07, exit_rate=0.06),
    "full": DemoSize(start="1995-01-03", end="2025-12-31", companies=4300, ipo_rate=0.075, exit_rate=0.072),
}
DEFAULT_SEED = 20240430


def generate(size: str | DemoSize = "small", seed: int = DEFAULT_SEED) -> dict[str, pd.DataFrame]:
    """The demo market's tables in the documented format."""
    spec = SIZES[size] if isinstance(size, str) else size
    rng = np.random.default_rng(seed)
    sessions = get_calendar("XNYS").between(pd.Timestamp(spec.start).date(), pd.Timestamp(spec.end).date())
    n_t = len(sessions)
    years = n_t / 252

    # -- who exists when -----------------------------------------------------------------
    n_ipo = rng.poisson(spec.companies * spec.ipo_rate * years)
    n = spec.companies + n_ipo
    first = np.zeros(n, dtype=np.int64)
    first[spec.companies :] = np.sort(rng.integers(1, n_t, n_ipo))
    # Exits: an exponential lifetime calibrated to the exit rate, censored at the end.
    life = rng.exponential(252 / spec.exit_rate, n).astype(np.int64) + 60
    last = np.minimum(first + life, n_t - 1)
    exits = last < n_t - 1

    sector = rng.choice(len(SECTORS), n, p=_p([s[1] for s in SECTORS]))
    stype = rng.choice(len(SECURITY_TYPES), n, p=_p([t[1] for t in SECURITY_TYPES]))
    sector[np.array([SECURITY_TYPES[t][0] for t in stype]) == "REIT"] = [s[0] for s in SECTORS].index(
        "Real Estate"
    )
    exchange = rng.choice(len(EXCHANGES), n, p=_p([e[1] for e in EXCHANGES]))

    # -- size: a heavy-tailed cross-section of market caps --------------------------------
    # Pareto tail (alpha ~0.75) over a lognormal body; IPOs start smaller on average.
    body = rng.lognormal(np.log(8e8), 1.3, n)
    tail = 3e8 * rng.pareto(0.78, n)
    cap0 = np.maximum(body, tail) * np.where(np.arange(n) >= spec.companies, 0.6, 1.0)
    cap0 = np.clip(cap0, 3e6, 3.5e12)
    price0 = np.exp(rng.normal(np.log(28), 0.8, n)) * (cap0 / 1e9) ** 0.12
    price0 = np.clip(price0, 0.4, 900)
    shares0 = cap0 / price0

    # -- returns: factor model -------------------------------------------------------------
    drift = np.full(n_t, 0.00035)
    vol = np.full(n_t, 0.0105)
    for lo, hi, mu, mult in CRISES:
        window = (sessions >= pd.Timestamp(lo)) & (sessions <= pd.Timestamp(hi))
        drift[window] = mu
        vol[window] *= mult
        # A rebound after each crisis.
        after = (sessions > pd.Timestamp(hi)) & (sessions <= pd.Timestamp(hi) + pd.Timedelta(days=240))
        drift[after] = 0.0012
    market = drift + vol * rng.standard_normal(n_t)
    size_factor = 0.0025 * rng.standard_normal(n_t) + np.where(vol > 0.0106, -0.0006, 0.00003)
    value_factor = 0.003 * rng.standard_normal(n_t)
    sector_factor = 0.006 * rng.standard_normal((n_t, len(SECTORS)))
    smallness = np.clip((np.log(1e11) - np.log(cap0)) / np.log(1e11 / 1e7), 0, 1)
    beta = np.array([SECTORS[s][2] for s in sector]) * rng.normal(1, 0.15, n)
    size_load = smallness * 1.6 - 0.3
    value_load = rng.normal(0, 0.8, n)
    idio = 0.008 + 0.028 * smallness**1.5
    # Large companies have compounded faster in the recent decade (the megacap effect).
    alpha = np.where(cap0 > 2e11, 0.0002, 0.0) - 0.00012 * smallness
    shocks = rng.standard_normal((n_t, n)).astype(np.float64)
    log_r = (
        market[:, None] * beta
        + size_factor[:, None] * size_load
        + value_factor[:, None] * value_load
        + sector_factor[:, sector]
        + shocks * idio
        + alpha
        - 0.5 * (idio**2)
    )
    # Bankruptcies decline into delisting; acquisitions jump to a premium.
    bankrupt = exits & (rng.random(n) < 0.35)
    acquired = exits & ~bankrupt
    t_idx = np.arange(n_t)[:, None]
    decline = bankrupt[None, :] & (t_idx > last[None, :] - 120) & (t_idx <= last[None, :])
    log_r = np.where(decline, log_r - 0.025, log_r)
    alive = (t_idx >= first[None, :]) & (t_idx <= last[None, :])
    log_r = np.where(alive & (t_idx > first[None, :]), log_r, 0.0)
    log_price = np.log(price0)[None, :] + np.cumsum(log_r, axis=0)
    del log_r, shocks, decline
    price = np.exp(log_price)
    del log_price

    # -- splits keep prices in a realistic range ------------------------------------------
    split_rows: list[tuple[int, int, float]] = []
    factor = np.ones((n_t, n))
    for j in np.flatnonzero((price * alive).max(axis=0) > 250) if n else []:
        _splits(int(j), price[:, j], factor[:, j], first[j], last[j], rng, split_rows, up=True)
    for j in np.flatnonzero(np.where(alive, price, np.inf).min(axis=0) < 0.5):
        if not bankrupt[j]:
            _splits(int(j), price[:, j], factor[:, j], first[j], last[j], rng, split_rows, up=False)
    raw = np.round(price / factor, 2)
    raw = np.maximum(raw, 0.01)
    del price

    ids = np.array([f"S{i:05d}" for i in range(n)], dtype=object)
    company = np.array([f"C{i:05d}" for i in range(n)], dtype=object)
    tickers = _tickers(n, rng)

    # -- volume: turnover higher for small companies --------------------------------------
    turnover = np.exp(rng.normal(np.log(0.006), 0.5, n)) * (1 + smallness)
    shares_path = shares0[None, :] * factor
    volume = np.round(shares_path * turnover * np.exp(0.6 * rng.standard_normal((n_t, n)))) // 1

    prices = _long(sessions, ids, raw, volume, alive)

    # -- shares: issuance, buybacks and splits, quarterly rows ----------------------------
    float_factor = np.clip(rng.beta(9, 2, n), 0.06, 1.0)
    float_factor[rng.random(n) < 0.015] = rng.uniform(0.01, 0.05)
    float_factor = np.round(float_factor, 4)
    shares = _shares(sessions, ids, shares0, factor, float_factor, first, last, rng)

    delisting = np.where(exits, sessions[last].values, np.datetime64("NaT"))
    country_inc = np.full(n, "US", dtype=object)
    country_hq = np.full(n, "US", dtype=object)
    foreign_inc = rng.random(n) < 0.06
    country_inc[foreign_inc] = rng.choice(FOREIGN, foreign_inc.sum())
    adr = np.array([SECURITY_TYPES[t][0] for t in stype]) == "ADR"
    country_inc[adr] = rng.choice(FOREIGN, adr.sum())
    country_hq[adr] = country_inc[adr]
    securities = pd.DataFrame(
        {
            "security_id": ids,
            "company_id": company,
            "ticker": tickers,
            "name": [
                f"{t.title()} {SECTORS[s][0].split()[0]} Corp" for t, s in zip(tickers, sector, strict=True)
            ],
            "sector": [SECTORS[s][0] for s in sector],
            "industry": [f"{SECTORS[s][0]} {k}" for s, k in zip(sector, rng.integers(1, 5, n), strict=True)],
            "exchange": [EXCHANGES[e][0] for e in exchange],
            "country_of_incorporation": country_inc,
            "country_of_headquarters": country_hq,
            "security_type": [SECURITY_TYPES[t][0] for t in stype],
            "listing_date": sessions[first].values,
            "delisting_date": pd.to_datetime(delisting),
        }
    )

    dividends = _dividends(sessions, ids, raw, cap0, first, last, rng)
    actions = _actions(sessions, ids, split_rows, last, bankrupt, acquired, raw)
    fundamentals = _fundamentals(sessions, ids, raw, shares_path, smallness, value_load, first, last, rng)
    return {
        "securities": securities,
        "prices": prices,
        "shares": shares,
        "dividends": dividends,
        "corporate_actions": actions,
        "fundamentals": fundamentals,
    }


def _p(weights: list[float]) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return w / w.sum()


def _tickers(n: int, rng: np.random.Generator) -> np.ndarray:
    letters = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    out: dict[str, None] = {}
    while len(out) < n:
        length = rng.integers(2, 5)
        out.setdefault("".join(rng.choice(letters, length)), None)
    return np.array(list(out), dtype=object)


def _splits(
    j: int,
    price: np.ndarray,
    factor: np.ndarray,
    first: int,
    last: int,
    rng: np.random.Generator,
    rows: list,
    up: bool,
) -> None:
    """Walk a price path and split whenever the raw price leaves its range."""
    cum = 1.0
    t = first + 20
    while t <= last:
        p = price[t] / cum
        if up and p > 250:
            k = float(rng.choice([2, 3, 4]))
        elif not up and p < 0.5:
            k = 0.1
        else:
            t += 1
            continue
        cum *= k
        factor[t:] *= k
        rows.append((t, j, k))
        t += 40


def _long(
    sessions: pd.DatetimeIndex, ids: np.ndarray, close: np.ndarray, volume: np.ndarray, alive: np.ndarray
) -> pd.DataFrame:
    t, j = np.nonzero(alive)
    order = np.lexsort((j, t))
    t, j = t[order], j[order]
    return pd.DataFrame(
        {"date": sessions.values[t], "security_id": ids[j], "close": close[t, j], "volume": volume[t, j]}
    )


def _quarter_sessions(sessions: pd.DatetimeIndex) -> np.ndarray:
    months = sessions.to_period("M")
    first_of_quarter = (months.month % 3 == 1) & np.r_[True, months[1:] != months[:-1]]
    return np.flatnonzero(first_of_quarter)


def _shares(sessions, ids, shares0, factor, float_factor, first, last, rng) -> pd.DataFrame:
    """A share row at listing, at each quarter start (issuance, buybacks, float changes)
    and on each split date."""
    n = len(ids)
    quarters = _quarter_sessions(sessions)
    # Net issuance: most companies drift slowly; a few issue or buy back a lot.
    jumps = np.where(rng.random((len(quarters), n)) < 0.03, rng.normal(0, 0.12, (len(quarters), n)), 0)
    level = np.exp(np.cumsum(rng.normal(0.003, 0.012, (len(quarters), n)) + jumps, axis=0))
    float_moves = np.where(rng.random((len(quarters), n)) < 0.05, rng.normal(0, 0.05, (len(quarters), n)), 0)
    ff_path = np.clip(float_factor[None, :] + np.cumsum(float_moves, axis=0), 0.01, 1.0)
    level = np.vstack([np.ones(n), level])
    ff_path = np.round(np.vstack([float_factor, ff_path]), 4)

    q_grid, j_grid = np.meshgrid(quarters, np.arange(n), indexing="ij")
    split_t, split_j = np.nonzero(np.diff(factor, axis=0) != 0)
    t = np.concatenate([first, q_grid.ravel(), split_t + 1])
    j = np.concatenate([np.arange(n), j_grid.ravel(), split_j])
    keep = (t >= first[j]) & (t <= last[j])
    t, j = t[keep], j[keep]
    pairs = np.unique(t.astype(np.int64) * n + j)
    t, j = pairs // n, pairs % n
    q = np.searchsorted(quarters, t, side="right")
    return pd.DataFrame(
        {
            "date": sessions.values[t],
            "security_id": ids[j],
            "shares_outstanding": np.round(shares0[j] * level[q, j] * factor[t, j]),
            "float_factor": ff_path[q, j],
        }
    )


def _dividends(sessions, ids, close, cap0, first, last, rng) -> pd.DataFrame:
    n = len(ids)
    payer = rng.random(n) < np.clip(0.15 + 0.12 * np.log10(np.maximum(cap0, 1e7) / 1e7), 0.1, 0.9)
    yield_ = np.clip(rng.normal(0.022, 0.01, n), 0.004, 0.07)
    quarters = _quarter_sessions(sessions) + 25
    quarters = quarters[quarters < len(sessions)]
    t_grid, j_grid = np.meshgrid(quarters, np.flatnonzero(payer), indexing="ij")
    t, j = t_grid.ravel(), j_grid.ravel()
    live = (t > first[j] + 60) & (t <= last[j])
    t, j = t[live], j[live]
    amount = np.round(close[t - 1, j] * yield_[j] / 4, 4)
    kind = np.full(len(t), "regular", dtype=object)
    special = rng.random(len(t)) < 0.01
    amount = np.where(special, np.round(close[t - 1, j] * 0.05, 4), amount)
    kind[special] = "special"
    keep = amount > 0
    frame = pd.DataFrame(
        {
            "ex_date": sessions.values[t[keep]],
            "security_id": ids[j[keep]],
            "amount": amount[keep],
            "kind": kind[keep],
        }
    )
    return frame.sort_values(["ex_date", "security_id"], kind="stable").reset_index(drop=True)


def _actions(sessions, ids, split_rows, last, bankrupt, acquired, close) -> pd.DataFrame:
    rows = [
        {"date": sessions[t], "security_id": ids[j], "action": "split", "ratio": k} for t, j, k in split_rows
    ]
    for j in np.flatnonzero(bankrupt):
        rows.append(
            {"date": sessions[last[j]], "security_id": ids[j], "action": "delisting", "reason": "bankruptcy"}
        )
    for j in np.flatnonzero(acquired):
        rows.append(
            {
                "date": sessions[last[j]],
                "security_id": ids[j],
                "action": "cash-acquisition",
                "cash": float(close[last[j], j]),
            }
        )
    columns = [c.name for c in SCHEMA["corporate_actions"]]
    frame = pd.DataFrame(rows, columns=columns)
    frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[ns]")
    for column in ("ratio", "cash"):
        frame[column] = frame[column].astype(float)
    return frame.sort_values(["date", "security_id", "action"], kind="stable").reset_index(drop=True)


def _fundamentals(sessions, ids, close, shares, smallness, value_load, first, last, rng) -> pd.DataFrame:
    n = len(ids)
    quarter_ends = pd.period_range(sessions[0].to_period("Q") - 4, sessions[-1].to_period("Q"), freq="Q")
    # Earnings yield: value names cheaper; a large share of small companies lose money.
    earnings_yield = np.clip(0.045 + 0.012 * value_load - 0.02 * smallness, 0.01, 0.12)
    loss_prone = rng.random(n) < 0.05 + 0.5 * smallness**1.6
    book_to_price = np.clip(0.35 + 0.15 * value_load + 0.2 * smallness, 0.05, 2.5)
    rows = []
    for q in quarter_ends:
        end = q.end_time.normalize()
        lag = rng.integers(25, 60, n)
        available = end + pd.to_timedelta(lag, unit="D")
        t_ref = min(max(int(sessions.searchsorted(end)) - 1, 0), len(sessions) - 1)
        t_first = np.minimum(first, len(sessions) - 1)
        t = np.where(first > t_ref, t_first, t_ref)
        cap = close[t, np.arange(n)] * shares[t, np.arange(n)]
        live = (
            (available <= sessions[-1])
            & (t_ref <= last)
            & (sessions.values[np.minimum(last, len(sessions) - 1)] >= available.values)
        )
        noise = rng.normal(1, 0.35, n)
        ni = cap * earnings_yield / 4 * noise
        loss = loss_prone & (rng.random(n) < 0.75) | (rng.random(n) < 0.04)
        ni = np.where(loss, -np.abs(ni) * rng.uniform(0.3, 2.0, n), ni)
        idx = np.flatnonzero(live)
        rows.append(
            pd.DataFrame(
                {
                    "security_id": ids[idx],
                    "period_end": end,
                    "available_date": available[idx],
                    "net_income": np.round(ni[idx], -3),
                    "book_equity": np.round(cap[idx] * book_to_price[idx], -3),
                    "sales": np.round(np.abs(ni[idx]) * rng.uniform(5, 20, len(idx)), -3),
                }
            )
        )
    frame = pd.concat(rows, ignore_index=True)
    return frame.sort_values(["available_date", "security_id"], kind="stable").reset_index(drop=True)


# -- cache ----------------------------------------------------------------------------------


def cache_dir() -> Path:
    """Where generated demo markets are kept: ``$INDEXSMITH_CACHE_DIR`` or the user cache."""
    env = os.environ.get("INDEXSMITH_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("indexsmith"))


def export(tables: dict[str, pd.DataFrame], directory: str | Path) -> Path:
    """Write tables as Parquet files in the documented format."""
    from indexsmith.result import atomic_directory, write_parquet

    directory = Path(directory)
    with atomic_directory(directory, overwrite=True) as tmp:
        for name, frame in tables.items():
            write_parquet(frame, tmp / f"{name}.parquet")
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
    directory = cache_dir() / f"demo-{size}-{seed}"
    if not (directory / "prices.parquet").exists():
        if progress:
            progress(f"generating the {size} demo market (seed {seed})")
        export(generate(size, seed), directory)
    if progress:
        progress(f"loading the {size} demo market from {directory}")
    return load_market(directory)
