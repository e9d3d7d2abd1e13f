"""indexsmith-example: two methodology components in a plugin of their own.

* ``inverse-volatility`` (a weighting): each member weighted by the inverse of its
  annualised daily-return volatility over a trailing window — the low-volatility tilt many
  "risk-weighted" indices use.
* ``exclusion-list`` (a universe screen): removes the securities listed in a CSV file
  given as a parameter (a column ``security_id`` and, optionally, ``reason``), for
  ethical or sanctions exclusions.

Both are frozen, keyword-only attrs classes whose fields are their parameters, subclassing
the public base classes of :mod:`indexsmith`; the module registers them through the stage
hooks. Nothing here imports a private name of indexsmith.
"""

from __future__ import annotations

import csv
from pathlib import Path

import attrs
import numpy as np
import pandas as pd
from indexsmith import MarketView, Screen, Weighting, hookimpl

__version__ = "0.1.0"


@attrs.frozen(kw_only=True)
class InverseVolatility(Weighting):
    """Weight each member by 1 / (volatility of its daily returns over ``sessions``
    sessions to the rank date), times its ``fraction``. Members with too short a history
    take the median volatility of the others."""

    sessions: int = attrs.field(
        default=252,
        validator=attrs.validators.ge(20),
        metadata={"help": "trailing sessions of daily returns (>= 20)"},
    )

    def weigh(self, view: MarketView, members: pd.DataFrame) -> pd.Series:
        closes = view.close_history(members.index, self.sessions + 1)
        vol = closes.pct_change(fill_method=None).iloc[1:].std(ddof=1)
        vol = vol.where(vol > 0)
        vol = vol.fillna(vol.median() if vol.notna().any() else 1.0)
        raw = members["fraction"] / vol.reindex(members.index).to_numpy()
        return raw / raw.sum()


def _read_exclusions(path: str) -> dict[str, str]:
    file = Path(path)
    if not file.is_file():
        raise ValueError(f"exclusion list {path} does not exist")
    with file.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if "security_id" not in (reader.fieldnames or []):
            raise ValueError(f"exclusion list {path} needs a 'security_id' column")
        return {row["security_id"]: (row.get("reason") or "on the exclusion list") for row in reader}


@attrs.frozen(kw_only=True)
class ExclusionList(Screen):
    """Remove the securities named in a CSV file (``security_id``, optional ``reason``)."""

    file: str = attrs.field(
        metadata={
            "help": "CSV with a security_id column and an optional reason (relative to the definition)",
            "path": True,
        }
    )

    def __attrs_post_init__(self) -> None:
        _read_exclusions(self.file)  # a missing or malformed file is refused when the definition loads

    def screen(self, view: MarketView, candidates: pd.DataFrame) -> pd.Series:
        listed = _read_exclusions(self.file)
        reasons = pd.Series(
            candidates.index.map(lambda sid: listed.get(sid)), index=candidates.index, dtype=object
        )
        return reasons.where(reasons.notna(), np.nan)


@hookimpl
def indexsmith_register_weightings(register):  # type: ignore[no-untyped-def]
    register("inverse-volatility", InverseVolatility)


@hookimpl
def indexsmith_register_screens(register):  # type: ignore[no-untyped-def]
    register("exclusion-list", ExclusionList)
