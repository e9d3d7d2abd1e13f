"""How an index is calculated and maintained: the ``calculation`` and ``maintenance``
tables of a definition.

A leaf of the calculation layer: the definition layer structures these options from a
definition (with paths in its errors) without importing the calculator or the engine.
"""

from __future__ import annotations

from typing import Any

import attrs


def _ge0(help: str, default: float = 0.0, most: float | None = None) -> Any:
    validators: list[Any] = [attrs.validators.ge(0)]
    if most is not None:
        validators.append(attrs.validators.le(most))
    return attrs.field(default=default, validator=validators, metadata={"help": help})


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
    holding: str = attrs.field(
        default="weights",
        validator=attrs.validators.in_(["weights", "shares"]),
        metadata={
            "help": "'shares': hold float-adjusted shares (x fraction) so weights move with prices and a "
            "review trades only what changed (set for cap weightings without a capping); 'weights': set "
            "index shares from the target weights at the reference price"
        },
    )
    share_basis: str = attrs.field(
        default="float",
        validator=attrs.validators.in_(["float", "outstanding"]),
        metadata={
            "help": "the share count the index holds and updates: float-adjusted shares ('float') or shares "
            "outstanding ('outstanding', set for a weighting by full market cap)"
        },
    )
    reference_price: str = attrs.field(
        default="rank-date",
        validator=attrs.validators.in_(["rank-date", "effective-date", "sessions-before"]),
        metadata={
            "help": "holding 'weights': the close index shares are set at — the rank date's, the effective "
            "date's, or reference_sessions before the effective date (S&P-style equal weight)"
        },
    )
    reference_sessions: int = attrs.field(
        default=0,
        validator=attrs.validators.ge(0),
        metadata={
            "help": "with reference_price = 'sessions-before': how many sessions before the effective date"
        },
    )
    share_updates: str = attrs.field(
        default="reviews",
        validator=attrs.validators.in_(["reviews", "reconstitutions"]),
        metadata={
            "help": "holding 'shares': when members' shares and float factors are brought up to date — at every "
            "review, or at reconstitutions only"
        },
    )
    share_change_threshold: float | None = attrs.field(
        default=None,
        validator=attrs.validators.optional(attrs.validators.gt(0)),
        metadata={
            "help": "holding 'shares': apply a member's share or float change at once, between reviews, when it "
            "moves its float-adjusted shares by at least this fraction (S&P accelerated rule, Nasdaq 0.10); "
            "none if omitted"
        },
    )
    initial_divisor: float | None = attrs.field(
        default=None,
        validator=attrs.validators.optional(attrs.validators.gt(0)),
        metadata={"help": "start from this divisor instead of base_value (to continue a published index)"},
    )
    bankruptcy_at_zero: bool = attrs.field(
        default=False, metadata={"help": "remove members delisted for bankruptcy at price 0"}
    )
    cost_bps: float = _ge0("trading cost per side, basis points of value traded (at most 10000)", most=10_000)
    impact_bps: float = _ge0(
        "market impact in bps at 100% participation in average daily dollar volume (at most 10000)",
        most=10_000,
    )
    aum: float = attrs.field(
        default=1e9,
        validator=attrs.validators.gt(0),
        metadata={"help": "fund size in USD, for participation"},
    )
    adv_sessions: int = attrs.field(
        default=20, validator=attrs.validators.gt(0), metadata={"help": "sessions of average dollar volume"}
    )
    fee: float = _ge0(
        "annual fee (expense ratio) accrued daily in net_of_costs, e.g. 0.0009 (at most 1)", most=1
    )

    def __attrs_post_init__(self) -> None:
        if self.reference_price == "sessions-before" and self.reference_sessions < 1:
            raise ValueError("reference_price = 'sessions-before' needs reference_sessions >= 1")
        if self.holding == "shares" and self.unit_holdings:
            raise ValueError("a price-weighted index holds one unit of each member; it cannot hold shares")

    @property
    def has_costs(self) -> bool:
        return bool(self.cost_bps or self.impact_bps or self.fee)


@attrs.frozen(kw_only=True)
class MaintenanceOptions:
    """How a family is maintained between reviews (``[family.maintenance]``); the
    replacement policy itself is the family's ``replacement`` component."""

    announce_sessions: int = attrs.field(
        default=5,
        validator=attrs.validators.ge(0),
        metadata={
            "help": "sessions before a member leaves that its replacement is chosen (the view the replacement "
            "ranks on)"
        },
    )
    spin_offs: str = attrs.field(
        default="keep",
        validator=attrs.validators.in_(["keep", "drop-after-first-session", "drop-if-ineligible"]),
        metadata={
            "help": "a spun-off company enters at price 0 on the ex-date and is 'keep'-t until the next review, "
            "dropped at the close of its first session, or dropped then only if it fails the universe screens "
            "for additions (S&P-style, methodologies.md §3.6)"
        },
    )
