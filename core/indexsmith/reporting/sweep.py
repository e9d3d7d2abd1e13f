"""The sweep factsheet: one statistic against each axis of a sweep, as PNG charts
(``plots/AXIS.png``) and one self-contained HTML page (``sweep.html``) with the charts
inline and the best variants' table.

On each chart every variant is a point (one colour per index) at its value of the axis,
and a line joins the mean over the other axes at each value: how far the statistic moves
along the axis, and how much the other axes spread it. The same summary gives the same
files (no dates in the PNG metadata).
"""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from indexsmith.io import atomic_file
from indexsmith.reporting.pages import html_table
from indexsmith.version import __version__

STYLE: Any = {"font.size": 9}
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title>
<style>
body { font-family: sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; font-size: 12px; }
td, th { border-bottom: 1px solid #ddd; padding: 2px 8px; text-align: right; }
td:first-child, th:first-child { text-align: left; }
img { max-width: 640px; display: block; margin: 1em 0; }
</style></head><body>
<h1>{{ title }}</h1>
<p>{{ count }} variants ({{ failed }} failed); {{ statistic }} against each axis. indexsmith {{ version }}.</p>
{% for chart in charts %}<h2>{{ chart.axis }}</h2><img alt="{{ statistic }} by {{ chart.axis }}" src="data:image/png;base64,{{ chart.png }}">
{% endfor %}<h2>Best variants by {{ statistic }}</h2>
{{ table | safe }}
</body></html>
"""


def _slug(axis: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", axis).strip("-")[:80] or "axis"


def chart(frame: pd.DataFrame, axis: str, statistic: str) -> bytes:
    """PNG of ``statistic`` against ``axis``: the variants as points, the mean as a line."""
    ok = frame[frame["status"] == "ok"]
    import matplotlib  # here, not at import: every command imports this module, few draw
    from matplotlib.figure import Figure

    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(6.4, 3.6))
        ax = fig.subplots()
        positions = {value: i for i, value in enumerate(dict.fromkeys(frame[axis].tolist()))}
        for index, rows in ok.groupby("index", sort=False):
            x = rows[axis].map(positions)
            ax.scatter(x, rows[statistic], s=14, alpha=0.6, label=str(index))
            means = rows.groupby(axis, sort=False)[statistic].mean()
            ax.plot([positions[v] for v in means.index], means.to_numpy(), linewidth=1)
        ax.set_xticks(range(len(positions)), [str(v) for v in positions])
        ax.set_xlabel(axis)
        ax.set_ylabel(statistic)
        if ok["index"].nunique() > 1:
            ax.legend(fontsize=7, frameon=False)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
    return buffer.getvalue()


def write(
    frame: pd.DataFrame,
    axes: Sequence[str],
    statistic: str,
    out: str | Path,
    *,
    title: str = "Sweep",
    top: int = 20,
) -> Path:
    """Write ``plots/AXIS.png`` per axis and ``sweep.html`` into ``out``; returns the page."""
    out = Path(out)
    (out / "plots").mkdir(parents=True, exist_ok=True)
    charts = []
    drawable = frame[statistic].notna().any() if statistic in frame else False
    for axis in axes if drawable else ():
        png = chart(frame, axis, statistic)
        with atomic_file(out / "plots" / f"{_slug(axis)}.png") as tmp:
            tmp.write_bytes(png)
        charts.append({"axis": axis, "png": base64.b64encode(png).decode("ascii")})
    shown = frame[frame["status"] == "ok"]
    if statistic in shown:
        shown = shown.sort_values(statistic, ascending=False, kind="stable")
    columns = ["index", *axes, *([statistic] if statistic in shown else [])]
    best = shown.set_index("variant")[columns].head(top)
    page = jinja2.Template(PAGE, autoescape=True).render(
        title=title,
        count=frame["variant"].nunique(),
        failed=frame.loc[frame["status"] != "ok", "variant"].nunique(),
        statistic=statistic,
        charts=charts,
        table=html_table(best.astype(str), "variant"),
        version=html.escape(__version__),
    )
    with atomic_file(out / "sweep.html") as tmp:
        tmp.write_text(page, encoding="utf-8")
    return out / "sweep.html"
