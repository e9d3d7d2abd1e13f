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

import collections
from typing import Any

import attrs
import numpy as np
import pandas as pd

from indexsmith.errors import DataError, Problem
from indexsmith.market import Market

SESSIONS_PER_YEAR = 252
LEVEL_COLUMNS = (
    "date",
    "price_return",
    "total_return",
    "net_total_return",
    "divisor",
    "market_value",
    "net_of_costs",
)


def _ge0(help: str, default: float = 0.0) -> Any:
    return attrs.field(default=default, validator=attrs.validators.ge(0), metadata={"help": help})


@attrs.frozen(kw_only=True)
class CalculationOptions:
    """How levels are computed (``[index.calculation]`` or ``[family.calculation]`` in a
    definition); every field has an index-industry default."""

    base_value: float = attrs.field(
        default=1000.0,
        validator=attrs.validators.gt(0),
        metadata={"help": "level on the first effective date"},
    )
    withholding: float = attrs.field(
        default=0.30,
        validator=[attrs.validators.ge(0), attrs.validators.le(1)],
        metadata={
            "help": "share of dividends withheld in the net total return (US default for non-residents: 0.30)"
        },
    )
    missing_prices: str = attrs.field(
        default="carry",
        validator=attrs.validators.in_(["carry", "fail"]),
        metadata={
            "help": "a member without a close on a session: 'carry' the last close (recorded) or 'fail'"
        },
    )
    unit_holdings: bool = attrs.field(
        default=False, metadata={"help": "hold one share of each member (set for price weighting)"}
    )
    initial_divisor: float | None = attrs.field(
        default=None,
        validator=attrs.validators.optional(attrs.validators.gt(0)),
        metadata={"help": "start from this divisor instead of base_value (to continue a published index)"},
    )
    bankruptcy_at_zero: bool = attrs.field(
        default=False, metadata={"help": "remove members delisted for bankruptcy at price 0"}
    )
    cost_bps: float = _ge0("trading cost per side, basis points of value traded")
    impact_bps: float = _ge0("market impact in bps at 100% participation in average daily dollar volume")
    aum: float = attrs.field(
        default=1e9,
        validator=attrs.validators.gt(0),
        metadata={"help": "fund size in USD, for participation"},
    )
    adv_sessions: int = attrs.field(
        default=20, validator=attrs.validators.gt(0), metadata={"help": "sessions of average dollar volume"}
    )
    fee: float = _ge0("annual fee (expense ratio) accrued daily in net_of_costs, e.g. 0.0009")

    @property
    def has_costs(self) -> bool:
        return bool(self.cost_bps or self.impact_bps or self.fee)


@attrs.frozen
class Calculation:
    """The daily numbers of one index."""

    levels: pd.DataFrame
    holdings: pd.DataFrame
    turnover: pd.DataFrame
    trades: pd.DataFrame
    events: pd.DataFrame
    stale: pd.DataFrame


class _Book:
    """Holdings of the index: market positions and index shares, kept in step."""

    def __init__(self) -> None:
        self.pos = np.zeros(0, dtype=np.int64)
        self.q = np.zeros(0)

    def set(self, pos: np.ndarray, q: np.ndarray) -> None:
        self.pos, self.q = pos.astype(np.int64), q.astype(float)

    def index_of(self, position: int) -> int:
        hit = np.flatnonzero(self.pos == position)
        return int(hit[0]) if len(hit) else -1

    def drop(self, i: int) -> None:
        self.pos = np.delete(self.pos, i)
        self.q = np.delete(self.q, i)

    def add(self, position: int, shares: float) -> None:
        i = self.index_of(position)
        if i >= 0:
            self.q[i] += shares
        else:
            self.pos = np.append(self.pos, position)
            self.q = np.append(self.q, shares)


