"""Predicting a reconstitution: the next review of a family as of a date, its bubble list,
pro-forma weights, turnover and trade lists (:func:`preview`)."""

from __future__ import annotations

from indexsmith.prediction.bubble import BubbleOptions
from indexsmith.prediction.forecast import preview
from indexsmith.prediction.model import Preview

__all__ = ["BubbleOptions", "Preview", "preview"]
