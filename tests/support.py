"""Helpers the tests share: tiny hand-made markets whose numbers the tests can state
exactly, a one-index definition reviewed monthly, and where the real public data lives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from indexsmith import Market
from indexsmith.calendars import get_calendar

#: Real public market data beside the project root (../shared/data), when present.
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
#: Small data files the tests read.
FIXTURES = Path(__file__).resolve().parent / "data"


def monthly_index(index_id: str = "t", **stages: Any) -> dict[str, Any]:
    """A single-index definition reviewed at every month end, ranked and made effective on
    the same session, by total company market cap; ``stages`` override or add keys
    (defaults: every security, equal weight)."""
    index: dict[str, Any] = {
        "id": index_id,
        "schedule": {"use": "monthly", "params": {"rank_lag_sessions": 0, "announce_lag_sessions": 0}},
        "ranking": {"use": "company-market-cap"},
        "bucketing": {"use": "all"},
        "weighting": {"use": "equal"},
    }
    index.update(stages)
    return {"index": index}


def tiny_frames(
    closes: dict[str, list[float]],
    *,
    start: str = "2024-01-02",
    shares: dict[str, float] | None = None,
    float_factor: dict[str, float] | None = None,
    company: dict[str, str] | None = None,
    types: dict[str, str] | None = None,
    sector: dict[str, str] | None = None,
) -> dict[str, pd.DataFrame]:
    """Tables for a market of a few securities with the given daily closes (XNYS
    sessions from ``start``). Defaults: 1M shares, float factor 1, one company each."""
    sessions = get_calendar("XNYS").sessions
    first = sessions.searchsorted(pd.Timestamp(start))
    ids = list(closes)
    n_days = max(len(v) for v in closes.values())
    days = sessions[first : first + n_days]
    rows = []
    for sid, values in closes.items():
        for day, close in zip(days, values, strict=False):
            if close is not None and not np.isnan(close):
                rows.append((day, sid, float(close), 1000.0))
    prices = pd.DataFrame(rows, columns=["date", "security_id", "close", "volume"])
    listing = prices.groupby("security_id")["date"].min()
    securities = pd.DataFrame(
        {
            "security_id": ids,
            "company_id": [(company or {}).get(s, f"C-{s}") for s in ids],
            "ticker": ids,
            "name": [f"{s} Inc" for s in ids],
            "sector": [(sector or {}).get(s, "Industrials") for s in ids],
            "industry": "",
            "exchange": "XNYS",
            "country_of_incorporation": "US",
            "country_of_headquarters": "US",
            "security_type": [(types or {}).get(s, "common") for s in ids],
            "listing_date": [listing[s] for s in ids],
            "delisting_date": pd.NaT,
        }
    )
    share_rows = pd.DataFrame(
        {
            "date": [listing[s] for s in ids],
            "security_id": ids,
            "shares_outstanding": [(shares or {}).get(s, 1e6) for s in ids],
            "float_factor": [(float_factor or {}).get(s, 1.0) for s in ids],
        }
    )
    return {"securities": securities, "prices": prices, "shares": share_rows}


def tiny_market(closes, *, actions=(), dividends=(), **options) -> Market:  # type: ignore[no-untyped-def]
    """A tiny market; ``actions`` rows are (day, security, action, fields...) with day the
    session number from the first one; ``dividends`` rows are (day, security, amount, kind)."""
    frames = tiny_frames(closes, **options)
    days = frames["prices"]["date"].drop_duplicates().sort_values().reset_index(drop=True)
    if actions:
        rows = [dict(date=days[d], security_id=s, action=a, **fields) for d, s, a, fields in actions]
        frames["corporate_actions"] = pd.DataFrame(rows)
    if dividends:
        frames["dividends"] = pd.DataFrame(
            [
                dict(ex_date=days[d], security_id=s, amount=amount, kind=kind)
                for d, s, amount, kind in dividends
            ]
        )
    for sid, values in closes.items():  # securities whose prices stop were delisted
        last = max(i for i, v in enumerate(values) if v is not None)
        if last < len(days) - 1:
            frames["securities"].loc[frames["securities"]["security_id"] == sid, "delisting_date"] = days[
                last
            ]
    return Market.from_frames(frames, source="tiny")


def run_cli(*args: str) -> tuple[int, str, str]:
    """``indexsmith ARGS`` in-process: exit code, stdout, stderr."""
    from click.testing import CliRunner
    from indexsmith.cli import cli

    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr
