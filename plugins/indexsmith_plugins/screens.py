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
from indexsmith import MarketView, Register, Screen, hookimpl, units

from indexsmith_plugins.ranges import CapRange, check_ranges, in_force


def reasons_for(failed: pd.Series, text: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """The reason for each failing candidate, missing for the others.

    ``text(mask)`` formats the reasons of the failing rows only, so no text is built for the
    (usually many) securities that pass.
    """
    failed = failed.fillna(True).astype(bool)
    mask = failed.to_numpy()
    values = np.full(len(mask), None, dtype=object)
    if mask.any():
        result = text(failed)
        if isinstance(result, pd.Series):
            result = result.reindex(failed.index[mask])
        values[mask] = np.asarray(result, dtype=object)
    return pd.Series(values, index=failed.index, dtype=object)


def dollars(amount: float) -> str:
    """A dollar amount for reasons: ``$1.23B``, ``$45.6M``."""
    return units.money(amount, compact=True)


def money(values: pd.Series) -> pd.Series:
    """:func:`dollars` for each value."""
    return values.map(dollars)


@attrs.frozen(kw_only=True)
class MinPrice(Screen):
    """Close on the rank date at least ``min_price``. With ``incumbent_average_sessions``
    set, an incumbent below it stays eligible if its average close over that many sessions
    up to the rank date is at least ``min_price`` (the Russell-style exception, §1.2)."""

    min_price: float = attrs.field(
        default=1.0, validator=attrs.validators.ge(0), metadata={"help": "minimum rank-date close, USD"}
    )
    incumbent_average_sessions: int | None = attrs.field(
        default=None,
        metadata={
            "help": "sessions of average close that can keep an incumbent (Russell: 30); none if omitted"
        },
    )

    def screen(self, view: MarketView, candidates: pd.DataFrame) -> pd.Series:
        price = view.close(candidates.index)
        failed = ~(price >= self.min_price)
        if self.incumbent_average_sessions and failed.any():
            incumbents = candidates.index[failed.to_numpy() & candidates["incumbent"].to_numpy()]
            average = view.close_history(incumbents, self.incumbent_average_sessions).mean()
            failed[average.index[average >= self.min_price]] = False
        return reasons_for(
            failed,
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
        return reasons_for(
            ~(cap >= self.min_cap),
            lambda bad: "company market cap " + money(cap[bad]) + f" < min_cap {dollars(self.min_cap)}",
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


@attrs.frozen(kw_only=True)
class MinFloat(Screen):
    """Float factor above (or at least) ``min_float``: Russell-style ``> 0.05``, S&P-style
    IWF ``>= 0.10``."""

    min_float: float = attrs.field(
        validator=[attrs.validators.ge(0), attrs.validators.lt(1)], metadata={"help": "minimum float factor"}
    )
    exclusive: bool = attrs.field(default=False, metadata={"help": "require strictly more than min_float"})

    def screen(self, view: MarketView, candidates: pd.DataFrame) -> pd.Series:
        ff = view.float_factor(candidates.index)
        ok = ff > self.min_float if self.exclusive else ff >= self.min_float
        sign = "<=" if self.exclusive else "<"
        return reasons_for(
            ~ok,
            lambda bad: (
                "float factor " + ff[bad].map("{:.3f}".format) + f" {sign} min_float {self.min_float:g}"
            ),
        )


@attrs.frozen(kw_only=True)
class Domicile(Screen):
    """Country of incorporation and of headquarters in the given lists (ISO codes)."""

    incorporation: tuple[str, ...] | None = attrs.field(
        default=None, metadata={"help": "countries of incorporation to keep (any if omitted)"}
    )
    headquarters: tuple[str, ...] | None = attrs.field(
        default=("US",), metadata={"help": "countries of headquarters to keep (any if omitted)"}
    )

    def screen(self, view: MarketView, candidates: pd.DataFrame) -> pd.Series:
        failed = np.zeros(len(candidates), dtype=bool)
        text = np.full(len(candidates), "", dtype=object)
        for field, allowed in (
            ("country_of_incorporation", self.incorporation),
            ("country_of_headquarters", self.headquarters),
        ):
            if allowed is not None:
                bad = ~candidates[field].isin(allowed).to_numpy()
                first = bad & ~failed  # the first test a security fails names it
                if first.any():
                    named = (
                        field.replace("_", " ") + " " + candidates[field][first].astype(str) + " not eligible"
                    )
                    text[first] = named.to_numpy(dtype=object)
                failed |= bad
        reasons = pd.Series(text, index=candidates.index, dtype=object)
        return reasons_for(pd.Series(failed, index=candidates.index), lambda bad: reasons[bad])


@attrs.frozen(kw_only=True)
class Seasoning(Screen):
    """Listed for at least ``min_sessions`` sessions (12 months ~ 252 for S&P-style IPO
    seasoning; about 63 for three months)."""

    min_sessions: int = attrs.field(
        validator=attrs.validators.gt(0),
        metadata={"help": "minimum sessions since listing, the rank date included"},
    )
    seasoned_at_data_start: bool = attrs.field(
        default=True,
        metadata={
            "help": "a security already priced on the data's first session listed before the data "
            "starts: count it as seasoned"
        },
    )

    def screen(self, view: MarketView, candidates: pd.DataFrame) -> pd.Series:
        age = view.sessions_listed(candidates.index)
        young = age < self.min_sessions
        if self.seasoned_at_data_start:
            young &= candidates["listing_date"] > view.data_sessions[0]
        return reasons_for(
            young,
            lambda bad: "listed " + age[bad].astype(str) + f" sessions < {self.min_sessions}",
        )


@attrs.frozen(kw_only=True)
class Profitability(Screen):
    """S&P-style financial viability (§3.2): the sum of the last four reported quarters of
    GAAP net income and the latest quarter both positive."""

    quarters: int = attrs.field(
        default=4, validator=attrs.validators.gt(0), metadata={"help": "quarters summed"}
    )

    def screen(self, view: MarketView, candidates: pd.DataFrame) -> pd.Series:
        reported = view.trailing_quarters(candidates.index, "net_income", self.quarters)
        total = reported.sum(axis=1, min_count=self.quarters)
        latest = reported[0]
        failed = ~((total > 0) & (latest > 0))
        return reasons_for(
            failed,
            lambda bad: np.where(
                total[bad].isna(),
                f"fewer than {self.quarters} quarters reported",
                "net income: last "
                + str(self.quarters)
                + " quarters "
                + total[bad].map("{:,.0f}".format)
                + ", latest "
                + latest[bad].map("{:,.0f}".format),
            ),
        )


@attrs.frozen(kw_only=True)
class Liquidity(Screen):
    """S&P-style liquidity (§3.2): float-adjusted liquidity ratio (dollar value traded over
    the last ``falr_sessions`` sessions / float-adjusted market cap) at least ``min_falr``,
    and at least ``min_monthly_volume`` shares traded in each of the last ``months``
    complete months. Either test can be switched off with 0."""

    min_falr: float = attrs.field(
        default=0.75,
        validator=attrs.validators.ge(0),
        metadata={"help": "minimum FALR (S&P: 0.75 since 2023)"},
    )
    falr_sessions: int = attrs.field(
        default=252,
        validator=attrs.validators.gt(0),
        metadata={"help": "sessions of traded value in the FALR"},
    )
    min_monthly_volume: float = attrs.field(
        default=250_000, validator=attrs.validators.ge(0), metadata={"help": "shares per month"}
    )
    months: int = attrs.field(
        default=6, validator=attrs.validators.ge(0), metadata={"help": "complete months checked"}
    )
    min_average_volume: float = attrs.field(
        default=0,
        validator=attrs.validators.ge(0),
        metadata={"help": "minimum average daily shares traded (Nasdaq-100 style: 200,000); 0 = off"},
    )
    volume_sessions: int = attrs.field(
        default=63,
        validator=attrs.validators.gt(0),
        metadata={"help": "sessions averaged for min_average_volume (63 = about three months)"},
    )

    def screen(self, view: MarketView, candidates: pd.DataFrame) -> pd.Series:
        ids = candidates.index
        traded = view.average_dollar_volume(ids, self.falr_sessions) * self.falr_sessions
        falr = traded / view.float_market_cap(ids)
        low_falr = ~(falr >= self.min_falr) if self.min_falr else pd.Series(False, index=ids)
        if self.min_average_volume:
            adv = view.average_volume(ids, self.volume_sessions)
            low_adv = ~(adv >= self.min_average_volume) & ~low_falr
        else:
            low_adv = pd.Series(False, index=ids)
        monthly = view.monthly_volume(ids, self.months) if self.months else pd.DataFrame(columns=ids)
        thin = (
            (monthly < self.min_monthly_volume).any(axis=0).reindex(ids, fill_value=False)
            if self.min_monthly_volume
            else pd.Series(False, index=ids)
        )
        text = pd.Series("", index=ids)
        if low_falr.any():
            text[low_falr] = "FALR " + falr[low_falr].map("{:.2f}".format) + f" < {self.min_falr:g}"
        text[thin & ~low_falr] = (
            f"fewer than {self.min_monthly_volume:,.0f} shares traded in one of the last {self.months} months"
        )
        if low_adv.any():
            average = view.average_volume(ids[low_adv], self.volume_sessions)
            text[low_adv & ~thin] = (
                "average daily volume "
                + average.map("{:,.0f}".format)
                + f" < {self.min_average_volume:,.0f} shares over {self.volume_sessions} sessions"
            )
        return reasons_for(low_falr | thin | low_adv, lambda bad: text[bad])


@attrs.frozen(kw_only=True)
class Sectors(_FieldIn):
    """Keep securities by sector (e.g. exclude Financials for a Nasdaq-100-style index)."""

    field: ClassVar[str] = "sector"


@attrs.frozen(kw_only=True)
class CapRangeTable(Screen):
    """Total company market cap within the range in force on the rank date: a table with
    effective dates, as S&P revises its ranges (§3.3). ``min_float_cap_fraction`` adds the
    S&P security-level test: float-adjusted cap at least that fraction of the range minimum
    (0.5)."""

    ranges: tuple[CapRange, ...] = attrs.field(
        converter=tuple, metadata={"help": "list of {start, min_cap, max_cap}"}
    )
    min_float_cap_fraction: float | None = attrs.field(
        default=None, metadata={"help": "security float cap >= this x min_cap (S&P: 0.5)"}
    )

    def __attrs_post_init__(self) -> None:
        check_ranges(self.ranges)

    def in_force(self, date: pd.Timestamp) -> CapRange | None:
        return in_force(self.ranges, date)

    def screen(self, view: MarketView, candidates: pd.DataFrame) -> pd.Series:
        row = self.in_force(view.as_of)
        if row is None:
            return reasons_for(
                pd.Series(True, index=candidates.index),
                lambda bad: pd.Series(
                    f"no cap range in force before {self.ranges[0].start}", index=bad[bad].index
                ),
            )
        cap = view.company_market_cap(candidates.index)
        failed = ~(cap >= row.min_cap)
        if row.max_cap is not None:
            failed |= ~(cap <= row.max_cap)
        maximum = dollars(row.max_cap) if row.max_cap is not None else "no maximum"
        outside = f" outside {dollars(row.min_cap)}-{maximum} (range from {row.start})"
        thin = pd.Series(False, index=candidates.index)
        if self.min_float_cap_fraction is not None:
            floor = self.min_float_cap_fraction * row.min_cap
            fmc = view.float_market_cap(candidates.index)
            thin = ~(fmc >= floor) & ~failed

        def text(bad: pd.Series) -> pd.Series:
            reasons = "company market cap " + money(cap[bad]) + outside
            if thin[bad].any():
                reasons[thin[bad]] = "float cap " + money(fmc[bad][thin[bad]]) + f" < {dollars(floor)}"
            return reasons

        return reasons_for(failed | thin, text)


@attrs.frozen(kw_only=True)
class ShareClass(Screen):
    """One line per company: of a company's candidate lines keep the most liquid (highest
    average daily dollar volume over ``sessions``) or the largest (float-adjusted cap);
    ties go to the lower security id. A Dow-style average holds one line of each company."""

    choose: str = attrs.field(
        default="most-liquid",
        validator=attrs.validators.in_(["most-liquid", "largest"]),
        metadata={"help": "most-liquid (dollar volume) or largest (float-adjusted cap)"},
    )
    sessions: int = attrs.field(
        default=63, validator=attrs.validators.gt(0), metadata={"help": "sessions of average dollar volume"}
    )

    def screen(self, view: MarketView, candidates: pd.DataFrame) -> pd.Series:
        ids = candidates.index
        if self.choose == "most-liquid":
            score = view.average_dollar_volume(ids, self.sessions)
            what = "more liquid"
        else:
            score = view.float_market_cap(ids)
            what = "larger"
        frame = pd.DataFrame(
            {"company": candidates["company_id"].to_numpy(), "score": score.fillna(-np.inf).to_numpy()},
            index=ids,
        )
        order = np.lexsort(
            (ids.to_numpy(dtype=str), -frame["score"].to_numpy(), frame["company"].to_numpy(dtype=str))
        )
        ranked = frame.iloc[order]
        best = ranked[~ranked["company"].duplicated()]
        chosen = pd.Series(best.index, index=best["company"].to_numpy())
        keep = pd.Series(frame["company"].map(chosen).to_numpy(), index=ids)
        return reasons_for(
            pd.Series(keep.to_numpy() != ids.to_numpy(), index=ids),
            lambda bad: "another line of its company, " + keep[bad] + f", is {what}",
        )


@attrs.frozen(kw_only=True)
class SecurityList(Screen):
    """Explicit lists of security ids to keep (all if omitted) and to remove."""

    include: tuple[str, ...] | None = attrs.field(
        default=None, metadata={"help": "security ids to keep (every security if omitted)"}
    )
    exclude: tuple[str, ...] = attrs.field(default=(), metadata={"help": "security ids to remove"})

    def screen(self, view: MarketView, candidates: pd.DataFrame) -> pd.Series:
        ids = candidates.index.to_series()
        excluded = ids.isin(self.exclude)
        failed = excluded if self.include is None else excluded | ~ids.isin(self.include)
        text = pd.Series("not on the inclusion list", index=ids.index).where(
            ~excluded, "on the exclusion list"
        )
        return reasons_for(failed, lambda bad: text[bad])


@hookimpl
def indexsmith_register_screens(register: Register) -> None:
    register("min-price", MinPrice)
    register("min-market-cap", MinMarketCap)
    register("security-types", SecurityTypes)
    register("exchanges", Exchanges)
    register("min-float", MinFloat)
    register("domicile", Domicile)
    register("seasoning", Seasoning)
    register("profitability", Profitability)
    register("liquidity", Liquidity)
    register("sectors", Sectors)
    register("cap-range-table", CapRangeTable)
    register("security-list", SecurityList)
    register("share-class", ShareClass)
