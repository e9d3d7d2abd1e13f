"""Universe screens: eligibility rules that remove securities and say why.

Each screen returns, per candidate, the reason it fails (``"price 0.84 < min_price
1.00"``) or a missing value. Whether a screen applies to additions, incumbents or all is
set in the definition (``applies_to``), not here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import attrs
import numpy as np
import pandas as pd
from indexsmith import MarketView, Screen, hookimpl


def reasons_for(failed: pd.Series, text: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """The reason for each failing candidate, missing for the others.

    ``text(mask)`` formats the reasons of the failing rows only, so no text is built for the
    (usually many) securities that pass.
    """
    failed = failed.fillna(True).astype(bool)
    out = pd.Series(None, index=failed.index, dtype=object)
    if failed.any():
        out[failed] = text(failed).astype(object)
    return out


def money(values: pd.Series) -> pd.Series:
    """Dollar amounts for reasons: ``$1.23B``, ``$45.6M``."""
    v = values.to_numpy(dtype=float)
    text = np.where(np.abs(v) >= 1e9, [f"${x / 1e9:,.2f}B" for x in v], [f"${x / 1e6:,.1f}M" for x in v])
    return pd.Series(text, index=values.index)


@attrs.frozen(kw_only=True)
class MinPrice(Screen):
    """Close on the rank date at least ``min_price``."""

    min_price: float = attrs.field(
        default=1.0, validator=attrs.validators.ge(0), metadata={"help": "minimum rank-date close, USD"}
    )

    def screen(self, view: MarketView, candidates: pd.DataFrame) -> pd.Series:
        price = view.close(candidates.index)
        return reasons_for(
            ~(price >= self.min_price),
            lambda bad: "price " + price[bad].map("{:.2f}".format) + f" < min_price {self.min_price:.2f}",
        )


@attrs.frozen(kw_only=True)
class MinMarketCap(Screen):
    """Total company market cap (all share classes) at least ``min_cap``."""

    min_cap: float = attrs.field(
        validator=attrs.validators.ge(0), metadata={"help": "minimum total company market cap, USD"}
    )

    def screen(self, view: MarketView, candidates: pd.DataFrame) -> pd.Series:
        cap = view.company_market_cap(candidates.index)
        floor = money(pd.Series([self.min_cap])).iloc[0]
        return reasons_for(
            ~(cap >= self.min_cap),
            lambda bad: "company market cap " + money(cap[bad]) + f" < min_cap {floor}",
        )


@attrs.frozen(kw_only=True)
class _FieldIn(Screen):
    """Keep securities whose ``field`` is in ``include`` (if given) and not in ``exclude``."""

    field: ClassVar[str] = ""

    include: tuple[str, ...] | None = attrs.field(
        default=None, metadata={"help": "values to keep (every value if omitted)"}
    )
    exclude: tuple[str, ...] = attrs.field(default=(), metadata={"help": "values to remove"})

    def screen(self, view: MarketView, candidates: pd.DataFrame) -> pd.Series:
        values = candidates[self.field].astype(str)
        failed = values.isin(self.exclude)
        if self.include is not None:
            failed |= ~values.isin(self.include)
        return reasons_for(failed, lambda bad: f"{self.field} " + values[bad] + " not eligible")


@attrs.frozen(kw_only=True)
class SecurityTypes(_FieldIn):
    """Keep securities by security type (common, REIT, ADR, preferred, ETF, ...)."""

    field: ClassVar[str] = "security_type"


@attrs.frozen(kw_only=True)
class Exchanges(_FieldIn):
    """Keep securities by the MIC code of their primary listing (XNYS, XNAS, ...)."""

    field: ClassVar[str] = "exchange"


@hookimpl
def indexsmith_register_screens(register):  # type: ignore[no-untyped-def]
    register("min-price", MinPrice)
    register("min-market-cap", MinMarketCap)
    register("security-types", SecurityTypes)
    register("exchanges", Exchanges)
