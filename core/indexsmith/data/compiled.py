"""A validated market saved in its in-memory layout, for caches that load it again and again.

Loading a market-data directory reads every table, validates it and builds the daily panel
(seconds on the full demo market). A compiled market is the result of that work: the
panel's and the slowly changing tables' arrays as ``.npy`` files, opened memory-mapped (a
load reads only what the build touches), and the small frames (securities, dividends,
corporate actions, the ids and sessions) in one pickle. Only indexsmith's own caches are
compiled (the demo market); a folder is trusted only when its ``meta.json`` names this
layout and the source hash of the data layer that wrote it.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from pathlib import Path

import numpy as np

from indexsmith.data.calendars import get_calendar
from indexsmith.data.market import Market
from indexsmith.data.panel import DailyPanel
from indexsmith.io import atomic_directory

#: The modules whose code decides a market's in-memory layout.
LAYOUT_SOURCES = ("market.py", "panel.py", "validate.py", "schema.py", "compiled.py")
PANEL_ARRAYS = ("key", "close", "volume", "observed", "first_session", "last_session")


def layout_hash() -> str:
    digest = hashlib.sha256()
    for name in LAYOUT_SOURCES:
        digest.update((Path(__file__).parent / name).read_bytes())
    return digest.hexdigest()[:16]


def save_compiled(market: Market, directory: Path) -> Path:
    """Write ``market`` (with its fingerprint) as a compiled folder, atomically."""
    with atomic_directory(directory, overwrite=True, owned=True) as tmp:
        for name in PANEL_ARRAYS:
            np.save(tmp / f"daily.{name}.npy", np.ascontiguousarray(getattr(market.daily, name)))
        for table, arrays in (("shares", market.shares), ("fundamentals", market.fundamentals)):
            for column, values in arrays.items():
                np.save(tmp / f"{table}.{column}.npy", np.ascontiguousarray(values))
        frames = {
            "securities": market.securities,
            "security_ids": market.text_ids,
            "dividends": market.dividends,
            "corporate_actions": market.corporate_actions,
            "security_history": market.security_history,
            "sessions": market.sessions,
            "columns": {"shares": list(market.shares), "fundamentals": list(market.fundamentals)},
        }
        with open(tmp / "frames.pkl", "wb") as handle:
            pickle.dump(frames, handle, protocol=pickle.HIGHEST_PROTOCOL)
        meta = {
            "layout": layout_hash(),
            "calendar": market.calendar.code,
            "source": market.source,
            "fingerprint": market.fingerprint(),
            "n_sessions": market.daily.n_sessions,
            "n_securities": market.daily.n_securities,
        }
        (tmp / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return directory


def _mapped(path: Path) -> np.ndarray:
    """The array of a ``.npy`` file, memory-mapped read-only, as a plain ndarray (slicing a
    ``numpy.memmap`` costs a Python object per slice; the view shares the mapping)."""
    return np.load(path, mmap_mode="r").view(np.ndarray)


def load_compiled(directory: Path) -> Market | None:
    """The market of a compiled folder, or None when there is none or it was written by
    another layout (the caller then loads the tables and compiles them again)."""
    try:
        meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or meta.get("layout") != layout_hash():
        return None
    try:
        with open(directory / "frames.pkl", "rb") as handle:
            frames = pickle.load(handle)
        arrays = {name: _mapped(directory / f"daily.{name}.npy") for name in PANEL_ARRAYS}
        tables = {
            table: {
                column: _mapped(directory / f"{table}.{column}.npy") for column in frames["columns"][table]
            }
            for table in ("shares", "fundamentals")
        }
    except (OSError, ValueError, KeyError, pickle.UnpicklingError, EOFError):
        return None
    panel = DailyPanel(
        arrays["key"],
        arrays["close"],
        arrays["volume"],
        arrays["observed"],
        int(meta["n_sessions"]),
        int(meta["n_securities"]),
    )
    panel.first_session, panel.last_session = arrays["first_session"], arrays["last_session"]
    market = Market.from_parts(
        calendar=get_calendar(meta["calendar"]),
        source=meta["source"],
        securities=frames["securities"],
        security_ids=frames["security_ids"],
        sessions=frames["sessions"],
        daily=panel,
        shares=tables["shares"],
        fundamentals=tables["fundamentals"],
        dividends=frames["dividends"],
        corporate_actions=frames["corporate_actions"],
        security_history=frames["security_history"],
    )
    market.set_fingerprint(meta["fingerprint"])
    return market
