"""Running many builds: the :class:`Runner` seam, the local runners, and sweeps over
definitions (:mod:`indexsmith.runners.sweep`) on any runner.

This layer sits above :mod:`indexsmith.pipeline` (one build) and below the command line.
Runners on other engines (Dask, Ray) are plugins registered through
``indexsmith_register_runners``; the core imports none of them.
"""

from __future__ import annotations

from indexsmith.errors import RunnerError
from indexsmith.runners.base import Runner
from indexsmith.runners.local import Local, ProcessPool, Sequential

__all__ = ["Local", "ProcessPool", "Runner", "RunnerError", "Sequential"]
