"""The market events the calculator applies: corporate actions and special dividends of
held securities keyed by session and position, regular dividends and delisting sessions
(methodologies.md §6.4)."""

from __future__ import annotations

import collections
from typing import Any

import numpy as np
import pandas as pd

from indexsmith.data.market import Market
from indexsmith.errors import DataError, Problem

#: The order actions of one security dated on one session are applied in: the ex-date
#: adjustments before the open (special dividend, spin-off, split, each on a share held
#: before the open), then the exits after the close.
ACTION_ORDER = ("special-dividend", "spin-off", "split", "cash-acquisition", "stock-acquisition", "delisting")


def corporate_events(market: Market) -> pd.DataFrame:
    """Corporate actions and special dividends as events keyed by session and position."""
    ids = market.security_ids
    actions = market.corporate_actions
    actions = actions[
        actions["action"].isin(["split", "spin-off", "cash-acquisition", "stock-acquisition", "delisting"])
    ]
    specials = market.dividends[market.dividends["kind"] == "special"]
    frames = [
        pd.DataFrame(
            {
                "date": actions["date"].to_numpy(),
                "security_id": actions["security_id"].to_numpy(dtype=object),
                "action": actions["action"].to_numpy(dtype=object),
                "ratio": actions["ratio"].to_numpy(dtype=float),
                "cash": actions["cash"].to_numpy(dtype=float),
                "other": actions["acquirer_id"].fillna(actions["new_security_id"]).to_numpy(dtype=object),
                "reason": actions["reason"].to_numpy(dtype=object),
            }
        ),
        pd.DataFrame(
            {
                "date": specials["ex_date"].to_numpy(),
                "security_id": specials["security_id"].to_numpy(dtype=object),
                "action": "special-dividend",
                "ratio": np.nan,
                "cash": specials["amount"].to_numpy(dtype=float),
                "other": None,
                "reason": None,
            }
        ),
    ]
    events = pd.concat(frames, ignore_index=True)
    events["session"] = market.sessions.searchsorted(pd.DatetimeIndex(events["date"]))
    events["pos"] = ids.get_indexer(events["security_id"])
    events["order"] = events["action"].map({a: i for i, a in enumerate(ACTION_ORDER)})
    events = events.sort_values(["session", "pos", "order"], kind="stable").drop(columns="order")
    return events.reset_index(drop=True)


class Events:
    """The events of one index's calculation window ``(first, last]``, prepared once:
    corporate actions by (session, position), regular dividends by session, and the
    session of each security's last close."""

    def __init__(self, market: Market, first: int, last: int) -> None:
        sessions, ids = market.sessions, market.security_ids
        self.sessions = sessions
        self.ids = ids
        events = corporate_events(market)
        splits = events[(events["action"] == "split") & (events["pos"] >= 0) & (events["session"] <= last)]
        self._splits = splits[["session", "pos", "ratio"]].reset_index(drop=True)
        events = events[(events["session"] > first) & (events["session"] <= last) & (events["pos"] >= 0)]
        self.frame = events.reset_index(drop=True)
        self.n_ids = len(ids)
        self.key = self.frame["session"].to_numpy(dtype=np.int64) * self.n_ids + self.frame["pos"].to_numpy(
            dtype=np.int64
        )
        delist = market.securities["delisting_date"]
        delisted_at = pd.Series(
            sessions.searchsorted(pd.DatetimeIndex(delist.fillna(pd.Timestamp.max.normalize())).to_numpy()),
            index=ids,
        )
        #: Session index of each security's delisting (past the end while listed).
        self.delisted = delisted_at.to_numpy()
        div = market.dividends[market.dividends["kind"] == "regular"]
        div_session = sessions.searchsorted(pd.DatetimeIndex(div["ex_date"]))
        div_pos = ids.get_indexer(div["security_id"])
        div_amount = div["amount"].to_numpy(dtype=float)
        order = np.argsort(div_session, kind="stable")
        self.div_session, self.div_pos, self.div_amount = (
            div_session[order],
            div_pos[order],
            div_amount[order],
        )
        self._columns = {
            c: self.frame[c].to_numpy(dtype=object)
            for c in ("security_id", "action", "ratio", "cash", "other", "reason", "pos")
        }
        self._act = collections.namedtuple("Act", list(self._columns))  # type: ignore[misc]

    def split_factor(self, after: int, upto: int, positions: np.ndarray) -> np.ndarray:
        """Product of the split ratios of each position with ex-dates in ``(after, upto]``:
        a close of session ``after`` divided by it is comparable with one of ``upto``."""
        splits = self._splits
        factor = np.ones(len(positions))
        if not len(splits) or upto <= after:
            return factor
        inside = splits[(splits["session"] > after) & (splits["session"] <= upto)]
        if inside.empty:
            return factor
        by_position = inside.groupby("pos")["ratio"].prod()
        found = by_position.reindex(positions).to_numpy(dtype=float)
        return np.where(np.isnan(found), 1.0, found)

    def action_sessions(self) -> set[Any]:
        """Sessions with an adjustment before the open (splits, special dividends, spin-offs)."""
        return set(
            self.frame.loc[self.frame["action"].isin(["split", "special-dividend", "spin-off"]), "session"]
        )

    def _rows(self, lo: int, hi: int) -> list[Any]:
        return [self._act(*(self._columns[c][k] for c in self._columns)) for k in range(lo, hi)]

    def _span(self, session: int) -> tuple[int, int]:
        lo, hi = np.searchsorted(self.key, [session * self.n_ids, (session + 1) * self.n_ids])
        return int(lo), int(hi)

    def on_session(self, session: int) -> list[Any]:
        """Every action dated on ``session``, in (position, action) order."""
        return self._rows(*self._span(session))

    def positions_on(self, session: int) -> np.ndarray:
        """Market positions with an action dated on ``session`` (as :meth:`on_session`)."""
        lo, hi = self._span(session)
        return self.key[lo:hi] - session * self.n_ids

    def of(self, session: int, position: int) -> list[Any]:
        """The actions of one security on ``session``."""
        lo, hi = np.searchsorted(
            self.key, [session * self.n_ids + position, session * self.n_ids + position + 1]
        )
        return self._rows(int(lo), int(hi))

    def other_security(self, act: Any, session: int, what: str, role: str, fix: str) -> int:
        """Position of the security an action names (spun-off company, acquirer)."""
        other = self.ids.get_indexer([act.other])[0] if isinstance(act.other, str) else -1
        if other < 0:
            raise DataError(
                [
                    Problem(
                        f"{what} of {act.security_id} on {self.sessions[session]:%Y-%m-%d} names {role} {act.other!r}, which is not in the data",
                        "corporate_actions",
                        fix,
                    )
                ]
            )
        return int(other)
