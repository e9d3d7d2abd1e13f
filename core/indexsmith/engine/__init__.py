"""The engine: what a family's methodology decides, review by review and between reviews.

:mod:`~indexsmith.engine.review` runs one review on an as-of view (screens, ranking,
bucketing or replacement, weighting, capping); :mod:`~indexsmith.engine.timeline` walks
the family's sessions — reviews decided and taking effect, members leaving and replaced.
"""

from __future__ import annotations

from indexsmith.components import Review
from indexsmith.engine.leaving import leaving_reasons
from indexsmith.engine.memo import StageMemo
from indexsmith.engine.review import Progress, ReviewOutput, facts, rank, run_review
from indexsmith.engine.timeline import Event, Run, run, schedule

__all__ = [
    "Event",
    "Progress",
    "Review",
    "ReviewOutput",
    "Run",
    "StageMemo",
    "facts",
    "leaving_reasons",
    "rank",
    "run",
    "run_review",
    "schedule",
]
