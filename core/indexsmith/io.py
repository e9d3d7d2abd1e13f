"""Writing files so that a reader never sees half of one: atomic files and folders, and
the one Parquet writer of every output (fixed compression and statistics, so the same
frame gives the same bytes).

An output folder indexsmith writes holds a marker file (:data:`MARKER`); ``overwrite``
replaces only a folder that has it, never one that holds files of the user's. Writing
takes a lock beside the folder (``.NAME.lock``, holding the writer's process id), so two
processes writing one place fail clearly instead of replacing each other's output, and
temporary folders left by a killed run (``.NAME.indexsmith-*.tmp``) are removed by the
next writer.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from indexsmith.errors import OutputError

#: The file that marks a folder as written by indexsmith (and so replaceable by --overwrite).
MARKER = ".indexsmith-output"
_MARKER_TEXT = "This folder was written by indexsmith; 'indexsmith build --overwrite' may replace it.\n"


def cache_root() -> Path:
    """indexsmith's cache folder: ``$INDEXSMITH_CACHE_DIR``, else the user cache folder
    (demo markets, decided reviews, calendar sessions)."""
    env = os.environ.get("INDEXSMITH_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("indexsmith"))


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
    _check_creatable(target.parent, target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _check_creatable(folder: Path, target: Path) -> None:
    """Refuse, before any work, a ``target`` below a file or in a folder that cannot be written."""
    existing = Path(os.path.abspath(folder))
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise OutputError(f"cannot write {target}: {existing} is a file, not a folder — choose another place")
    denied = OutputError(
        f"cannot write {target}: no permission to write in {existing} — choose another place"
    )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise denied
    # access() says yes to root everywhere; only creating something tells (read-only
    # mounts, /sys, /proc, ACLs).
    try:
        probe = tempfile.mkdtemp(prefix=".indexsmith-probe-", dir=existing)
    except PermissionError:
        raise denied from None
    except OSError as exc:
        raise OutputError(
            f"cannot write {target}: nothing can be created in {existing} ({exc.strerror}) — choose another place"
        ) from None
    os.rmdir(probe)


def _inside(inner: Path, outer: Path) -> bool:
    return inner == outer or outer in inner.parents


def stale_temporaries(target: Path) -> list[Path]:
    """Temporary folders a killed writer of ``target`` left beside it."""
    target = Path(os.path.abspath(target))
    parent = target.parent
    if not parent.is_dir():
        return []
    found = [*parent.glob(f".{target.name}.indexsmith-*.tmp"), *parent.glob(f".{target.name}.indexsmith-old")]
    return sorted(p for p in found if p.is_dir() and not p.is_symlink())


def remove_stale(target: Path) -> list[Path]:
    """Remove the temporary folders a killed writer of ``target`` left (call it holding
    the lock); returns what was removed."""
    removed = stale_temporaries(target)
    for path in removed:
        shutil.rmtree(path, ignore_errors=True)
    return removed


# -- the lock ------------------------------------------------------------------------------

_HELD: dict[Path, int] = {}


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


class output_lock:
    """Hold ``.NAME.lock`` beside ``target`` while writing it (re-entrant in one process).

    A lock whose process has gone (a killed run) is taken over; one held by a live
    process is an :class:`OutputError` naming it.
    """

    def __init__(self, target: Path) -> None:
        self.target = target
        absolute = Path(os.path.abspath(target))
        self.path = absolute.parent / f".{absolute.name}.lock"

    def __enter__(self) -> output_lock:
        if self.path in _HELD:
            _HELD[self.path] += 1
            return self
        _check_creatable(self.path.parent, self.target)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = self._holder()
                if holder is not None:
                    raise OutputError(
                        f"another indexsmith process (pid {holder}) is writing {self.target} — wait for it to "
                        f"finish or choose another --out (remove {self.path} if no such process runs)"
                    ) from None
                self.path.unlink(missing_ok=True)  # left by a killed run
                continue
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(f"{os.getpid()}\n")
            _HELD[self.path] = 1
            return self
        raise OutputError(f"could not lock {self.path} to write {self.target} — try again")

    def _holder(self) -> int | None:
        try:
            text = self.path.read_text(encoding="utf-8").strip()
            age = time.time() - self.path.stat().st_mtime
        except OSError:
            return None
        if not text.isdigit():
            return -1 if age < 5 else None  # being written this moment, or junk
        pid = int(text)
        return pid if pid != os.getpid() and _pid_alive(pid) else None

    def __exit__(self, *exc: object) -> None:
        _HELD[self.path] -= 1
        if _HELD[self.path] == 0:
            del _HELD[self.path]
            self.path.unlink(missing_ok=True)


# -- folders -------------------------------------------------------------------------------


class atomic_directory:
    """Write a directory under a temporary name and move it into place on success.

    Constructing it checks the target at once (so a command can refuse a bad ``--out``
    before any work): it must be absent, empty, or (with ``overwrite``) a folder indexsmith
    wrote (holding :data:`MARKER`), and must not be or contain any of ``protect`` (the
    market data a build reads). ``owned`` marks indexsmith's own folders (caches), which
    it replaces without the marker. Entering it takes the lock, removes what killed runs
    left, and creates the temporary sibling.
    """

    def __init__(
        self, target: Path, *, overwrite: bool, protect: Iterable[str | Path] = (), owned: bool = False
    ) -> None:
        self.target = target
        self.path = Path(os.path.abspath(target))
        self.overwrite = overwrite
        self.owned = owned
        self.protect = [Path(os.path.abspath(Path(p).expanduser())) for p in protect]
        self.check()

    def check(self) -> None:
        target, path = self.target, self.path
        for data in self.protect:
            if _inside(data, path):
                raise OutputError(
                    f"output folder {target} is or contains the market data {data} — choose an --out outside it"
                )
        if path.exists() and not path.is_dir():
            raise OutputError(f"output {target} exists and is not a directory — choose another --out")
        _check_creatable(path.parent, target)
        if not path.is_dir() or not any(path.iterdir()):
            return
        if not self.overwrite:
            raise OutputError(
                f"output folder {target} is not empty — choose an empty or new folder, or pass --overwrite"
            )
        if not self.owned and not (path / MARKER).is_file():
            raise OutputError(
                f"output folder {target} holds files indexsmith did not write (no {MARKER} marker) — "
                "--overwrite replaces only an indexsmith output folder; choose another --out or empty it yourself"
            )

    def __enter__(self) -> Path:
        self.lock = output_lock(self.target)
        self.lock.__enter__()
        try:
            self.check()  # again, under the lock: another writer may have finished meanwhile
            remove_stale(self.path)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.tmp = Path(
                tempfile.mkdtemp(prefix=f".{self.path.name}.indexsmith-", suffix=".tmp", dir=self.path.parent)
            )
            (self.tmp / MARKER).write_text(_MARKER_TEXT, encoding="utf-8")
        except BaseException:
            self.lock.__exit__(None, None, None)
            raise
        return self.tmp

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        try:
            if exc_type is not None:
                shutil.rmtree(self.tmp, ignore_errors=True)
                return
            os.chmod(self.tmp, 0o755)
            old = None
            if self.path.exists():
                old = self.path.with_name(f".{self.path.name}.indexsmith-old")
                shutil.rmtree(old, ignore_errors=True)
                os.replace(self.path, old)
            os.replace(self.tmp, self.path)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        finally:
            self.lock.__exit__(None, None, None)
