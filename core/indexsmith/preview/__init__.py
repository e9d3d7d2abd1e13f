"""Predicting a reconstitution: the next review of a family as of a date, its bubble list,
pro-forma weights, turnover and trade lists (:func:`preview`)."""

from __future__ import annotations

from indexsmith.preview.bubble import BubbleOptions
from indexsmith.preview.forecast import preview
from indexsmith.preview.model import Preview

__all__ = ["BubbleOptions", "Preview", "preview"]
