"""Build results: tables per index, Parquet outputs and ``run.json`` provenance.

Outputs are deterministic: rows are sorted, dtypes fixed and no clock time is written,
so the same definition on the same data gives byte-identical files. A result directory is
written to a temporary sibling and moved into place only when complete.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from indexsmith.calculate import Calculation, calculate
from indexsmith.definition import Methodology, ResolvedIndex
from indexsmith.engine import FACT_COLUMNS, ReviewOutput, by_security
from indexsmith.errors import OutputError
from indexsmith.market import Market, isin

CONSTITUENT_COLUMNS = (
    "rank_date",
    "announcement_date",
    "effective_date",
    "review",
    "security_id",
    "company_id",
    "ticker",
    "sector",
    "rank",
    "measure",
    "bucket",
    "fraction",
    "weight",
    "index_shares",
    "company_market_cap",
    "float_market_cap",
    "ttm_net_income",
    "book_equity",
    "adv",
    "change",
    "reason",
    "note",
)
CHANGE_COLUMNS = ("rank_date", "effective_date", "security_id", "ticker", "change", "reason")
EXCLUSION_COLUMNS = ("rank_date", "security_id", "ticker", "screen", "reason")


@attrs.frozen
class IndexResult:
    """One index of a build: constituents per review, changes, and provenance."""

    index_id: str
    constituents: pd.DataFrame
    changes: pd.DataFrame
    exclusions: pd.DataFrame
    run_info: dict[str, Any]
    #: Daily numbers (see :mod:`indexsmith.calculate`); None when built without calculation.
    calculation: Calculation | None = None

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

    def write(self, directory: str | Path) -> None:
        """Write this index's files into an existing directory."""
        directory = Path(directory)
        outputs = {}
        tables = [
            ("constituents", self.constituents),
            ("changes", self.changes),
            ("exclusions", self.exclusions),
        ]
        if self.calculation is not None:
            calc = self.calculation
            tables += [
                ("levels", calc.levels),
                ("turnover", calc.turnover),
                ("trades", calc.trades),
                ("adjustments", calc.events),
            ]
            if len(calc.stale):
                tables.append(("stale_prices", calc.stale))
        for name, frame in tables:
            path = directory / f"{name}.parquet"
            write_parquet(frame, path)
            outputs[path.name] = "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
        info = dict(self.run_info, outputs=outputs)
        (directory / "run.json").write_text(
            json.dumps(info, indent=2, sort_keys=False) + "\n", encoding="utf-8"
        )


@attrs.frozen
class BuildResult:
    """Every index of a family, in definition order."""

    family_id: str
    indices: dict[str, IndexResult]

    def __getitem__(self, index_id: str) -> IndexResult:
        return self.indices[index_id]

    def __iter__(self) -> Iterator[IndexResult]:
        return iter(self.indices.values())

    def write(self, out: str | Path, *, overwrite: bool = False) -> Path:
        """Write every index: flat in ``out`` for a single index, one folder per index for a
        family. The whole tree appears at once."""
        out = Path(out)
        with atomic_directory(out, overwrite=overwrite) as tmp:
            if len(self.indices) == 1:
                next(iter(self.indices.values())).write(tmp)
            else:
                for index_id, result in self.indices.items():
                    (tmp / index_id).mkdir()
                    result.write(tmp / index_id)
        return out


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table, path, compression="zstd", write_statistics=True)


@contextmanager
def atomic_file(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target`` and move it over ``target`` on success, so
    a reader never sees a half-written file."""
    if target.is_dir():
        raise OutputError(f"output {target} is a directory — give a file name such as factsheet.html")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


class atomic_directory:
    """Write a directory under a temporary name and move it into place on success."""

    def __init__(self, target: Path, *, overwrite: bool) -> None:
        self.target = target
        self.overwrite = overwrite
        if target.exists() and not target.is_dir():
            raise OutputError(f"output {target} exists and is not a directory — choose another --out")
        if target.is_dir() and any(target.iterdir()) and not overwrite:
            raise OutputError(
                f"output folder {target} is not empty — choose an empty or new folder, or pass --overwrite"
            )

    def __enter__(self) -> Path:
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = Path(
            tempfile.mkdtemp(prefix=f".{self.target.name}.", suffix=".tmp", dir=self.target.parent)
        )
        return self.tmp

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            return
        os.chmod(self.tmp, 0o755)
        old = None
        if self.target.exists():
            old = self.target.with_name(f".{self.target.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(self.target, old)
        os.replace(self.tmp, self.target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def assemble(
    methodology: Methodology, market: Market, reviews: list[ReviewOutput], *, calculate_levels: bool = True
) -> BuildResult:
    """Turn the engine's per-review outputs into result tables."""
    from indexsmith import __version__

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
        calculation = None
        if calculate_levels:
            calculation = calculate(constituents, market, index.calculation)
            shares = calculation.holdings.set_index(["effective_date", "security_id"])["index_shares"]
            keys = pd.MultiIndex.from_frame(constituents[["effective_date", "security_id"]])
            constituents["index_shares"] = shares.reindex(keys).to_numpy()
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
        indices[index.spec.id] = IndexResult(
            index.spec.id, constituents, changes, exclusions, info, calculation
        )
    return BuildResult(methodology.definition.id, indices)


def _exclusions(reviews: list[ReviewOutput], market: Market) -> pd.DataFrame:
    frames = []
    for output in reviews:
        frame = output.exclusions.copy()
        frame.insert(0, "rank_date", output.review["rank_date"])
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
            frame[column] = review[column]
        frame["review"] = review.get("kind", "reconstitution")
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
            frame_["rank_date"] = review["rank_date"]
            frame_["effective_date"] = review["effective_date"]
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
