"""Checks of each stage's output against the contract in :mod:`indexsmith.components`.

Each check raises :class:`~indexsmith.errors.ComponentError` naming the component, the
plugin that provided it and the review, before the next stage can use bad output.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from indexsmith.errors import ComponentError
from indexsmith.frames import BUCKET_COLUMNS, REVIEW_COLUMNS, REVIEW_KINDS, isin

if TYPE_CHECKING:
    from indexsmith.components import Review
    from indexsmith.definition.model import Resolved

WEIGHT_TOLERANCE = 1e-9


def who(resolved: Resolved) -> str:
    """``weighting 'equal' (plugin 'indexsmith_plugins.weightings', indexsmith 0.1.0)``."""
    return f"{resolved.label} from plugin {resolved.entry.plugin.label()}"


def describe(when: Review | str) -> tuple[str, str | None]:
    """The words for a review in messages, and its rank date (None for other moments,
    such as building the schedule)."""
    if isinstance(when, str):
        return when, None
    return when.label, f"{when.rank_date:%Y-%m-%d}"


def fields(resolved: Resolved, review_date: str | None) -> dict[str, Any]:
    """The :class:`ComponentError` fields naming a component, its plugin and the review."""
    return {"component": resolved.label, "plugin": resolved.entry.plugin.label(), "review_date": review_date}


def _fail(resolved: Resolved, when: Review | str, what: str) -> ComponentError:
    label, review_date = describe(when)
    return ComponentError(
        f"{who(resolved)} broke its contract {label}: {what}", **fields(resolved, review_date)
    )


def broke(resolved: Resolved, when: Review | str, what: str) -> ComponentError:
    """The error of a component that broke its stage contract (for checks made elsewhere)."""
    return _fail(resolved, when, what)


def split_state(
    resolved: Resolved, result: object, key: str, frame: pd.DataFrame, when: Review | str
) -> tuple[object, pd.DataFrame]:
    """A weighting's result and its state: a Series is the result with no state; a frame's
    ``key`` column is the result and its other columns are state (aligned with ``frame``)."""
    if isinstance(result, pd.DataFrame):
        if key not in result.columns:
            raise _fail(resolved, when, f"returned a frame without a '{key}' column")
        if not result.index.equals(frame.index):
            raise _fail(
                resolved,
                when,
                "the result is not aligned with its input rows (rows dropped, added or reordered)",
            )
        return result[key], result.drop(columns=[key])
    return result, pd.DataFrame(index=frame.index)


def check_shares(resolved: Resolved, shares: object, members: pd.DataFrame, when: Review | str) -> pd.Series:
    """Index shares: finite, non-negative, not all zero."""
    values = _finite_series(resolved, shares, members, when, "index shares of", "index shares must be finite")
    array = values.to_numpy()
    if len(array) and (array < 0).any():
        sid = values.index[array < 0][0]
        raise _fail(resolved, when, f"index shares of {sid} are {values[sid]:.6g}; index shares must be >= 0")
    if len(array) and not (array > 0).any():
        raise _fail(resolved, when, "every member has zero index shares")
    return values


def check_reviews(resolved: Resolved, reviews: object) -> pd.DataFrame:
    when = "building the review schedule"
    if not isinstance(reviews, pd.DataFrame):
        raise _fail(resolved, when, f"returned {type(reviews).__name__}, not a DataFrame")
    missing = [c for c in REVIEW_COLUMNS if c not in reviews.columns]
    if missing:
        raise _fail(resolved, when, f"missing columns {', '.join(missing)}")
    frame = reviews[list(REVIEW_COLUMNS)].reset_index(drop=True)
    kind = reviews["kind"] if "kind" in reviews.columns else pd.Series("reconstitution", index=reviews.index)
    unknown = sorted(set(kind.astype(str)) - set(REVIEW_KINDS))
    if unknown:
        raise _fail(resolved, when, f"review kind {unknown[0]!r} is not one of {', '.join(REVIEW_KINDS)}")
    frame["kind"] = kind.astype(str).to_numpy()
    for column in REVIEW_COLUMNS:
        if not pd.api.types.is_datetime64_any_dtype(frame[column]) or frame[column].isna().any():
            raise _fail(resolved, when, f"column {column} must hold dates without gaps")
    order = (frame["rank_date"] <= frame["announcement_date"]) & (
        frame["announcement_date"] <= frame["effective_date"]
    )
    if not order.all():
        row = frame[~order].iloc[0]
        raise _fail(
            resolved,
            when,
            f"review effective {row['effective_date']:%Y-%m-%d} has rank/announcement/effective dates out of order",
        )
    if not frame["effective_date"].is_monotonic_increasing or frame["effective_date"].duplicated().any():
        raise _fail(resolved, when, "effective dates must be unique and increasing")
    return frame


def check_reasons(
    resolved: Resolved, reasons: object, candidates: pd.DataFrame, when: Review | str
) -> pd.Series:
    if not isinstance(reasons, pd.Series):
        raise _fail(resolved, when, f"returned {type(reasons).__name__}, not a Series of reasons")
    if not reasons.index.equals(candidates.index):
        raise _fail(
            resolved,
            when,
            "the reasons are not aligned with the candidates (rows dropped, added or reordered)",
        )
    bad = reasons.notna() & ~reasons.map(lambda r: isinstance(r, str) and bool(r))
    if bad.any():
        first = bad[bad].index[0]
        raise _fail(
            resolved,
            when,
            f"reason for {first} is {reasons.loc[first]!r}; a reason must be non-empty text, or missing when the security passes",
        )
    return reasons


def _finite_series(
    resolved: Resolved, value: object, frame: pd.DataFrame, when: Review | str, what: str, rule: str
) -> pd.Series:
    """``value`` as a float Series aligned with ``frame.index`` and finite, or a contract
    error such as ``weight of AAA is nan; weights must be finite``."""
    if not isinstance(value, pd.Series):
        raise _fail(resolved, when, f"returned {type(value).__name__}, not a Series")
    if not value.index.equals(frame.index):
        raise _fail(
            resolved, when, "the result is not aligned with its input rows (rows dropped, added or reordered)"
        )
    values = pd.to_numeric(value, errors="coerce").astype(float)
    finite = np.isfinite(values.to_numpy())
    if not finite.all():
        sid = values.index[~finite][0]
        raise _fail(resolved, when, f"{what} {sid} is {value[sid]}; {rule}")
    return values


def check_measure(
    resolved: Resolved, measure: object, universe: pd.DataFrame, when: Review | str
) -> pd.Series:
    return _finite_series(
        resolved,
        measure,
        universe,
        when,
        "measure for",
        "rank measures must be finite numbers (screen out securities without data)",
    )


def check_buckets(
    resolved: Resolved, assigned: object, ranked: pd.DataFrame, declared: tuple[str, ...], when: Review | str
) -> pd.DataFrame:
    if not isinstance(assigned, pd.DataFrame):
        raise _fail(resolved, when, f"returned {type(assigned).__name__}, not a DataFrame")
    missing = [c for c in BUCKET_COLUMNS if c not in assigned.columns]
    if missing:
        raise _fail(resolved, when, f"missing columns {', '.join(missing)}")
    columns = list(BUCKET_COLUMNS) + (["note"] if "note" in assigned.columns else [])
    frame = assigned[columns].reset_index(drop=True)
    for column in columns:  # plain object text, as the engine's frames are (frames.isin)
        if isinstance(frame[column].dtype, pd.StringDtype):
            frame[column] = frame[column].astype(object)
    unknown = ~isin(frame["security_id"], ranked.index)
    if unknown.any():
        raise _fail(
            resolved, when, f"security {frame['security_id'][unknown].iloc[0]} is not in the ranked universe"
        )
    undeclared = ~frame["bucket"].isin(declared)
    if undeclared.any():
        raise _fail(
            resolved,
            when,
            f"bucket '{frame['bucket'][undeclared].iloc[0]}' is not one it declares ({', '.join(declared)})",
        )
    fraction = pd.to_numeric(frame["fraction"], errors="coerce").astype(float)
    if not ((fraction > 0) & (fraction <= 1)).all():
        raise _fail(resolved, when, "every fraction must be in (0, 1]")
    if not pd.Index(frame["security_id"].to_numpy(dtype=object), dtype=object).is_unique:
        # Only a security split between buckets (packeting) can sum past 1 or repeat.
        totals = fraction.groupby(frame["security_id"]).sum()
        if (totals > 1 + 1e-12).any():
            raise _fail(resolved, when, f"fractions of {totals.idxmax()} sum to {totals.max():.6g} > 1")
        if frame.duplicated(["security_id", "bucket"]).any():
            raise _fail(resolved, when, "a security appears twice in the same bucket")
    frame["fraction"] = fraction
    return frame


def check_weights(
    resolved: Resolved, weights: object, members: pd.DataFrame, when: Review | str
) -> pd.Series:
    values = _finite_series(resolved, weights, members, when, "weight of", "weights must be finite")
    array = values.to_numpy()
    if len(array) == 0:
        return values
    if (array < 0).any():
        sid = values.index[array < 0][0]
        raise _fail(resolved, when, f"weight of {sid} is {values[sid]:.6g}; weights must be >= 0")
    total = float(array.sum())
    if abs(total - 1.0) > WEIGHT_TOLERANCE:
        raise _fail(resolved, when, f"weights sum to {total:.12g}, not 1")
    return values
