"""Build results in memory: one :class:`IndexResult` per index (constituents per review,
changes, exclusions, provenance and the daily calculation) and the :class:`BuildResult`
of a family. Reading and writing result folders is :mod:`indexsmith.results.store`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pandas as pd

from indexsmith.calculation.levels import Calculation


@attrs.frozen
class IndexResult:
    """One index of a build: constituents per review, changes, and provenance."""

    index_id: str
    constituents: pd.DataFrame
    changes: pd.DataFrame
    exclusions: pd.DataFrame
    run_info: dict[str, Any]
    #: Daily numbers (see :mod:`indexsmith.calculation`); None when built without calculation.
    calculation: Calculation | None = None
    #: One row per continuous membership interval (``membership.parquet``); with levels only.
    membership: pd.DataFrame | None = None
    #: The changes between reviews as the calculation reads them (not written).
    between: pd.DataFrame | None = attrs.field(default=None, repr=False)
    #: The pending review's members with target weights, when the build ends between its
    #: rank and effective dates (``pro_forma.parquet``), and its additions and deletions
    #: against the membership in force (``pro_forma_changes.parquet``).
    pro_forma: pd.DataFrame | None = attrs.field(default=None, repr=False)
    pro_forma_changes: pd.DataFrame | None = attrs.field(default=None, repr=False)

    @property
    def levels(self) -> pd.DataFrame:
        if self.calculation is None:
            raise ValueError(f"index '{self.index_id}' was built with calculate=False: it has no levels")
        return self.calculation.levels

    def at(self, review: dt.date | str | pd.Timestamp) -> pd.DataFrame:
        """Constituents of the review whose rank or effective date is ``review``."""
        when = pd.Timestamp(review)
        rows = self.constituents[
            (self.constituents["rank_date"] == when) | (self.constituents["effective_date"] == when)
        ]
        return rows.reset_index(drop=True)

    def latest(self) -> pd.DataFrame:
        """Constituents of the last review."""
        c = self.constituents
        return c[c["effective_date"] == c["effective_date"].max()]

    @property
    def reviews(self) -> pd.DataFrame:
        return (
            self.constituents[["rank_date", "announcement_date", "effective_date", "review"]]
            .drop_duplicates()
            .reset_index(drop=True)
        )

    def with_calculation(
        self, calculation: Calculation, membership: pd.DataFrame | None = None
    ) -> IndexResult:
        """This result with its daily calculation (and membership intervals) attached, and
        the index shares held from each effective date written into the constituents."""
        constituents = self.constituents.copy()
        holdings = calculation.holdings_on(pd.DatetimeIndex(self.constituents["effective_date"].unique()))
        row = _rows_of(
            holdings["effective_date"],
            holdings["security_id"],
            constituents["effective_date"],
            constituents["security_id"],
        )
        shares = holdings["index_shares"].to_numpy(dtype=float)
        constituents["index_shares"] = np.where(
            row >= 0, shares[np.maximum(row, 0)] if len(shares) else np.nan, np.nan
        )
        return attrs.evolve(self, constituents=constituents, calculation=calculation, membership=membership)

    def members_on(self, date: dt.date | str | pd.Timestamp) -> pd.DataFrame:
        """Membership intervals covering the session ``date`` (held during it)."""
        if self.membership is None:
            raise ValueError(f"index '{self.index_id}' was built without levels: it has no membership table")
        when = pd.Timestamp(date)
        m = self.membership
        return m[(m["entry_date"] <= when) & (m["exit_date"].isna() | (m["exit_date"] > when))]

    def write(self, directory: str | Path) -> None:
        """Write this index's files into an existing directory (see
        :func:`indexsmith.results.store.write_index`)."""
        from indexsmith.results.store import write_index

        write_index(self, Path(directory))


@attrs.frozen
class BuildResult:
    """Every index of a family, in definition order."""

    family_id: str
    indices: dict[str, IndexResult]
    #: Reviews ranked inside the data whose effective date lies past it.
    pending: pd.DataFrame = attrs.field(factory=pd.DataFrame)
    #: Spun-off companies dropped after their first session (the engine's decision).
    spin_off_drops: pd.DataFrame = attrs.field(factory=pd.DataFrame, repr=False)

    def __getitem__(self, index_id: str) -> IndexResult:
        return self.indices[index_id]

    def __iter__(self) -> Iterator[IndexResult]:
        return iter(self.indices.values())

    def write(self, out: str | Path, *, overwrite: bool = False) -> Path:
        """Write every index: flat in ``out`` for a single index, one folder per index for a
        family. The whole tree appears at once (see :func:`indexsmith.results.store.write_build`)."""
        from indexsmith.results.store import write_build

        return write_build(self, Path(out), overwrite=overwrite)


def _rows_of(dates: pd.Series, ids: pd.Series, want_dates: pd.Series, want_ids: pd.Series) -> np.ndarray:
    """Row of each wanted (date, security) pair among the (date, security) pairs of a table
    whose pairs are unique (-1 where absent): one integer key per pair, so the look-up is
    one hash of integers rather than of tuples."""
    n = len(dates)
    day, _ = pd.factorize(
        np.concatenate([dates.to_numpy("datetime64[ns]"), want_dates.to_numpy("datetime64[ns]")])
    )
    sid, _ = pd.factorize(np.concatenate([ids.to_numpy(dtype=object), want_ids.to_numpy(dtype=object)]))
    ok = (day >= 0) & (sid >= 0)
    key = np.where(ok, day.astype(np.int64) * (int(sid.max(initial=0)) + 1) + sid, -1)
    table = pd.Index(key[:n])
    if not table.is_unique:
        raise ValueError("holdings repeat a (date, security) pair")
    row = table.get_indexer(key[n:])
    return np.where(ok[n:], row, -1)
