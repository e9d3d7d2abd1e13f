"""One index's statistics as a row: the records of :mod:`indexsmith.analytics.statistics`
(what ``indexsmith compare`` reports) on the index's own history, by statistic name — a
sweep's summary holds one such row per variant."""

from __future__ import annotations

from typing import Any

from indexsmith.analytics.statistics import table
from indexsmith.results.model import IndexResult


def index_statistics(result: IndexResult) -> dict[str, Any]:
    """Every statistic that applies to ``result`` on its own dates, by name, in the
    comparison's order."""
    one = table({result.index_id: result}, result.levels["date"].min(), result.levels["date"].max())
    return {one.names[label]: value for label, value in one.frame[result.index_id].items()}
