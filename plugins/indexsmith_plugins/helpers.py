"""Helpers shared by the built-in plugin modules: the frames a schedule and a bucketing
return. A helper module: it registers nothing, and plugin modules may import it (no plugin
module imports another plugin module).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd


def review_frame(
    rows: list[tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp]],
    start: dt.date,
    end: dt.date,
    kinds: list[str] | None = None,
) -> pd.DataFrame:
    """Reviews as a schedule returns them: (rank, announcement, effective) rows and their
    kinds, as datetime columns, within ``[start, end]`` by effective date, one per date."""
    frame = pd.DataFrame(rows, columns=["rank_date", "announcement_date", "effective_date"])
    for column in frame.columns:
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[ns]")
    frame["kind"] = kinds if kinds is not None else "reconstitution"
    inside = (frame["effective_date"] >= pd.Timestamp(start)) & (frame["effective_date"] <= pd.Timestamp(end))
    frame = frame[inside].sort_values("effective_date", kind="stable")
    return frame.drop_duplicates("effective_date").reset_index(drop=True)


def assignment(
    ids: pd.Index, buckets: np.ndarray | list[str] | str, fraction: float | np.ndarray = 1.0
) -> pd.DataFrame:
    """Bucket rows as a bucketing returns them: security_id, bucket, fraction."""
    return pd.DataFrame(
        {"security_id": np.asarray(ids, dtype=object), "bucket": buckets, "fraction": fraction}
    )
