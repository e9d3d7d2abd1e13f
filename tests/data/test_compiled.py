"""The compiled market cache and the view's as-of search, against the tables they replace."""

from __future__ import annotations

import json
from pathlib import Path

import hypothesis.strategies as st
import indexsmith
import numpy as np
import pandas as pd
from hypothesis import given, settings
from indexsmith.data.compiled import load_compiled, save_compiled
from indexsmith.data.view import asof_key, latest_rows
from indexsmith.market import Market


def test_compiled_market_is_the_market(demo: Market, tmp_path: Path) -> None:
    folder = save_compiled(demo, tmp_path / "compiled")
    loaded = load_compiled(folder)
    assert loaded is not None
    assert loaded.fingerprint() == demo.fingerprint()
    pd.testing.assert_frame_equal(loaded.securities, demo.securities)
    pd.testing.assert_frame_equal(loaded.dividends, demo.dividends)
    pd.testing.assert_frame_equal(loaded.corporate_actions, demo.corporate_actions)
    pd.testing.assert_index_equal(loaded.sessions, demo.sessions)
    pd.testing.assert_index_equal(loaded.security_ids, demo.security_ids)
    for name in ("key", "close", "volume", "observed", "first_session", "last_session"):
        a, b = getattr(loaded.daily, name), getattr(demo.daily, name)
        assert a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True), name
        assert not a.flags.writeable  # memory-mapped read-only: nothing may write into it
    # A build on the loaded market gives the same levels as on the validated one.
    one = indexsmith.build("demo-large", demo)["demo-large"].levels
    two = indexsmith.build("demo-large", loaded)["demo-large"].levels
    pd.testing.assert_frame_equal(one, two, check_exact=True)


def test_compiled_folder_of_another_layout_or_damaged_is_ignored(demo: Market, tmp_path: Path) -> None:
    folder = save_compiled(demo, tmp_path / "compiled")
    meta = json.loads((folder / "meta.json").read_text())
    (folder / "meta.json").write_text(json.dumps({**meta, "layout": "0" * 16}))
    assert load_compiled(folder) is None
    (folder / "meta.json").write_text(json.dumps(meta))
    (folder / "frames.pkl").write_bytes(b"not a pickle")
    assert load_compiled(folder) is None
    assert load_compiled(tmp_path / "absent") is None


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 40)), min_size=0, max_size=40, unique=True),
    cutoff=st.integers(-2, 45),
)
def test_latest_rows_is_the_last_row_on_or_before_the_date(rows: list[tuple[int, int]], cutoff: int) -> None:
    rows = sorted(rows)
    pos = np.array([p for p, _ in rows], dtype=np.int32)
    base = np.datetime64("2020-01-01", "D")
    dates = np.array([base + d for _, d in rows], dtype="datetime64[D]")
    table = {"pos": pos, "date": dates}
    found = latest_rows(table, asof_key(table), base + cutoff, 6)
    for p in range(6):
        mine = [i for i, (q, d) in enumerate(rows) if q == p and d <= cutoff]
        assert found[p] == (mine[-1] if mine else -1)
