"""Where market data comes from: the documented directory format (Parquet or CSV tables
in one folder, ``docs/data.md``).

This is the seam for other formats: a source reads its location into the documented
tables and hands them to :meth:`Market.from_frames`, which validates them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from indexsmith.data.market import Market
from indexsmith.data.schema import REQUIRED_TABLES, SCHEMA
from indexsmith.errors import DataError, Problem


def read_table(directory: Path, table: str) -> tuple[pd.DataFrame | None, str]:
    """Read ``<table>.parquet`` or ``<table>.csv`` from a directory (Parquet first)."""
    for suffix in (".parquet", ".csv"):
        path = directory / f"{table}{suffix}"
        if path.exists():
            if suffix == ".parquet":
                return pd.read_parquet(path), path.name
            return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""]), path.name
    return None, f"{table}.parquet"


def load_market(path: str | Path, *, calendar: str = "XNYS") -> Market:
    """Load and validate a market-data directory (see ``docs/data.md``)."""
    directory = Path(path)
    if not directory.is_dir():
        raise DataError(
            [
                Problem(
                    f"market-data directory {directory} does not exist",
                    hint="pass --data DIR with securities, prices and shares tables, or export the demo market with 'indexsmith market export DIR'",
                )
            ]
        )
    frames: dict[str, pd.DataFrame] = {}
    names: dict[str, str] = {}
    missing = []
    for table in SCHEMA:
        frame, name = read_table(directory, table)
        names[table] = name
        if frame is None:
            if table in REQUIRED_TABLES:
                missing.append(
                    Problem(
                        f"missing table {table}",
                        where=str(directory),
                        hint=f"add {table}.parquet or {table}.csv",
                    )
                )
            continue
        frames[table] = frame
    if missing:
        raise DataError(missing)
    return Market.from_frames(frames, calendar=calendar, file_names=names, source=str(directory))
