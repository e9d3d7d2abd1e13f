"""The engine's review decisions kept on disk, so that questions about one review
(``indexsmith explain``) read that review instead of rebuilding the family's history.

A review's decision is a pure function of the methodology, the market and the code, so
the folder is named by a hash of all three: the normalised definition (every component
with its parameters and provenance), the market's fingerprint and the source of
indexsmith and of every plugin module the definition uses. One pickle per review, with
what questions read of it (:func:`slim`); an ``index.json`` lists them. Reviews are
decided in order and none depends on a later
one, so a folder written by a build that stopped early answers for the reviews it holds.

The folder is ``$INDEXSMITH_CACHE_DIR/reviews`` (the user cache otherwise), beside the
demo markets, which keeps the 16 most recently written folders; ``INDEXSMITH_NO_CACHE=1`` turns
it off.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
import sys
import tempfile
from pathlib import Path

import attrs
import pandas as pd

from indexsmith.data.market import Market
from indexsmith.definition.model import Methodology
from indexsmith.engine.review import ReviewOutput
from indexsmith.version import __version__

_CODE: dict[str, str] = {}


def _code_hash(modules: set[str]) -> str:
    """SHA-256 of the source files of indexsmith and of ``modules``' packages."""
    digest = hashlib.sha256(__version__.encode())
    for name in sorted({"indexsmith", *modules}):
        if name not in _CODE:
            module = sys.modules.get(name)
            path = Path(getattr(module, "__file__", "") or "")
            root = path.parent if path.name == "__init__.py" else path
            h = hashlib.sha256()
            files = sorted(root.rglob("*.py")) if root.is_dir() else ([root] if root.is_file() else [])
            for file in files:
                h.update(file.as_posix().encode())
                h.update(file.read_bytes())
            _CODE[name] = h.hexdigest()
        digest.update(_CODE[name].encode())
    return digest.hexdigest()


def folder(methodology: Methodology, market: Market) -> Path | None:
    """This methodology's and market's folder of decided reviews (None when caching is off)."""
    if os.environ.get("INDEXSMITH_NO_CACHE") == "1":
        return None
    from indexsmith.demo.cache import cache_dir

    definition = json.dumps(methodology.normalised(), sort_keys=True, default=str)
    modules = {type(r.component).__module__.split(".")[0] for r in methodology.components()}
    key = hashlib.sha256(
        "\n".join([definition, market.fingerprint(), _code_hash(modules)]).encode()
    ).hexdigest()[:24]
    return cache_dir() / "reviews" / f"{methodology.definition.id}-{key}"


def held(where: Path | None) -> list[dict[str, str]]:
    """The reviews a folder holds: rank, effective date, kind and file, in order."""
    if where is None:
        return []
    try:
        listed = json.loads((where / "index.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return listed if isinstance(listed, list) else []


def load(where: Path, entry: dict[str, str]) -> ReviewOutput | None:
    """One decided review, or None if its file is missing or unreadable (then rebuilt)."""
    try:
        with open(where / entry["file"], "rb") as handle:
            output = pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, KeyError, AttributeError, ImportError):
        return None
    return output if isinstance(output, ReviewOutput) else None


def store(where: Path | None, outputs: list[ReviewOutput]) -> None:
    """Keep ``outputs`` (replacing a shorter list); a cache that cannot be written is skipped."""
    if where is None or len(outputs) <= len(held(where)):
        return
    try:
        where.mkdir(parents=True, exist_ok=True)
        entries = []
        for i, output in enumerate(outputs):
            name = f"{i:04d}-{output.review.effective_date:%Y%m%d}.pickle"
            target = where / name
            if not target.exists():
                _atomic(target, pickle.dumps(slim(output), protocol=5))
            entries.append(
                {
                    "rank_date": f"{output.review.rank_date:%Y-%m-%d}",
                    "effective_date": f"{output.review.effective_date:%Y-%m-%d}",
                    "kind": output.review.kind,
                    "file": name,
                }
            )
        _atomic(where / "index.json", (json.dumps(entries, indent=1) + "\n").encode())
        _prune(where.parent, keep=KEEP)
    except OSError:
        return


#: How many folders of decided reviews the cache keeps (the least recently written go).
KEEP = 16


def _prune(root: Path, keep: int) -> None:
    folders = sorted(
        (f for f in root.iterdir() if f.is_dir() and (f / "index.json").exists()),
        key=lambda f: (f / "index.json").stat().st_mtime,
        reverse=True,
    )
    for old in folders[keep:]:
        shutil.rmtree(old, ignore_errors=True)


def slim(output: ReviewOutput) -> ReviewOutput:
    """What questions about a review read of its decision: the exclusions, the ranking
    (measure, rank, company), the assignment with its notes and each index's weights —
    not the facts recorded for the result tables or the weighting states (a Russell-style
    review drops from about 7 MB to well under 1 MB)."""
    ranked = output.ranked[[c for c in ("company_id", "measure", "rank") if c in output.ranked.columns]]
    return attrs.evolve(
        output,
        ranked=ranked,
        constituents={k: v[["weight"]] for k, v in output.constituents.items()},
        states={},
    )


def find(entries: list[dict[str, str]], effective: pd.Timestamp) -> int | None:
    """The position of the review effective on ``effective`` in ``entries``."""
    day = f"{effective:%Y-%m-%d}"
    for i, entry in enumerate(entries):
        if entry.get("effective_date") == day:
            return i
    return None


def _atomic(target: Path, data: bytes) -> None:
    handle, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
