"""How an index's levels are calculated: the ``calculation`` table of a definition.

A leaf of the calculation layer: the definition layer structures these options from a
definition (with paths in its errors) without importing the calculator.
"""

from __future__ import annotations

from typing import Any

import attrs


def _ge0(help: str, default: float = 0.0) -> Any:
    return attrs.field(default=default, validator=attrs.validators.ge(0), metadata={"help": help})


@attrs.frozen(kw_only=True)
class CalculationOptions:
    """How levels are computed (``[index.calculation]`` or ``[family.calculation]`` in a
    definition); every field has an index-industry default."""

    base_value: float = attrs.field(
        default=1000.0,
        validator=attrs.validators.gt(0),
        metadata={"help": "level on the first effective date"},
    )
    withholding: float = attrs.field(
        default=0.30,
        validator=[attrs.validators.ge(0), attrs.validators.le(1)],
        metadata={
            "help": "share of dividends withheld in the net total return (US default for non-residents: 0.30)"
        },
    )
    missing_prices: str = attrs.field(
        default="carry",
        validator=attrs.validators.in_(["carry", "fail"]),
        metadata={
            "help": "a member without a close on a session: 'carry' the last close (recorded) or 'fail'"
        },
    )
    unit_holdings: bool = attrs.field(
        default=False, metadata={"help": "hold one share of each member (set for price weighting)"}
    )
    initial_divisor: float | None = attrs.field(
        default=None,
        validator=attrs.validators.optional(attrs.validators.gt(0)),
        metadata={"help": "start from this divisor instead of base_value (to continue a published index)"},
    )
    bankruptcy_at_zero: bool = attrs.field(
        default=False, metadata={"help": "remove members delisted for bankruptcy at price 0"}
    )
    cost_bps: float = _ge0("trading cost per side, basis points of value traded")
    impact_bps: float = _ge0("market impact in bps at 100% participation in average daily dollar volume")
    aum: float = attrs.field(
        default=1e9,
        validator=attrs.validators.gt(0),
        metadata={"help": "fund size in USD, for participation"},
    )
    adv_sessions: int = attrs.field(
        default=20, validator=attrs.validators.gt(0), metadata={"help": "sessions of average dollar volume"}
    )
    fee: float = _ge0("annual fee (expense ratio) accrued daily in net_of_costs, e.g. 0.0009")

    @property
    def has_costs(self) -> bool:
        return bool(self.cost_bps or self.impact_bps or self.fee)
