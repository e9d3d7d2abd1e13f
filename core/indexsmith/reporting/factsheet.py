"""A self-contained HTML factsheet for one or more built indices (``indexsmith report``).

Charts are drawn with matplotlib as inline SVG, the page is laid out with a Jinja2
template, and nothing is fetched when the file is opened: no scripts, fonts or images
from the network. The same results give a byte-identical file (fixed SVG ids, no dates
in the SVG metadata).
"""

from __future__ import annotations

import importlib.resources
import io
from pathlib import Path
from typing import Any

import jinja2
import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from indexsmith import analytics
from indexsmith.analytics.statistics import StatisticsTable
from indexsmith.io import atomic_file
from indexsmith.reporting.compare import common_dates, formatted, summary
from indexsmith.reporting.pages import html_table, index_page
from indexsmith.results.model import IndexResult
from indexsmith.version import __version__

CHARTS = ("levels", "relative", "drawdowns", "calendar", "sectors", "size", "overlap")
#: Settings of every chart, applied around drawing and saving only (no global state):
#: a fixed SVG id salt and text kept as text make the file byte-identical run to run.
STYLE: Any = {"svg.hashsalt": "indexsmith", "svg.fonttype": "none", "font.size": 9}


def _subplots(figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    fig = Figure(figsize=figsize)
    return fig, fig.subplots()


def _svg(fig: Figure) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": "indexsmith"})
    text = buffer.getvalue()
    return text[text.index("<svg") :]  # drop the XML prolog and doctype: inline SVG


def charts(results: dict[str, IndexResult], benchmark: str | None = None) -> list[dict[str, str]]:
    """Every chart of the factsheet as {id, title, caption, svg}; relative performance
    against ``benchmark`` (default: the first index)."""
    with matplotlib.rc_context(STYLE):
        return _charts(results, benchmark)


def _charts(results: dict[str, IndexResult], benchmark: str | None) -> list[dict[str, str]]:
    start, end, _ = common_dates(results)
    tr = {k: r.levels.set_index("date")["total_return"].loc[start:end] for k, r in results.items()}
    last = {k: r.latest() for k, r in results.items()}
    out = []

    fig, ax = _subplots((9, 3.6))
    for name, levels in tr.items():
        ax.plot(levels.index, levels / levels.iloc[0] * 100, label=name, linewidth=1)
    ax.set_yscale("log")
    ax.set_ylabel("total return (start = 100, log scale)")
    ax.legend(fontsize=8)
    out.append(
        {"id": "levels", "title": "Level", "caption": "Total-return levels rebased to 100.", "svg": _svg(fig)}
    )

    base = benchmark or next(iter(tr))
    fig, ax = _subplots((9, 3.0))
    for name, levels in tr.items():
        ax.plot(levels.index, analytics.relative(levels, tr[base])["relative"], label=name, linewidth=1)
    ax.axhline(1.0, color="#999", linewidth=0.6)
    ax.set_ylabel(f"relative to {base}")
    ax.legend(fontsize=8)
    out.append(
        {
            "id": "relative",
            "title": "Relative performance",
            "caption": f"Each index divided by {base}.",
            "svg": _svg(fig),
        }
    )

    fig, ax = _subplots((9, 3.0))
    for name, levels in tr.items():
        ax.plot(levels.index, analytics.drawdown(levels) * 100, label=name, linewidth=0.9)
    ax.set_ylabel("drawdown from peak (%)")
    ax.legend(fontsize=8)
    out.append(
        {
            "id": "drawdowns",
            "title": "Drawdowns",
            "caption": "Distance below the running peak.",
            "svg": _svg(fig),
        }
    )

    years = pd.DataFrame({k: analytics.calendar_year_returns(v, complete=True) for k, v in tr.items()})
    fig, ax = _subplots((9, 3.2))
    width = 0.8 / len(years.columns)
    for i, name in enumerate(years.columns):
        ax.bar(np.arange(len(years)) + i * width, years[name] * 100, width=width, label=name)
    ax.set_xticks(np.arange(len(years)) + 0.4 - width / 2, [str(y) for y in years.index], rotation=90)
    ax.axhline(0, color="#999", linewidth=0.6)
    ax.set_ylabel("return (%)")
    ax.legend(fontsize=8)
    out.append(
        {
            "id": "calendar",
            "title": "Calendar-year returns",
            "caption": "Total return per calendar year the common dates cover whole.",
            "svg": _svg(fig),
        }
    )

    sectors = pd.DataFrame({k: analytics.sector_weights(v) for k, v in last.items()}).fillna(0.0)
    fig, ax = _subplots((9, 0.35 * len(sectors) + 1))
    height = 0.8 / len(sectors.columns)
    for i, name in enumerate(sectors.columns):
        ax.barh(np.arange(len(sectors)) + i * height, sectors[name] * 100, height=height, label=name)
    ax.set_yticks(np.arange(len(sectors)) + 0.4 - height / 2, list(sectors.index))
    ax.invert_yaxis()
    ax.set_xlabel("weight (%)")
    ax.legend(fontsize=8)
    out.append(
        {
            "id": "sectors",
            "title": "Sector weights",
            "caption": "At each index's last review.",
            "svg": _svg(fig),
        }
    )

    fig, ax = _subplots((9, 3.4))
    for name, members in last.items():
        weights = members.groupby("company_id")["weight"].sum().sort_values(ascending=False)
        ax.plot(
            np.arange(1, len(weights) + 1),
            weights.cumsum() * 100,
            label=f"{name} ({len(weights):,} companies)",
        )
    ax.set_xscale("log")
    ax.set_xlabel("number of companies, largest first (log scale)")
    ax.set_ylabel("cumulative weight (%)")
    ax.legend(fontsize=8)
    out.append(
        {
            "id": "size",
            "title": "Size map",
            "caption": "Cap versus count: how many companies make up each share of the index.",
            "svg": _svg(fig),
        }
    )

    names = list(last)
    matrix = np.array([[analytics.overlap(last[a], last[b])["weight_overlap"] for b in names] for a in names])
    fig, ax = _subplots((1.2 * len(names) + 3, 1.0 * len(names) + 1.5))
    ax.imshow(matrix, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right")
    ax.set_yticks(range(len(names)), names)
    for i in range(len(names)):
        for j in range(len(names)):
            ax.text(j, i, f"{matrix[i, j]:.0%}", ha="center", va="center", fontsize=8)
    out.append(
        {
            "id": "overlap",
            "title": "Overlap",
            "caption": "Weight overlap Σ min(w_a, w_b) at the last reviews.",
            "svg": _svg(fig),
        }
    )
    return out


#: The comparison pages after the index pages, and the charts each holds.
COMPARISON_PAGES = (
    ("Performance", ("levels", "relative", "drawdowns")),
    ("Returns and sectors", ("calendar", "sectors")),
    ("Size and overlap", ("size", "overlap")),
)


def render(
    results: dict[str, IndexResult],
    title: str = "Index factsheet",
    benchmark: str | None = None,
    statistics: tuple[StatisticsTable, str | None] | None = None,
) -> str:
    """The factsheet as one HTML string: a page per index, then the comparison pages;
    relative figures against ``benchmark`` (default: the first index). ``statistics`` is
    :func:`~indexsmith.reporting.compare.summary` of the same results, if already made."""
    table, note = statistics if statistics is not None else summary(results, benchmark=benchmark)
    start, end, _ = common_dates(results)
    names = list(results)
    base = (table.benchmark, results[table.benchmark]) if table.benchmark else None
    drawn = {chart["id"]: chart for chart in charts(results, table.benchmark)}
    lasts = {k: r.latest() for k, r in results.items()}
    overlap = pd.DataFrame(
        {b: [f"{analytics.overlap(lasts[a], lasts[b])['weight_overlap']:.1%}" for a in names] for b in names},
        index=names,
    )
    template = jinja2.Template(
        (importlib.resources.files("indexsmith.reporting") / "templates" / "factsheet.html").read_text(
            encoding="utf-8"
        ),
        autoescape=True,
    )
    return template.render(
        title=title,
        subtitle=f"{', '.join(names)} — compared {start:%Y-%m-%d} to {end:%Y-%m-%d}",
        notes=[note] if note else [],
        pages=[index_page(name, result, base) for name, result in results.items()],
        summary_table=html_table(formatted(table), "statistic", css="summary"),
        comparison=[
            {"title": page, "charts": [drawn[c] for c in chart_ids]} for page, chart_ids in COMPARISON_PAGES
        ],
        overlap_table=html_table(overlap),
        benchmark=table.benchmark,
        version=__version__,
    )


def write(
    results: dict[str, IndexResult],
    out: str | Path,
    title: str = "Index factsheet",
    benchmark: str | None = None,
    statistics: tuple[StatisticsTable, str | None] | None = None,
) -> Path:
    """Write the factsheet; the file appears only when complete."""
    out = Path(out)
    with atomic_file(out) as tmp:
        tmp.write_text(render(results, title, benchmark, statistics), encoding="utf-8")
    return out
