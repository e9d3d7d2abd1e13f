"""Daily closes and volumes in a compact, session-major layout (:class:`DailyPanel`)."""

from __future__ import annotations

import numpy as np


def panel_key(session: np.ndarray, security: np.ndarray, n_securities: int, n_sessions: int) -> np.ndarray:
    """``session * n_securities + security``, in int32 when it fits (half the memory)."""
    dtype = np.int32 if n_sessions * max(n_securities, 1) < np.iinfo(np.int32).max else np.int64
    key: np.ndarray = session.astype(dtype)
    np.multiply(key, max(n_securities, 1), out=key)
    np.add(key, security, out=key, casting="unsafe")
    return key


class DailyPanel:
    """Daily closes and volumes in a compact, time-major layout.

    One row per (session, security) from a security's first price to its last, sorted by
    session then security, addressed by ``key = session * n_securities + security``. The
    rows of sessions up to ``t`` are a prefix of every array, so a point-in-time view is a
    set of zero-copy slices that holds nothing later. A missing close inside a security's
    span is carried forward (``observed`` is False there) and its volume is 0.
    """

    #: First and last session index of each security (-1 when it has no price); set by
    #: :meth:`from_rows`, not carried by prefixes.
    first_session: np.ndarray
    last_session: np.ndarray

    def __init__(
        self,
        key: np.ndarray,
        close: np.ndarray,
        volume: np.ndarray,
        observed: np.ndarray,
        n_sessions: int,
        n_securities: int,
    ) -> None:
        self.key = key
        self.close = close
        self.volume = volume
        self.observed = observed
        self.n_sessions = n_sessions
        self.n_securities = n_securities

    @classmethod
    def from_rows(
        cls,
        session: np.ndarray,
        security: np.ndarray,
        close: np.ndarray,
        volume: np.ndarray,
        n_sessions: int,
        n_securities: int,
        key: np.ndarray | None = None,
        key_sorted: bool = False,
    ) -> DailyPanel:
        """Build from price rows (session and security positions, any order).

        ``key`` (see :func:`panel_key`) may be passed when already computed; when the rows
        are already in key order and no span has gaps, the arrays are used as they are.
        """
        n = max(n_securities, 1)
        # ufunc.at is fast only when every dtype matches.
        session = np.asarray(session)
        security = np.asarray(security, dtype=np.intp)
        first = np.full(n, np.iinfo(session.dtype).max, dtype=session.dtype)
        last = np.full(n, -1, dtype=session.dtype)
        np.minimum.at(first, security, session)
        np.maximum.at(last, security, session)
        has = last >= 0
        first[~has] = -1
        first, last = first.astype(np.int64), last.astype(np.int64)
        lengths = np.where(has, last - first + 1, 0)
        if lengths.sum() == len(session):
            # No gaps inside any span: the rows are the panel.
            if key is None:
                key = panel_key(session, security, n, n_sessions)
                key_sorted = bool(len(key) < 2 or (key[1:] > key[:-1]).all())
            if key_sorted:
                panel = cls(key, close, volume, np.ones(len(key), dtype=bool), n_sessions, n_securities)
            else:
                order = np.argsort(key, kind="stable")
                panel = cls(
                    key[order],
                    close[order],
                    volume[order],
                    np.ones(len(key), dtype=bool),
                    n_sessions,
                    n_securities,
                )
            panel.first_session, panel.last_session = first, last
            return panel
        session = session.astype(np.int64)
        security = security.astype(np.int64)
        # Fill the gaps, security by security, then reorder by time.
        start = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        full_security = np.repeat(np.arange(n), lengths)
        full_session = first[full_security] + (np.arange(lengths.sum()) - start[full_security])
        slot = start[security] + (session - first[security])
        observed = np.zeros(len(full_session), dtype=bool)
        observed[slot] = True
        full_close = np.full(len(full_session), np.nan)
        full_close[slot] = close
        full_volume = np.zeros(len(full_session))
        full_volume[slot] = volume
        carried = np.maximum.accumulate(np.where(observed, np.arange(len(observed)), 0))
        full_close = full_close[carried]
        key = panel_key(full_session, full_security, n, n_sessions)
        order = np.argsort(key, kind="stable")
        panel = cls(
            key[order], full_close[order], full_volume[order], observed[order], n_sessions, n_securities
        )
        panel.first_session, panel.last_session = first, last
        return panel

    def __len__(self) -> int:
        return len(self.key)

    def prefix(self, t: int) -> DailyPanel:
        """The rows of sessions ``0..t``: zero-copy slices."""
        stop = int(np.searchsorted(self.key, self.key.dtype.type((t + 1) * max(self.n_securities, 1))))
        return DailyPanel(
            self.key[:stop],
            self.close[:stop],
            self.volume[:stop],
            self.observed[:stop],
            t + 1,
            self.n_securities,
        )

    def rows(
        self, sessions: np.ndarray | np.integer | int, positions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Row numbers of every (session, security) pair (broadcast) and whether it exists."""
        if np.ndim(sessions) == 0 or np.size(sessions) == 1:
            shape = np.broadcast_shapes((*np.shape(sessions), 1), np.shape(positions))
            return self._rows_of_session(int(np.asarray(sessions).reshape(-1)[0]), positions, shape)
        wanted = np.asarray(sessions, dtype=np.int64)[..., None] * max(self.n_securities, 1) + np.asarray(
            positions, dtype=np.int64
        )
        # Query in the key's own dtype: mixed dtypes would make numpy cast the whole key.
        wanted = wanted.astype(self.key.dtype)
        row = np.searchsorted(self.key, wanted)
        row = np.minimum(row, len(self.key) - 1)
        found = (self.key[row] == wanted) if len(self.key) else np.zeros(wanted.shape, dtype=bool)
        return row, found

    def _rows_of_session(
        self, t: int, positions: np.ndarray, shape: tuple[int, ...]
    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`rows` for one session: its rows are one contiguous slice of the
        session-major arrays, searched alone (or read directly when every security has a
        row that session)."""
        n = max(self.n_securities, 1)
        positions = np.asarray(positions, dtype=np.int64).reshape(-1)
        if not len(self.key):
            return np.zeros(shape, dtype=np.int64), np.zeros(shape, dtype=bool)
        bounds = np.searchsorted(
            self.key, np.array([t * n, (t + 1) * n], dtype=np.int64).astype(self.key.dtype)
        )
        lo, hi = int(bounds[0]), int(bounds[1])
        if hi - lo == n and (positions >= 0).all():
            return (lo + positions).reshape(shape), np.ones(shape, dtype=bool)
        local = self.key[lo:hi]
        wanted = (t * n + positions).astype(self.key.dtype)
        row = np.searchsorted(local, wanted) + lo
        row = np.minimum(row, len(self.key) - 1)
        found = self.key[row] == wanted
        return row.reshape(shape), found.reshape(shape)

    def window(self, field: str, lo: int, hi: int, positions: np.ndarray) -> np.ndarray:
        """Values of ``field`` for sessions ``lo..hi`` (rows) and ``positions`` (columns), NaN
        where a security has no row: the rows of consecutive sessions are one contiguous
        slice of the session-major arrays, scattered into a dense block (no search per
        value)."""
        positions = np.asarray(positions, dtype=np.int64)
        days = hi - lo + 1
        out = np.full((max(days, 0), len(positions)), np.nan)
        if days <= 0 or not len(positions) or not len(self.key):
            return out
        n = max(self.n_securities, 1)
        bounds = np.searchsorted(
            self.key, (np.array([lo, hi + 1], dtype=np.int64) * n).astype(self.key.dtype)
        )
        start, stop = int(bounds[0]), int(bounds[1])
        if stop <= start:
            return out
        if 8 * days * len(positions) < stop - start:  # a few securities: search their rows
            row, found = self.rows(np.arange(lo, hi + 1), positions)
            out[found] = getattr(self, field)[row[found]]
            return out
        key = self.key[start:stop].astype(np.int64)
        session = key // n - lo
        column = np.full(n, -1, dtype=np.int64)
        column[positions] = np.arange(len(positions))
        col = column[key % n]
        keep = col >= 0
        values = getattr(self, field)[start:stop]
        out[session[keep], col[keep]] = values[keep]
        return out

    def get(self, field: str, sessions: np.ndarray | int, positions: np.ndarray) -> np.ndarray:
        """Values of ``field`` for each (session, security): NaN where the security has no row."""
        values = getattr(self, field)
        row, found = self.rows(np.atleast_1d(sessions), positions)
        out = np.where(found, values[row] if len(values) else np.nan, np.nan)
        return out[0] if np.ndim(sessions) == 0 else out


class MonthSums:
    """Per-security totals of traded value (close x volume), shares traded and rows over
    each calendar month of a panel, so that a window of a year is a few month rows plus
    the sessions of its partial months at either end (the liquidity screens and average
    volumes at every review and replacement read them). Built once per market.

    A view reads only months that ended on or before its as-of session.
    """

    def __init__(self, panel: DailyPanel, month_starts: np.ndarray) -> None:
        n = max(panel.n_securities, 1)
        self.starts = np.asarray(month_starts, dtype=np.int64)
        self.ends = np.r_[self.starts[1:] - 1, panel.n_sessions - 1]
        blocks = len(self.starts)
        self.dollar = np.zeros((blocks, n))
        self.volume = np.zeros((blocks, n))
        self.rows = np.zeros((blocks, n), dtype=np.int32)
        bounds = np.searchsorted(
            panel.key, (np.r_[self.starts, panel.n_sessions] * n).astype(panel.key.dtype)
        )
        for b in range(blocks):
            lo, hi = int(bounds[b]), int(bounds[b + 1])
            security = panel.key[lo:hi].astype(np.int64) % n
            volume = panel.volume[lo:hi]
            self.dollar[b] = np.bincount(security, weights=panel.close[lo:hi] * volume, minlength=n)
            self.volume[b] = np.bincount(security, weights=volume, minlength=n)
            self.rows[b] = np.bincount(security, minlength=n)

    def totals(
        self, panel: DailyPanel, lo: int, hi: int, positions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Traded value, shares traded and rows of sessions ``lo..hi`` for ``positions``,
        from the whole months inside the window and ``panel``'s rows of the rest."""
        first = int(np.searchsorted(self.starts, lo, side="left"))
        last = int(np.searchsorted(self.ends, hi, side="right")) - 1
        dollar = np.zeros(len(positions))
        volume = np.zeros(len(positions))
        rows = np.zeros(len(positions))
        if first <= last:
            dollar += self.dollar[first : last + 1, positions].sum(axis=0)
            volume += self.volume[first : last + 1, positions].sum(axis=0)
            rows += self.rows[first : last + 1, positions].sum(axis=0)
            edges = [(lo, int(self.starts[first]) - 1), (int(self.ends[last]) + 1, hi)]
        else:
            edges = [(lo, hi)]
        for a, b in edges:
            if b < a:
                continue
            close = panel.window("close", a, b, positions)
            traded = panel.window("volume", a, b, positions)
            dollar += np.nansum(close * traded, axis=0)
            volume += np.nansum(traded, axis=0)
            rows += (~np.isnan(traded)).sum(axis=0)
        return dollar, volume, rows
