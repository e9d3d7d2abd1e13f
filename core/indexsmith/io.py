"""Writing files so that a reader never sees half of one: atomic files and folders, and
the one Parquet writer of every output (fixed compression and statistics, so the same
frame gives the same bytes)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from indexsmith.errors import OutputError


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """``frame`` as Parquet at ``path`` (no index; zstd; column statistics)."""
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
    """Write a directory under a temporary name and move it into place on success.

    Constructing it checks the target at once (so a command can refuse a non-empty
    ``--out`` before any work); entering it creates the temporary sibling.
    """

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
