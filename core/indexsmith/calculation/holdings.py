"""What the calculator reads and holds: the closes of held securities (missing closes
carried and recorded, or refused) and the book of index shares per security."""

from __future__ import annotations

import numpy as np
import pandas as pd

from indexsmith.data.market import Market
from indexsmith.errors import DataError, Problem


class Book:
    """Holdings of the index: market positions, index shares and, beside them, the
    float-adjusted shares each holding was last set from (``fs``), kept in step. For an
    index that holds shares ``q / fs`` is the member's fraction (packets, style share)."""

    def __init__(self) -> None:
        self.pos = np.zeros(0, dtype=np.int64)
        self.q = np.zeros(0)
        self.fs = np.zeros(0)

    def set(self, pos: np.ndarray, q: np.ndarray, fs: np.ndarray | None = None) -> None:
        self.pos, self.q = pos.astype(np.int64), q.astype(float)
        self.fs = (fs if fs is not None else q).astype(float)

    def index_of(self, position: int) -> int:
        hit = np.flatnonzero(self.pos == position)
        return int(hit[0]) if len(hit) else -1

    def drop(self, i: int) -> None:
        self.pos = np.delete(self.pos, i)
        self.q = np.delete(self.q, i)
        self.fs = np.delete(self.fs, i)

    def add(self, position: int, shares: float, float_shares: float | None = None) -> None:
        i = self.index_of(position)
        if i >= 0:
            self.q[i] += shares
            self.fs[i] += shares if float_shares is None else float_shares
        else:
            self.pos = np.append(self.pos, position)
            self.q = np.append(self.q, shares)
            self.fs = np.append(self.fs, shares if float_shares is None else float_shares)

    def scale(self, i: int, ratio: float) -> None:
        """A split or reverse split: index shares and float shares scale together."""
        self.q[i] *= ratio
        self.fs[i] *= ratio


class Prices:
    """Closes of held securities, with missing closes carried (and recorded) or refused."""

    def __init__(self, market: Market, option: str) -> None:
        self.market = market
        self.panel = market.daily
        self.option = option
        self.stale: list[tuple[pd.Timestamp, str]] = []
        #: Every row of the panel observed (no carried closes): the flags need not be read.
        self.all_observed = bool(self.panel.observed.all())

    def block(self, sessions: np.ndarray, pos: np.ndarray) -> np.ndarray:
        if len(pos) > 64 and (len(sessions) == 1 or sessions[-1] - sessions[0] == len(sessions) - 1):
            prices, observed = self._dense(int(sessions[0]), int(sessions[-1]), pos)
        else:
            prices = self.panel.get("close", sessions, pos) if len(pos) else np.zeros((len(sessions), 0))
            observed = (
                None
                if self.all_observed
                else self.panel.get("observed", sessions, pos)
                if len(pos)
                else np.zeros((len(sessions), 0))
            )
        # A NaN observed flag (no row) comes with a NaN close.
        missing = np.isnan(prices) if observed is None else np.isnan(prices) | (observed == 0)
        if missing.any():
            prices = self._fill(prices, missing, sessions, pos)
        return prices

    def _dense(self, a: int, b: int, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Closes and observed flags of sessions a..b for ``pos``: the panel's rows of those
        sessions are contiguous (session-major keys), so they scatter into a dense block."""
        n = max(self.panel.n_securities, 1)
        key = self.panel.key
        days = b - a + 1
        bounds = np.searchsorted(key, (np.arange(a, b + 2) * n).astype(key.dtype))
        lo, hi = int(bounds[0]), int(bounds[-1])
        if hi - lo == days * n:  # every security has a row on every session: a reshape
            prices = self.panel.close[lo:hi].reshape(days, n)[:, pos]
            if self.all_observed:
                return prices, None
            return prices, self.panel.observed[lo:hi].reshape(days, n)[:, pos]
        session = np.repeat(np.arange(days), np.diff(bounds))
        security = key[lo:hi].astype(np.int64) - (session + a) * n
        # Only the wanted columns: map security -> column, drop the others.
        column = np.full(n, -1, dtype=np.int64)
        column[pos] = np.arange(len(pos))
        col = column[security]
        keep = col >= 0
        prices = np.full((days, len(pos)), np.nan)
        prices[session[keep], col[keep]] = self.panel.close[lo:hi][keep]
        if self.all_observed:
            return prices, None
        observed = np.zeros((days, len(pos)))
        observed[session[keep], col[keep]] = self.panel.observed[lo:hi][keep]
        return prices, observed

    def _fill(
        self, prices: np.ndarray, missing: np.ndarray, sessions: np.ndarray, pos: np.ndarray
    ) -> np.ndarray:
        ids = self.market.security_ids
        dates = self.market.sessions
        for r, c in zip(*np.nonzero(missing), strict=True):
            sid, when = ids[pos[c]], dates[sessions[r]]
            if self.option == "fail":
                raise DataError(
                    [
                        Problem(
                            f"member {sid} has no close on {when:%Y-%m-%d}",
                            "prices",
                            "add the close, or calculate with missing_prices = 'carry' to carry the last one",
                        )
                    ]
                )
            if np.isnan(prices[r, c]) and self.panel.first_session[pos[c]] > sessions[r]:
                prices[r, c] = 0.0  # a spun-off company not trading yet is carried at zero (§3.6)
                continue
            if np.isnan(prices[r, c]):  # past its last price: carry that
                last = int(self.panel.last_session[pos[c]])
                if last < 0 or last > sessions[r]:
                    raise DataError(
                        [
                            Problem(
                                f"member {sid} has no close on or before {when:%Y-%m-%d}",
                                "prices",
                                "check the constituents' effective dates against the prices",
                            )
                        ]
                    )
                prices[r, c] = float(self.panel.get("close", last, np.array([pos[c]]))[0])
            self.stale.append((when, sid))
        return prices
