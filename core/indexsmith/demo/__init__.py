"""The embedded demo market (a synthetic US equity market, deterministic from a seed) and
``indexsmith demo``.

:mod:`~indexsmith.demo.profile` holds what the market is calibrated to,
:mod:`~indexsmith.demo.generator` and :mod:`~indexsmith.demo.simulation` make its tables,
:mod:`~indexsmith.demo.calibration` measures it, :mod:`~indexsmith.demo.cache` keeps it on
disk and :mod:`~indexsmith.demo.showcase` is the ``indexsmith demo`` command's work. The
generator uses only the data layer.
"""

from __future__ import annotations

from indexsmith.demo.cache import cache_dir, cache_name, demo_market, export
from indexsmith.demo.calibration import CALIBRATION_DATES, CALIBRATION_TARGETS, calibration
from indexsmith.demo.generator import DEFAULT_SEED, SIZES, DemoSize, generate

__all__ = [
    "CALIBRATION_DATES",
    "CALIBRATION_TARGETS",
    "DEFAULT_SEED",
    "SIZES",
    "DemoSize",
    "cache_dir",
    "cache_name",
    "calibration",
    "demo_market",
    "export",
    "generate",
]
