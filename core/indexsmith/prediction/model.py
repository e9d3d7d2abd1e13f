"""The result of a preview, and how it is written (every table as Parquet and CSV, with
``preview.json`` naming the inputs; the folder appears at once)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import attrs
import pandas as pd

from indexsmith.io import atomic_directory, write_parquet

#: The tables of a preview, in the order they are written.
TABLES = ("reviews", "changes", "migrations", "bubble", "constituents", "turnover", "trades")


@attrs.frozen(kw_only=True)
class Preview:
    """A previewed review (and the one after it), for every index of a family.

    - ``reviews``: one row per previewed review (``review`` 1 is the next; 2 the one after),
      with its scheduled rank date, the day it was ranked on and the basis;
    - ``changes``: predicted additions and deletions per index with the rule that decided
      each (rank and bucket, band, buffer, screen, committee note, departure);
    - ``migrations``: securities moving between buckets of the family;
    - ``bubble``: names near each breakpoint, the side they land on, by how much, and the
      move of their own price that would flip them;
    - ``constituents``: pro-forma members with ``weight_before`` (held at the as-of close)
      and ``weight`` (pro-forma, at the as-of closes);
    - ``turnover``: one-way turnover and counts per index and review;
    - ``trades``: per fund size, every trade in dollars and shares with days of volume.
    """

    family_id: str
    as_of: pd.Timestamp
    reviews: pd.DataFrame
    changes: pd.DataFrame
    migrations: pd.DataFrame
    bubble: pd.DataFrame
    constituents: pd.DataFrame
    turnover: pd.DataFrame
    trades: pd.DataFrame
    notes: tuple[str, ...] = ()
    inputs: dict[str, Any] = attrs.field(factory=dict)

    def table(self, name: str) -> pd.DataFrame:
        frame: pd.DataFrame = getattr(self, name)
        return frame

    def additions(self, index_id: str, review: int = 1) -> list[str]:
        c = self.changes
        rows = c[(c["index_id"] == index_id) & (c["review_number"] == review) & (c["change"] == "addition")]
        return sorted(rows["security_id"])

    def deletions(self, index_id: str, review: int = 1) -> list[str]:
        c = self.changes
        rows = c[(c["index_id"] == index_id) & (c["review_number"] == review) & (c["change"] == "deletion")]
        return sorted(rows["security_id"])

    def write(self, out: str | Path, *, overwrite: bool = False) -> Path:
        """Write every table as ``<table>.parquet`` and ``<table>.csv`` and ``preview.json``
        (inputs, notes and each file's SHA-256) into ``out``, all at once."""
        out = Path(out)
        with atomic_directory(out, overwrite=overwrite) as tmp:
            digests = {}
            for name in TABLES:
                frame = self.table(name)
                write_parquet(frame, tmp / f"{name}.parquet")
                frame.to_csv(tmp / f"{name}.csv", index=False, date_format="%Y-%m-%d", lineterminator="\n")
                for suffix in ("parquet", "csv"):
                    path = tmp / f"{name}.{suffix}"
                    digests[path.name] = "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
            info = {
                "family_id": self.family_id,
                "as_of": f"{self.as_of:%Y-%m-%d}",
                **self.inputs,
                "notes": list(self.notes),
                "outputs": digests,
            }
            (tmp / "preview.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        return out