class _Prices:
    """Closes of held securities, with missing closes carried (and recorded) or refused."""

    def __init__(self, market: Market, option: str) -> None:
        self.market = market
        self.panel = market.daily
        self.option = option
        self.stale: list[tuple[pd.Timestamp, str]] = []

    def block(self, sessions: np.ndarray, pos: np.ndarray) -> np.ndarray:
        if len(pos) > 64 and (len(sessions) == 1 or sessions[-1] - sessions[0] == len(sessions) - 1):
            prices, observed = self._dense(int(sessions[0]), int(sessions[-1]), pos)
        else:
            prices = self.panel.get("close", sessions, pos) if len(pos) else np.zeros((len(sessions), 0))
            observed = self.panel.get("observed", sessions, pos) if len(pos) else np.zeros((len(sessions), 0))
        missing = np.isnan(prices) | (np.nan_to_num(observed) == 0)
        if missing.any():
            prices = self._fill(prices, missing, sessions, pos)
        return prices

    def _dense(self, a: int, b: int, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Closes and observed flags of sessions a..b for ``pos``: the panel's rows of those
        sessions are contiguous (session-major keys), so they scatter into a dense block."""
        n = max(self.panel.n_securities, 1)
        key = self.panel.key
        days = b - a + 1
        bounds = np.searchsorted(key, (np.arange(a, b + 2) * n).astype(key.dtype))
        lo, hi = int(bounds[0]), int(bounds[-1])
        if hi - lo == days * n:  # every security has a row on every session: a reshape
            prices = self.panel.close[lo:hi].reshape(days, n)[:, pos]
            observed = self.panel.observed[lo:hi].reshape(days, n)[:, pos].astype(float)
            return prices, observed
        session = np.repeat(np.arange(days), np.diff(bounds))
        security = key[lo:hi].astype(np.int64) - (session + a) * n
        # Only the wanted columns: map security -> column, drop the others.
        column = np.full(n, -1, dtype=np.int64)
        column[pos] = np.arange(len(pos))
        col = column[security]
        keep = col >= 0
        prices = np.full((days, len(pos)), np.nan)
        observed = np.zeros((days, len(pos)))
        prices[session[keep], col[keep]] = self.panel.close[lo:hi][keep]
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


def _corporate_events(market: Market) -> pd.DataFrame:
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
    return events.sort_values(["session", "pos", "action"], kind="stable").reset_index(drop=True)


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
    reviews = _targets(constituents, market)
    kinds = (
        constituents.drop_duplicates("effective_date").set_index("effective_date")["review"]
        if "review" in constituents
        else None
    )
    first = min(reviews)
    last = (
        len(sessions) - 1 if end is None else int(sessions.searchsorted(pd.Timestamp(end), side="right")) - 1
    )
    events = _corporate_events(market)
    events = events[(events["session"] > first) & (events["session"] <= last) & (events["pos"] >= 0)]
    events = events.reset_index(drop=True)
    n_ids = len(ids)
    event_key = events["session"].to_numpy(dtype=np.int64) * n_ids + events["pos"].to_numpy(dtype=np.int64)
    delist = market.securities["delisting_date"]
    delisted_at = pd.Series(
        sessions.searchsorted(pd.DatetimeIndex(delist.fillna(pd.Timestamp.max.normalize())).to_numpy()),
        index=ids,
    )
    delisted_sessions = delisted_at.to_numpy()
    div = market.dividends[market.dividends["kind"] == "regular"]
    div_session = sessions.searchsorted(pd.DatetimeIndex(div["ex_date"]))
    div_pos = ids.get_indexer(div["security_id"])
    div_amount = div["amount"].to_numpy(dtype=float)
    order = np.argsort(div_session, kind="stable")
    div_session, div_pos, div_amount = div_session[order], div_pos[order], div_amount[order]
    adv = market.daily

    prices = _Prices(market, options.missing_prices)
    book = _Book()
    divisor = 1.0
    pr = tr = ntr = net = float("nan")
    out_dates: list[np.ndarray] = []
    out_cols: dict[str, list[np.ndarray]] = {k: [] for k in LEVEL_COLUMNS[1:]}
    holdings_rows: list[tuple[np.ndarray, ...]] = []
    turnover_rows: list[tuple[Any, ...]] = []
    trade_rows: list[tuple[np.ndarray, ...]] = []
    event_rows: list[tuple[Any, ...]] = []

    def close_of(position: int, session: int) -> float:
        return float(prices.block(np.array([session]), np.array([position]))[0, 0])

    mv_last = float("nan")  # market value at the last close under the current holdings

    def adjust(session: int, sid: str, what: str, before: float, after: float) -> None:
        nonlocal divisor
        if not after > 0 or not before > 0:
            raise DataError(
                [
                    Problem(
                        f"{what} of {sid} on {sessions[session]:%Y-%m-%d} leaves market value {after:,.4f}: the divisor would be {divisor * after / before if before else float('nan'):.6g}",
                        "corporate_actions",
                        "check the action's ratio, cash and dates",
                    )
                ]
            )
        new = divisor * after / before
        event_rows.append((sessions[session], sid, what, divisor, new))
        divisor = new

    def rebalance(session: int, target: tuple[np.ndarray, np.ndarray]) -> None:
        nonlocal divisor, pr, tr, ntr, net, mv_last
        pos, w = target
        # A member delisted between the rank date and this close is not bought.
        alive = delisted_sessions[pos] > session
        if not alive.all():
            for position in pos[~alive]:
                event_rows.append(
                    (
                        sessions[session],
                        ids[position],
                        "not added: delisted before the effective date",
                        divisor,
                        divisor,
                    )
                )
            pos, w = pos[alive], w[alive] / w[alive].sum()
        p_new = prices.block(np.array([session]), pos)[0]
        old_pos, old_q = book.pos.copy(), book.q.copy()
        mv_old = mv_last
        if np.isnan(pr):  # the first effective date
            if options.unit_holdings:
                q = np.ones(len(pos))
                divisor = options.initial_divisor or float(p_new @ q) / options.base_value
            else:
                divisor = options.initial_divisor or 1.0
                q = w * options.base_value * divisor / p_new
            book.set(pos, q)
            mv_last = float(p_new @ book.q)
            pr = tr = ntr = net = mv_last / divisor
            cost = 0.0
            one_way = float("nan")
        else:
            if options.unit_holdings:
                q = np.ones(len(pos))
                mv_last = float(p_new @ q)
                adjust(session, "", "membership", mv_old, mv_last)
            else:
                q = w * mv_old / p_new
            # Drifted weights of the old holdings at this close, on the union of names.
            union = np.union1d(old_pos, pos)
            p_union = prices.block(np.array([session]), union)[0]
            old_shares = _spread(old_q, old_pos, union)
            new_shares = units = _spread(q, pos, union)
            if options.unit_holdings:  # compare weights, not unit counts
                new_shares = new_shares * mv_old / float(p_new @ q)
            drifted = old_shares * p_union / mv_old
            weights_new = new_shares * p_union / mv_old
            traded = (new_shares - old_shares) * p_union / mv_old
            one_way = 0.5 * float(np.abs(weights_new - drifted).sum())
            cost = 0.0
            if options.cost_bps or options.impact_bps:
                dollar_adv = np.nanmean(
                    adv.get(
                        "close", np.arange(max(0, session - options.adv_sessions + 1), session + 1), union
                    )
                    * adv.get(
                        "volume", np.arange(max(0, session - options.adv_sessions + 1), session + 1), union
                    ),
                    axis=0,
                )
                participation = np.abs(traded) * options.aum / np.where(dollar_adv > 0, dollar_adv, np.nan)
                per_name = (
                    np.abs(traded)
                    * (options.cost_bps + options.impact_bps * np.nan_to_num(participation, nan=1.0))
                    / 1e4
                )
                cost = float(per_name.sum())
                net *= 1.0 - cost  # paid at this close
                out_cols["net_of_costs"][-1] = out_cols["net_of_costs"][-1].copy()
                out_cols["net_of_costs"][-1][-1] = net
            changed = np.abs(new_shares - old_shares) > 0
            trade_rows.append(
                (
                    np.full(int(changed.sum()), session),
                    union[changed],
                    old_shares[changed],
                    units[changed],
                    traded[changed],
                )
            )
            book.set(pos, q)
        kind = kinds.get(sessions[session], "reconstitution") if kinds is not None else "reconstitution"
        turnover_rows.append(
            (sessions[session], kind, one_way, 2 * one_way if one_way == one_way else one_way, cost)
        )
        holdings_rows.append((np.full(len(book.pos), session), book.pos.copy(), book.q.copy()))

    def run_segment(a: int, b: int) -> None:
        """Sessions a..b with fixed holdings: levels and dividend reinvestment."""
        nonlocal pr, tr, ntr, net, mv_last
        if b < a:
            return
        days = np.arange(a, b + 1)
        block = prices.block(days, book.pos)
        mv = block @ book.q if len(book.pos) else np.zeros(len(days))
        level = mv / divisor
        # Regular dividends of held securities, in index points per day.
        lo, hi = np.searchsorted(div_session, a), np.searchsorted(div_session, b, side="right")
        slot = pd.Series(np.arange(len(book.pos)), index=book.pos)
        points = np.zeros(len(days))
        if hi > lo:
            where = slot.reindex(div_pos[lo:hi]).to_numpy()
            held = ~np.isnan(where)
            np.add.at(
                points,
                div_session[lo:hi][held] - a,
                div_amount[lo:hi][held] * book.q[where[held].astype(int)] / divisor,
            )
        prev = np.concatenate([[pr], level[:-1]])
        growth = (level + points) / prev
        net_growth = (level + points * (1 - options.withholding)) / prev
        tr_series = tr * np.cumprod(growth)
        ntr_series = ntr * np.cumprod(net_growth)
        fee = (1 - options.fee / SESSIONS_PER_YEAR) ** np.arange(1, len(days) + 1)
        net_series = net * np.cumprod(growth) * fee
        out_dates.append(days)
        out_cols["price_return"].append(level)
        out_cols["total_return"].append(tr_series)
        out_cols["net_total_return"].append(ntr_series)
        out_cols["divisor"].append(np.full(len(days), divisor))
        out_cols["market_value"].append(mv)
        out_cols["net_of_costs"].append(net_series)
        pr, tr, ntr, net = (
            float(level[-1]),
            float(tr_series[-1]),
            float(ntr_series[-1]),
            float(net_series[-1]),
        )
        mv_last = float(mv[-1])

    def before_open(session: int, rows: list[Any]) -> None:
        """Ex-date adjustments, made with the previous close."""
        nonlocal divisor, mv_last
        prev = session - 1
        for row in rows:
            i = book.index_of(row.pos)
            if i < 0:
                continue
            sid = row.security_id
            if not prices.panel.get("observed", session, np.array([row.pos]))[0] == 1:
                raise DataError(
                    [
                        Problem(
                            f"{row.action} of member {sid} on {sessions[session]:%Y-%m-%d}, a session without a price for it",
                            "corporate_actions",
                            "date the action on its ex-date, a session the security traded",
                        )
                    ]
                )
            if row.action == "split":
                if not row.ratio > 0:
                    raise DataError(
                        [
                            Problem(
                                f"split of {sid} on {sessions[session]:%Y-%m-%d} has ratio {row.ratio}",
                                "corporate_actions",
                                "give new shares per old share, > 0",
                            )
                        ]
                    )
                if options.unit_holdings:
                    after = mv_last - book.q[i] * close_of(row.pos, prev) * (1 - 1 / row.ratio)
                    adjust(session, sid, "split", mv_last, after)
                    mv_last = after
                else:
                    book.q[i] *= row.ratio
                    event_rows.append((sessions[session], sid, "split", divisor, divisor))
            elif row.action == "special-dividend":
                after = mv_last - book.q[i] * row.cash
                adjust(session, sid, "special dividend", mv_last, after)
                mv_last = after
            elif row.action == "spin-off":
                child = other_security(
                    row,
                    session,
                    "spin-off",
                    "new security",
                    "add the spun-off security to securities and prices",
                )
                if options.unit_holdings:
                    after = mv_last - book.q[i] * row.ratio * close_of(child, session)
                    adjust(session, sid, "spin-off", mv_last, after)
                    mv_last = after
                else:
                    book.add(child, book.q[i] * row.ratio)  # at price 0 on the previous close
                    event_rows.append((sessions[session], sid, "spin-off", divisor, divisor))

    columns = {
        c: events[c].to_numpy(dtype=object)
        for c in ("security_id", "action", "ratio", "cash", "other", "reason", "pos")
    }
    Act = collections.namedtuple("Act", list(columns))  # type: ignore[misc]

    def rows_between(lo: int, hi: int) -> list[Any]:
        return [Act(*(columns[c][k] for c in columns)) for k in range(lo, hi)]

    def on_session(session: int) -> list[Any]:
        lo, hi = np.searchsorted(event_key, [session * n_ids, (session + 1) * n_ids])
        return rows_between(int(lo), int(hi))

    def other_security(act: Any, session: int, what: str, role: str, fix: str) -> int:
        """Position of the security an action names (spun-off company, acquirer)."""
        other = ids.get_indexer([act.other])[0] if isinstance(act.other, str) else -1
        if other < 0:
            raise DataError(
                [
                    Problem(
                        f"{what} of {act.security_id} on {sessions[session]:%Y-%m-%d} names {role} {act.other!r}, which is not in the data",
                        "corporate_actions",
                        fix,
                    )
                ]
            )
        return int(other)

    def acts_of(session: int, position: int) -> list[Any]:
        lo, hi = np.searchsorted(event_key, [session * n_ids + position, session * n_ids + position + 1])
        return rows_between(int(lo), int(hi))

    def after_close(session: int) -> None:
        """Members whose last close was this session leave the index: sold at the deal
        price (the close reflects the sale), then the divisor takes what remains."""
        nonlocal mv_last
        gone = np.flatnonzero(delisted_sessions[book.pos] == session)
        if not len(gone):
            return
        plan = []  # (position, shares, close, price, what, acquirer, ratio)
        for i in gone:
            position = int(book.pos[i])
            close = close_of(position, session)
            price, what, acquirer, ratio = close, "delisting", -1, 0.0
            for act in acts_of(session, position):
                if act.action == "cash-acquisition" and act.cash == act.cash:
                    price, what = act.cash, "cash acquisition"
                elif act.action == "stock-acquisition":
                    acquirer = other_security(
                        act,
                        session,
                        "stock acquisition",
                        "acquirer",
                        "add the acquirer or record the deal as a cash acquisition",
                    )
                    ratio, what = act.ratio, "stock acquisition"
                    price = ratio * close_of(acquirer, session)
                    if book.index_of(acquirer) < 0 or options.unit_holdings:
                        acquirer = -1  # not held: removed at the consideration's value
                    else:
                        price = close  # held: shares move to the acquirer, no sale
                elif act.action == "delisting" and act.reason == "bankruptcy" and options.bankruptcy_at_zero:
                    price, what = 0.0, "bankruptcy"
            plan.append((position, float(book.q[i]), close, price, what, acquirer, ratio))
        realised = mv_last + sum(shares * (price - close) for _, shares, close, price, *_ in plan)
        if realised != mv_last:
            _restate_last(realised)
        current = realised
        for position, shares, close, price, what, acquirer, ratio in plan:
            book.drop(book.index_of(position))
            if acquirer >= 0:
                book.add(acquirer, shares * ratio)
                after = current - shares * close + shares * ratio * close_of(acquirer, session)
            else:
                after = current - shares * price
            adjust(session, ids[position], what, current, after)
            current = after
        mv_last = current

    def _restate_last(mv: float) -> None:
        nonlocal pr, tr, ntr, net
        ratio = mv / out_cols["market_value"][-1][-1]
        for key in ("price_return", "total_return", "net_total_return", "net_of_costs", "market_value"):
            out_cols[key][-1] = out_cols[key][-1].copy()
            out_cols[key][-1][-1] *= ratio
        pr, tr, ntr, net = pr * ratio, tr * ratio, ntr * ratio, net * ratio

    # Event sessions: corporate actions act before the open, delistings and reviews after
    # the close; the levels of the sessions between come from one block each.
    review_sessions = sorted(s for s in reviews if s <= last)
    action_sessions = set(
        events.loc[events["action"].isin(["split", "special-dividend", "spin-off"]), "session"]
    )
    held_ever = delisted_sessions[ids.get_indexer(constituents["security_id"].unique())]
    delist_sessions = {int(s) for s in held_ever[(held_ever > first) & (held_ever <= last)]}
    rebalance(review_sessions[0], reviews[review_sessions[0]])
    _seed(out_dates, out_cols, review_sessions[0], pr, tr, ntr, net, divisor, mv_last)
    breaks = sorted(
        (set(review_sessions[1:]) | delist_sessions | {s - 1 for s in action_sessions})
        & set(range(first + 1, last + 1))
    )
    start = first + 1
    if start <= last and start in action_sessions:
        before_open(start, on_session(start))
    for stop in [*breaks, last]:
        if stop < start:
            continue
        run_segment(start, stop)
        if stop in delist_sessions:
            after_close(stop)
        if stop in reviews and stop != first:
            rebalance(stop, reviews[stop])
        nxt = stop + 1
        if nxt <= last and nxt in action_sessions:
            before_open(nxt, on_session(nxt))
        start = nxt

    dates = np.concatenate(out_dates)
    levels = pd.DataFrame({"date": sessions[dates]})
    for key, parts in out_cols.items():
        levels[key] = np.concatenate(parts)
    if not options.has_costs:
        levels = levels.drop(columns="net_of_costs")
    stale = (
        pd.DataFrame(prices.stale, columns=["date", "security_id"])
        .drop_duplicates()
        .sort_values(["date", "security_id"], kind="stable")
        .reset_index(drop=True)
    )
    return Calculation(
        levels=levels,
        holdings=_frame(holdings_rows, ("effective_date", "security_id", "index_shares"), sessions, ids),
        turnover=pd.DataFrame(
            turnover_rows, columns=["effective_date", "review", "one_way", "two_way", "cost"]
        ),
        trades=_frame(
            trade_rows,
            ("effective_date", "security_id", "index_shares_before", "index_shares_after", "traded_value"),
            sessions,
            ids,
        ),
        events=pd.DataFrame(
            event_rows, columns=["date", "security_id", "event", "divisor_before", "divisor_after"]
        ),
        stale=stale,
    )


def _seed(out_dates, out_cols, session, pr, tr, ntr, net, divisor, mv):
    """The first effective date's close: the base level."""
    out_dates.append(np.array([session]))
    for key, value in (
        ("price_return", pr),
        ("total_return", tr),
        ("net_total_return", ntr),
        ("divisor", divisor),
        ("market_value", mv),
        ("net_of_costs", net),
    ):
        out_cols[key].append(np.array([value]))


def _targets(constituents: pd.DataFrame, market: Market) -> dict[int, tuple[np.ndarray, np.ndarray]]:
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


def _spread(values: np.ndarray, pos: np.ndarray, union: np.ndarray) -> np.ndarray:
    """``values`` (aligned with ``pos``) laid out on the sorted ``union`` of positions."""
    out = np.zeros(len(union))
    out[np.searchsorted(union, pos)] = values
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


def annualised_turnover(turnover: pd.DataFrame) -> float:
    """Mean over complete calendar years of the summed one-way turnover."""
    frame = turnover.dropna(subset=["one_way"])
    if frame.empty:
        return float("nan")
    by_year = frame.groupby(pd.DatetimeIndex(frame["effective_date"]).year)["one_way"].sum()
    inner = by_year.iloc[1:-1] if len(by_year) > 2 else by_year
    return float(inner.mean())
