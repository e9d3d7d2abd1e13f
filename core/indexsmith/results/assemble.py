"""Turning the engine's per-review outputs into result tables: constituents with their
change and reason, additions and deletions, exclusions, and each index's provenance.

Nothing here calculates levels: the pipeline attaches each index's calculation
(:meth:`IndexResult.with_calculation`).
"""

from __future__ import annotations

import pandas as pd

from indexsmith.data.market import Market
from indexsmith.definition.model import Methodology, ResolvedIndex
from indexsmith.engine import ReviewOutput
from indexsmith.frames import (
    CHANGE_COLUMNS,
    CONSTITUENT_COLUMNS,
    EXCLUSION_COLUMNS,
    FACT_COLUMNS,
    by_security,
    isin,
)
from indexsmith.results.model import BuildResult, IndexResult
from indexsmith.version import __version__


def assemble(methodology: Methodology, market: Market, reviews: list[ReviewOutput]) -> BuildResult:
    """Turn the engine's per-review outputs into result tables (without levels)."""
    exclusions = _exclusions(reviews, market)
    base_info = {
        "indexsmith_version": __version__,
        "family_id": methodology.definition.id,
        "definition_source": methodology.source,
        "definition": methodology.normalised(),
        "data": {
            "source": market.source,
            "fingerprint": market.fingerprint(),
            "calendar": market.calendar.code,
            "first_session": f"{market.first_session:%Y-%m-%d}",
            "last_session": f"{market.last_session:%Y-%m-%d}",
            "securities": len(market.securities),
        },
        "reviews": len(reviews),
    }
    indices = {}
    buckets = [by_security(output.assignment)["bucket"] for output in reviews]  # once, for every index
    for index in methodology.indices:
        constituents, changes = _index_tables(index, reviews, buckets)
        components = [
            c.provenance()
            for c in (
                methodology.schedule,
                *methodology.screens,
                methodology.ranking,
                methodology.bucketing,
                index.weighting,
                *([index.capping] if index.capping else []),
            )
        ]
        info = {
            "index_id": index.spec.id,
            "index_name": index.spec.name,
            **base_info,
            "components": components,
        }
        indices[index.spec.id] = IndexResult(index.spec.id, constituents, changes, exclusions, info)
    return BuildResult(methodology.definition.id, indices)


def _exclusions(reviews: list[ReviewOutput], market: Market) -> pd.DataFrame:
    frames = []
    for output in reviews:
        frame = output.exclusions.copy()
        frame.insert(0, "rank_date", output.review.rank_date)
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True)
    tickers = market.securities.set_index("security_id")["ticker"]
    table["ticker"] = table["security_id"].map(tickers)
    table["rank_date"] = pd.to_datetime(table["rank_date"]).astype("datetime64[ns]")
    return _typed(table.sort_values(["rank_date", "security_id"], kind="stable"), EXCLUSION_COLUMNS)


def _index_tables(
    index: ResolvedIndex, reviews: list[ReviewOutput], buckets: list[pd.Series]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    frames = []
    changes = []
    previous: pd.DataFrame | None = None
    for output, assigned in zip(reviews, buckets, strict=True):
        members = output.constituents[index.spec.id]
        review = output.review
        current = members.index
        before = previous.index if previous is not None else pd.Index([])
        added = ~isin(current, before)
        frame = members.reset_index()
        frame["change"] = pd.Series(added).map({True: "addition", False: "retained"}).to_numpy()
        frame["reason"] = ("rank " + frame["rank"].astype(str) + " in " + frame["bucket"]).where(added, "")
        for column in ("rank_date", "announcement_date", "effective_date"):
            frame[column] = getattr(review, column)
        frame["review"] = review.kind
        frames.append(frame)
        additions = frame[added]
        changes.append(
            pd.DataFrame(
                {
                    "security_id": additions["security_id"],
                    "ticker": additions["ticker"],
                    "change": "addition",
                    "reason": additions["reason"],
                }
            )
        )
        if previous is not None:
            gone = before[~isin(before, current)]
            changes.append(_deletions(gone, previous, output, assigned))
        for frame_ in changes[-2:]:
            frame_["rank_date"] = review.rank_date
            frame_["effective_date"] = review.effective_date
        previous = members
    constituents = pd.concat(frames, ignore_index=True).sort_values(
        ["effective_date", "rank", "security_id"], kind="stable"
    )
    change_table = pd.concat(changes, ignore_index=True).sort_values(
        ["effective_date", "change", "security_id"], kind="stable"
    )
    return _typed(constituents, CONSTITUENT_COLUMNS), _typed(change_table, CHANGE_COLUMNS)


def _deletions(
    gone: pd.Index, previous: pd.DataFrame, output: ReviewOutput, assigned: pd.Series
) -> pd.DataFrame:
    """Why each former member left: the screen that excluded it, where it ranked, or its
    delisting."""
    excluded = output.exclusions.drop_duplicates("security_id").set_index("security_id")
    ranked = output.ranked
    reasons = []
    for sid in gone:
        if sid in excluded.index:
            reasons.append(f"excluded by {excluded.loc[sid, 'screen']!s}: {excluded.loc[sid, 'reason']!s}")
        elif sid in ranked.index:
            bucket = assigned.get(sid, "no bucket")
            reasons.append(f"rank {ranked.loc[sid, 'rank']!s} in {bucket}")
        else:
            reasons.append("no longer listed on the rank date")
    return pd.DataFrame(
        {
            "security_id": list(gone),
            "ticker": previous.loc[gone, "ticker"].to_numpy(),
            "change": "deletion",
            "reason": reasons,
        }
    )


def _typed(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    out = frame.reindex(columns=list(columns)).reset_index(drop=True)
    for column in out.columns:
        if column.endswith("_date"):
            out[column] = pd.to_datetime(out[column]).astype("datetime64[ns]")
        elif column in ("rank",):
            out[column] = out[column].astype("int64")
        elif column in ("measure", "fraction", "weight", *FACT_COLUMNS):
            out[column] = out[column].astype("float64")
        else:
            out[column] = out[column].astype(object).where(out[column].notna(), None)
    return out
