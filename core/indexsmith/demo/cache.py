"""The demo market on disk: generated once per size, seed and generator source, then
loaded from the cache like any market-data directory."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from indexsmith.data.compiled import load_compiled, save_compiled
from indexsmith.data.market import Market
from indexsmith.data.sources import load_market
from indexsmith.demo.generator import DEFAULT_SEED, SIZES, generate
from indexsmith.errors import DataError, OutputError, Problem
from indexsmith.io import atomic_directory, write_parquet

#: The modules whose source decides the generated tables.
GENERATOR_SOURCES = ("profile.py", "generator.py", "simulation.py", "rows.py")


def cache_name(size: str, seed: int) -> str:
    """The cache folder of a demo market: it names the generator's own source hash, so a
    changed generator never reuses a market made by an older one."""
    digest = hashlib.sha256()
    for name in GENERATOR_SOURCES:
        digest.update((Path(__file__).parent / name).read_bytes())
    source = digest.hexdigest()[:12]
    return f"demo-{size}-{seed}-{source}"


def cache_dir() -> Path:
    """Where generated demo markets are kept: ``$INDEXSMITH_CACHE_DIR`` or the user cache."""
    from indexsmith.io import cache_root

    return cache_root()


def export(
    tables: dict[str, pd.DataFrame],
    directory: str | Path,
    *,
    fmt: str = "parquet",
    overwrite: bool = True,
    owned: bool = False,
) -> Path:
    """Write tables in the documented format, all at once (temporary folder, then move).
    ``owned`` (the demo caches) replaces the folder without the output marker."""
    directory = Path(directory)
    with atomic_directory(directory, overwrite=overwrite, owned=owned) as tmp:
        for name, frame in tables.items():
            if fmt == "parquet":
                write_parquet(frame, tmp / f"{name}.parquet")
            else:
                frame.to_csv(tmp / f"{name}.csv", index=False, date_format="%Y-%m-%d")
    return directory


def demo_market(
    size: str = "small", seed: int = DEFAULT_SEED, *, progress: Callable[[str], None] | None = None
) -> Market:
    """The demo market, generated once and then loaded from the cache."""
    if size not in SIZES:
        raise DataError(
            [Problem(f"unknown demo market size '{size}'", hint=f"use one of {', '.join(SIZES)}")]
        )
    directory = cache_dir() / cache_name(size, seed)
    if not (directory / "prices.parquet").exists():
        if progress:
            progress(f"generating the {size} demo market (seed {seed}) into {directory}")
        export(generate(size, seed), directory, owned=True)
    elif progress:
        progress(f"loading the {size} demo market from {directory}")
    # The tables as validated and laid out in memory (with the fingerprint), beside them:
    # memory-mapped, so a load takes a fraction of a second instead of seconds.
    compiled = directory / "compiled"
    market = load_compiled(compiled)
    if market is not None:
        return market
    market = load_market(directory)
    # A read-only cache loads the tables every time; when another process (a worker of the
    # same demo or sweep) is compiling them this moment, this one uses what it loaded.
    with contextlib.suppress(OSError, OutputError):
        save_compiled(market, compiled)
    return market
