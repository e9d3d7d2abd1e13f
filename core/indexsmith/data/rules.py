"""Rules of ``docs/data.md`` beyond types and sessions: finite numbers, the known action
and dividend kinds (with a did-you-mean), ids that point at securities, and chronology
(listing <= prices <= delisting, figures available no earlier than their period end).

Called by :func:`indexsmith.data.validate.validate_frames` on the coerced tables; every
problem names its file and row.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from indexsmith.data.schema import HISTORY_COLUMNS, SCHEMA

#: The corporate-action kinds the calculation applies (``action`` column), exactly as written.
ACTIONS = ("split", "spin-off", "cash-acquisition", "stock-acquisition", "delisting", "ticker-change")
#: The actions that end a security, dated on its last close.
ENDING = ("cash-acquisition", "stock-acquisition", "delisting")
#: The dividend kinds (``kind`` column).
DIVIDEND_KINDS = ("regular", "special")
#: The delisting reasons (``reason`` column of corporate actions).
DELISTING_REASONS = ("bankruptcy", "acquisition", "voluntary", "listing-standards")


def check_rules(
    tables: Mapping[str, pd.DataFrame],
    names: Mapping[str, str],
    codes: Mapping[str, np.ndarray],
    ids: pd.Index,
    problems: Any,
) -> None:
    """Add a problem for every row that breaks a rule (``problems`` is the validator's collector)."""
    if not len(tables["prices"]):
        problems.add(
            "the prices table has no rows", names["prices"], "a market needs the closes of its securities"
        )
    _finite(tables, names, problems)
    _kinds(
        tables["corporate_actions"],
        "action",
        ACTIONS,
        "corporate action",
        names["corporate_actions"],
        problems,
    )
    _kinds(tables["dividends"], "kind", DIVIDEND_KINDS, "dividend kind", names["dividends"], problems)
    _kinds(
        tables["corporate_actions"],
        "reason",
        DELISTING_REASONS,
        "delisting reason",
        names["corporate_actions"],
        problems,
    )
    actions = tables["corporate_actions"]
    for column, what in (("acquirer_id", "acquirer"), ("new_security_id", "spun-off security")):
        values = actions[column]
        given = values.notna().to_numpy()
        missing = given & (ids.get_indexer(values.astype(object)) < 0)
        problems.rows(
            names["corporate_actions"],
            actions,
            missing,
            lambda r, c=column, w=what: (
                f"{c} {_short(r[c])} (the {w} of {r['security_id']}) is not in securities"
            ),
            "add it to the securities table or correct the id",
        )
    needs = (actions["action"] == "stock-acquisition").to_numpy() & actions["acquirer_id"].isna().to_numpy()
    problems.rows(
        names["corporate_actions"],
        actions,
        needs,
        lambda r: f"stock-acquisition of {r['security_id']} on {r['date']:%Y-%m-%d} names no acquirer_id",
        "write the acquirer's security_id, or record the deal as a cash-acquisition",
    )
    _chronology(tables, names, codes, problems)
    _history(tables, names, codes, problems)


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _finite(tables: Mapping[str, pd.DataFrame], names: Mapping[str, str], problems: Any) -> None:
    for table, columns in SCHEMA.items():
        frame = tables[table]
        for column in columns:
            if column.dtype != "float" or not len(frame):
                continue
            values = frame[column.name].to_numpy(dtype="float64")
            problems.rows(
                names[table],
                frame,
                np.isinf(values),
                f"column '{column.name}' has {{row[{column.name}]}}",
                "write a finite number",
            )


def _kinds(
    frame: pd.DataFrame, column: str, allowed: tuple[str, ...], what: str, file: str, problems: Any
) -> None:
    values = frame[column].astype(object)
    unknown = values.notna().to_numpy() & ~values.isin(allowed).to_numpy()
    if not unknown.any():
        return
    numbers = problems.row_numbers.get(id(frame), np.arange(1, len(frame) + 1))
    for value in pd.unique(values[unknown]):
        rows = np.sort(numbers[np.flatnonzero((values == value).to_numpy())])
        close = difflib.get_close_matches(str(value).lower(), allowed, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'? " if close else ""
        count = f"{len(rows)} rows, first" if len(rows) > 1 else "row"
        problems.add(
            f"{column} {_short(value)} is not a known {what}",
            f"{file} {count} {rows[0]}",
            hint + f"use one of {', '.join(allowed)} (written exactly so)",
        )


def _chronology(
    tables: Mapping[str, pd.DataFrame],
    names: Mapping[str, str],
    codes: Mapping[str, np.ndarray],
    problems: Any,
) -> None:
    sec = tables["securities"]
    listing, delisting = sec["listing_date"].to_numpy(), sec["delisting_date"].to_numpy()
    problems.rows(
        names["securities"],
        sec,
        ~np.isnat(delisting) & ~np.isnat(listing) & (delisting < listing),
        lambda r: (
            f"{r['security_id']} is delisted ({r['delisting_date']:%Y-%m-%d}) before it is listed "
            f"({r['listing_date']:%Y-%m-%d})"
        ),
        "correct listing_date or delisting_date",
    )
    _delisting_dates(tables, names, codes, problems)
    prices = tables["prices"]
    if len(prices):
        code = codes["prices"]
        first = np.append(listing, np.datetime64("NaT"))[np.where(code >= 0, code, len(listing))]
        before = ~np.isnat(first) & (prices["date"].to_numpy() < first)
        by_id = sec.set_index("security_id")["listing_date"]
        problems.rows(
            names["prices"],
            prices,
            before,
            lambda r: (
                f"price for {r['security_id']} on {r['date']:%Y-%m-%d} is before its listing_date "
                f"{by_id[r['security_id']]:%Y-%m-%d}"
            ),
            "remove the row or correct listing_date (the first session with a price)",
        )
        # A security ends on the date of its acquisition or delisting (its last close): a
        # price after it means the action would never be applied.
        actions = tables["corporate_actions"]
        ending = actions["action"].isin(ENDING).to_numpy() & (codes["corporate_actions"] >= 0)
        if ending.any():
            end_of = np.full(len(listing) + 1, np.datetime64("NaT"), dtype="datetime64[ns]")
            order = np.argsort(actions["date"].to_numpy()[ending], kind="stable")[::-1]
            end_of[codes["corporate_actions"][ending][order]] = actions["date"].to_numpy()[ending][order]
            limit = end_of[np.where(code >= 0, code, len(listing))]
            after = ~np.isnat(limit) & (prices["date"].to_numpy() > limit)
            what = actions[ending].groupby("security_id")[["date", "action"]].first()
            problems.rows(
                names["prices"],
                prices,
                after,
                lambda r: (
                    f"price for {r['security_id']} on {r['date']:%Y-%m-%d} is after its {what.loc[r['security_id'], 'action']} "
                    f"on {what.loc[r['security_id'], 'date']:%Y-%m-%d} (the action is dated on the last close)"
                ),
                "date the action on the security's last trading day, or remove the later prices",
            )
    fundamentals = tables["fundamentals"]
    problems.rows(
        names["fundamentals"],
        fundamentals,
        (fundamentals["available_date"] < fundamentals["period_end"]).to_numpy(),
        lambda r: (
            f"figures of {r['security_id']} for the period ending {r['period_end']:%Y-%m-%d} are available "
            f"{r['available_date']:%Y-%m-%d}, before the period ends"
        ),
        "available_date is when the market could first know them (a filing date), on or after period_end",
    )


def _delisting_dates(
    tables: Mapping[str, pd.DataFrame],
    names: Mapping[str, str],
    codes: Mapping[str, np.ndarray],
    problems: Any,
) -> None:
    """A ``delisting`` action and the security's ``delisting_date``, when both are given,
    name the same session (its last close): otherwise one of them is wrong, and which
    one decides when the member leaves the index."""
    sec, actions = tables["securities"], tables["corporate_actions"]
    code = codes["corporate_actions"]
    known = np.append(sec["delisting_date"].to_numpy(), np.datetime64("NaT"))
    recorded = known[np.where(code >= 0, code, len(sec))]
    differs = (
        (actions["action"] == "delisting").to_numpy()
        & ~np.isnat(recorded)
        & ~np.isnat(actions["date"].to_numpy())
        & (actions["date"].to_numpy() != recorded)
    )
    by_id = sec.drop_duplicates("security_id").set_index("security_id")["delisting_date"]
    problems.rows(
        names["corporate_actions"],
        actions,
        differs,
        lambda r: (
            f"delisting of {r['security_id']} on {r['date']:%Y-%m-%d} differs from its delisting_date "
            f"{by_id[r['security_id']]:%Y-%m-%d} in securities"
        ),
        "date both on the security's last session with a price, or leave delisting_date empty",
    )


def _history(
    tables: Mapping[str, pd.DataFrame],
    names: Mapping[str, str],
    codes: Mapping[str, np.ndarray],
    problems: Any,
) -> None:
    """A ``security_history`` row changes something, after the security's listing (the
    values at listing are the securities table's)."""
    history, file = tables["security_history"], names["security_history"]
    if not len(history):
        return
    empty = history[list(HISTORY_COLUMNS)].isna().all(axis=1).to_numpy()
    problems.rows(
        file,
        history,
        empty,
        lambda r: f"history row of {r['security_id']} on {r['date']:%Y-%m-%d} changes nothing",
        f"write the new value in one of {', '.join(HISTORY_COLUMNS)}, or remove the row",
    )
    listing = np.append(tables["securities"]["listing_date"].to_numpy(), np.datetime64("NaT"))
    code = codes["security_history"]
    first = listing[np.where(code >= 0, code, len(listing) - 1)]
    early = ~np.isnat(first) & (history["date"].to_numpy() <= first)
    by_id = tables["securities"].set_index("security_id")["listing_date"]
    problems.rows(
        file,
        history,
        early,
        lambda r: (
            f"history row of {r['security_id']} on {r['date']:%Y-%m-%d} is not after its listing_date "
            f"{by_id[r['security_id']]:%Y-%m-%d}"
        ),
        "write the values at listing in the securities table; a history row changes them from a later date",
    )
