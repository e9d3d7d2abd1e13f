"""The ``crsp`` market source: CRSP-style daily stock files with Compustat-style quarterly
fundamentals joined through a CCM-style link table (docs/sources/crsp.md).

Every code is read from a table below; a code that is not in it is reported with its file
and row, never guessed. Common shares (SHRCD 10 and 11) are read by default; a company's
share classes share its PERMCO, so its market cap sums them.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import attrs
import numpy as np
import pandas as pd
from indexsmith import Register, TradingCalendar, hookimpl
from indexsmith.market import MarketSource, SourceTables, VendorFiles, to_sessions

from indexsmith_plugins.sources.crsp_codes import DELISTING, SHARE_TYPES
from indexsmith_plugins.sources.crsp_fundamentals import fundamentals
from indexsmith_plugins.sources.crsp_names import chosen_permnos, read_names, reference

#: Letters CRSP exports for missing delisting returns (A, S, T, P...) and its numeric codes.
MISSING_RETURNS = {"A", "B", "C", "P", "S", "T", "-55", "-66", "-88", "-99"}


@attrs.frozen(kw_only=True)
class CrspSource(MarketSource):
    """CRSP daily stock file, names history, distributions and delistings; Compustat
    quarterly fundamentals through the CCM link table."""

    files: ClassVar[tuple[str, ...]] = (
        "dsf",
        "stocknames",
        "dsedist",
        "dsedelist",
        "fundq",
        "ccmxpf_linktable",
    )

    share_codes: tuple[int, ...] = attrs.field(
        default=(10, 11),
        converter=tuple,
        metadata={"help": "SHRCD values read (10, 11: ordinary common shares); others are left out"},
    )
    float_factor: float = attrs.field(
        default=1.0, metadata={"help": "float factor of every security (CRSP carries no float)"}
    )
    fundamentals_units: float = attrs.field(
        default=1e6, metadata={"help": "multiplier of NIQ, CEQQ, SALEQ (Compustat reports millions)"}
    )
    rdq_fallback_days: int | None = attrs.field(
        default=None,
        validator=attrs.validators.optional([attrs.validators.instance_of(int), attrs.validators.ge(0)]),
        metadata={
            "help": "a quarter without RDQ is known this many calendar days after DATADATE "
            "(default: left out, with the count in a note)"
        },
    )

    def __attrs_post_init__(self) -> None:
        unknown = [c for c in self.share_codes if c not in SHARE_TYPES]
        if unknown:
            raise ValueError(
                f"share_codes {unknown} have no documented security type; use some of "
                f"{', '.join(str(c) for c in SHARE_TYPES)}"
            )

    def read(self, location: Path, calendar: TradingCalendar) -> SourceTables:
        files = VendorFiles(location, "crsp")
        dsf = files.table(
            "dsf", ["PERMNO", "PERMCO", "DATE", "PRC", "VOL", "SHROUT"], optional=["CFACPR", "CFACSHR"]
        )
        names = files.table(
            "stocknames",
            ["PERMNO", "NAMEDT", "NAMEENDT", "SHRCD", "EXCHCD", "SICCD", "TICKER"],
            optional=["COMNAM", "PERMCO"],
        )
        dist = files.table(
            "dsedist",
            ["PERMNO", "DISTCD", "DIVAMT", "FACPR", "FACSHR", "EXDT"],
            optional=["ACPERM"],
            required=False,
        )
        delist = files.table(
            "dsedelist", ["PERMNO", "DLSTDT", "DLSTCD", "DLPRC", "DLRET"], optional=["NWPERM"], required=False
        )
        files.raise_if_any()
        assert dsf is not None and names is not None
        names = read_names(files, names)
        chosen = chosen_permnos(names, self.share_codes)
        prices, shares = self._daily(files, dsf, chosen)
        self._check_factors(files, dsf, dist, chosen)
        first = prices.groupby("security_id")["date"].min()
        last = prices.groupby("security_id")["date"].max()
        permco = dsf.assign(PERMNO=dsf["PERMNO"].astype(str)).drop_duplicates("PERMNO").set_index("PERMNO")
        ref = reference(files, names, permco["PERMCO"], first, last, calendar)
        securities = ref.securities
        closes = prices.set_index(["security_id", "date"])["close"]
        dividends, actions = self._distributions(files, dist, chosen, closes, last, calendar)
        exits = self._delistings(files, delist, chosen, closes, last, calendar)
        changes = ref.ticker_changes
        files.raise_if_any()
        securities["delisting_date"] = securities["security_id"].map(
            exits.drop_duplicates("security_id").set_index("security_id")["date"]
        )
        frames = {
            "securities": securities,
            "prices": prices,
            "shares": shares,
            "dividends": dividends,
            "corporate_actions": pd.concat(
                [f.assign() for f in (actions, exits, changes)], ignore_index=True
            ),
        }
        frames["corporate_actions"].attrs["source_rows"] = tuple(
            np.concatenate(
                [f.attrs.get("source_rows", np.zeros(len(f), dtype=int)) for f in (actions, exits, changes)]
            )
        )
        frames["security_history"] = ref.history
        file_names = {
            "securities": names.attrs["file"],
            "security_history": names.attrs["file"],
            "prices": dsf.attrs["file"],
            "shares": dsf.attrs["file"],
        }
        if dist is not None:
            file_names["dividends"] = file_names["corporate_actions"] = dist.attrs["file"]
        fundq = files.table("fundq", ["GVKEY", "DATADATE", "RDQ", "NIQ", "CEQQ", "SALEQ"], required=False)
        notes: list[str] = []
        if fundq is not None:
            links = files.table(
                "ccmxpf_linktable", ["GVKEY", "LPERMNO", "LINKTYPE", "LINKPRIM", "LINKDT", "LINKENDDT"]
            )
            files.raise_if_any()
            assert links is not None
            company = securities.set_index("security_id")["company_id"]
            frames["fundamentals"], notes = fundamentals(
                files, fundq, links, company, self.fundamentals_units, self.rdq_fallback_days
            )
            file_names["fundamentals"] = fundq.attrs["file"]
        files.raise_if_any()
        return SourceTables(frames, file_names, tuple(notes))

    def _daily(
        self, files: VendorFiles, dsf: pd.DataFrame, chosen: set[str]
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Closes (|PRC|: a negative PRC is a bid/ask average), volumes, and shares
        outstanding (SHROUT, thousands) where they change."""
        dsf = dsf.assign(PERMNO=dsf["PERMNO"].astype(str), row=np.arange(1, len(dsf) + 1))
        dsf = dsf[dsf["PERMNO"].isin(chosen)]
        prc = files.numbers(dsf, "PRC", required=False)
        daily = pd.DataFrame(
            {
                "date": files.dates(dsf, "DATE"),
                "security_id": dsf["PERMNO"],
                "close": prc.abs(),
                "volume": files.numbers(dsf, "VOL", required=False).clip(lower=0).fillna(0.0),
                "shares_outstanding": files.numbers(dsf, "SHROUT", required=False) * 1000.0,
                "row": dsf["row"],
            }
        )
        # CRSP writes no price (empty or 0) for a day without trades or quotes.
        priced = daily[daily["close"] > 0].sort_values(["security_id", "date"], kind="stable")
        prices = priced[["date", "security_id", "close", "volume"]].reset_index(drop=True)
        prices.attrs["source_rows"] = tuple(priced["row"].to_numpy())
        held = priced.dropna(subset=["shares_outstanding"])
        change = (held["security_id"] != held["security_id"].shift()) | (
            held["shares_outstanding"] != held["shares_outstanding"].shift()
        )
        shares = held[change][["date", "security_id", "shares_outstanding"]].assign(
            float_factor=self.float_factor
        )
        shares = shares.reset_index(drop=True)
        shares.attrs["source_rows"] = tuple(held[change]["row"].to_numpy())
        return prices, shares

    def _check_factors(
        self, files: VendorFiles, dsf: pd.DataFrame, dist: pd.DataFrame | None, chosen: set[str]
    ) -> None:
        """A change of CFACPR from one dsf row of a PERMNO to the next is a distribution with
        a price factor (a split, a stock dividend): one that no dsedist row with a FACPR,
        ex-dated after the earlier row and on or before the later one, explains is refused
        with its dsf row. The closes would carry an adjustment the index never applies."""
        if "CFACPR" not in dsf.columns:
            return
        frame = pd.DataFrame(
            {
                "PERMNO": dsf["PERMNO"].astype(str),
                "date": pd.to_datetime(dsf["DATE"].astype(str), errors="coerce", format="mixed"),
                "factor": pd.to_numeric(dsf["CFACPR"], errors="coerce"),
                "row": np.arange(1, len(dsf) + 1),
            }
        )
        frame = frame[frame["PERMNO"].isin(chosen) & frame["factor"].gt(0) & frame["date"].notna()]
        frame = frame.sort_values(["PERMNO", "date"], kind="stable")
        same = frame["PERMNO"] == frame["PERMNO"].shift()
        before, since = frame["factor"].shift(), frame["date"].shift()
        moved = frame[same & ((before / frame["factor"] - 1.0).abs() > 1e-6)]
        if moved.empty:
            return
        factors = pd.DataFrame(columns=["PERMNO", "EXDT"])
        if dist is not None:
            facpr = pd.to_numeric(dist["FACPR"], errors="coerce")
            factors = pd.DataFrame(
                {
                    "PERMNO": dist["PERMNO"].astype(str),
                    "EXDT": pd.to_datetime(dist["EXDT"].astype(str), errors="coerce", format="mixed"),
                }
            )[facpr.fillna(0).ne(0).to_numpy()]
        file = dsf.attrs.get("file", "dsf")
        for row in moved.itertuples():
            ex = factors.loc[factors["PERMNO"] == row.PERMNO, "EXDT"]
            if ((ex > since[row.Index]) & (ex <= row.date)).any():
                continue
            files.add(
                f"CFACPR of PERMNO {row.PERMNO} changes from {before[row.Index]:g} to {row.factor:g} on "
                f"{row.date:%Y-%m-%d}, and no dsedist distribution with a FACPR explains it",
                f"{file} row {row.row}",
                "add the split or stock dividend to dsedist (DISTCD 5xxx with FACPR and FACSHR), or correct CFACPR",
            )

    def _distributions(
        self,
        files: VendorFiles,
        dist: pd.DataFrame | None,
        chosen: set[str],
        closes: pd.Series,
        last: pd.Series,
        calendar: TradingCalendar,
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """DISTCD by its first digit: 1 cash (third digit 7: extra or special), 2
        liquidating (special), 3 exchanges and reorganisations (a spin-off of ACPERM when the
        distributing security trades on), 5 splits and stock dividends (ratio 1 + FACSHR),
        6 issuance (no action: SHROUT carries it)."""
        dividends = pd.DataFrame(columns=["ex_date", "security_id", "amount", "kind"])
        actions = pd.DataFrame(columns=["date", "security_id", "action", "ratio", "new_security_id"])
        if dist is None:
            return dividends, actions
        dist = dist.assign(
            PERMNO=dist["PERMNO"].astype(str),
            EXDT=to_sessions(files.dates(dist, "EXDT"), calendar),
            code=files.numbers(dist, "DISTCD").fillna(0).astype(int),
            DIVAMT=files.numbers(dist, "DIVAMT", required=False),
            FACSHR=files.numbers(dist, "FACSHR", required=False),
            row=np.arange(1, len(dist) + 1),
        )
        dist = dist[dist["PERMNO"].isin(chosen)]
        digit = dist["code"] // 1000
        files.rows(
            dist,
            ~digit.isin([1, 2, 3, 5, 6]),
            lambda r: (
                f"DISTCD {r['code']} of PERMNO {r['PERMNO']} is not a distribution code the source knows"
            ),
            "the crsp source reads DISTCD 1xxx (cash), 2xxx (liquidating), 3xxx (exchanges), 5xxx (splits), 6xxx (issuance)",
        )
        cash = dist[digit.isin([1, 2])]
        special = (cash["code"] // 1000 == 2) | ((cash["code"] // 10) % 10 == 7)
        div_rows = [cash.assign(kind=np.where(special, "special", "regular"))]
        split = dist[digit == 5]
        files.rows(
            split, split["FACSHR"].isna(), "a split or stock dividend without FACSHR", "fill in FACSHR"
        )
        split_rows = pd.DataFrame(
            {
                "date": split["EXDT"],
                "security_id": split["PERMNO"],
                "action": "split",
                "ratio": 1.0 + split["FACSHR"],
            }
        )
        split_rows.attrs["source_rows"] = tuple(split["row"].to_numpy())
        spins = []
        for row in dist[digit == 3].itertuples():
            if last.get(row.PERMNO, row.EXDT) <= row.EXDT:
                continue  # the security ends here: its delisting record carries the exchange
            new = str(getattr(row, "ACPERM", "") or "").split(".")[0]
            price = closes.get((new, row.EXDT))
            if new in chosen and price is not None and row.DIVAMT > 0:
                spins.append((row.EXDT, row.PERMNO, "spin-off", row.DIVAMT / price, new, row.row))
            elif row.DIVAMT > 0:  # a distribution of a security the data lacks: its value in cash
                div_rows.append(pd.DataFrame([row._asdict()]).assign(kind="special"))
            else:
                files.add(
                    f"DISTCD {row.code} of PERMNO {row.PERMNO} on {row.EXDT:%Y-%m-%d} has no value (DIVAMT) "
                    f"and no ACPERM in the data",
                    f"{dist.attrs['file']} row {row.row}",
                    "add the distributed security's prices, or its value per share in DIVAMT",
                )
        spin_rows = pd.DataFrame(
            spins, columns=["date", "security_id", "action", "ratio", "new_security_id", "row"]
        )
        cash = pd.concat(div_rows, ignore_index=True)
        dividends = pd.DataFrame(
            {
                "ex_date": cash["EXDT"],
                "security_id": cash["PERMNO"],
                "amount": cash["DIVAMT"],
                "kind": cash["kind"],
            }
        )
        dividends.attrs["source_rows"] = tuple(cash["row"].to_numpy())
        actions = pd.concat([split_rows, spin_rows.drop(columns="row")], ignore_index=True)
        actions.attrs["source_rows"] = tuple(
            np.concatenate([split["row"].to_numpy(), spin_rows["row"].to_numpy()])
        )
        return dividends, actions

    def _delistings(
        self,
        files: VendorFiles,
        delist: pd.DataFrame | None,
        chosen: set[str],
        closes: pd.Series,
        last: pd.Series,
        calendar: TradingCalendar,
    ) -> pd.DataFrame:
        """DLSTCD by its first digit (``DELISTING``); a merger's value per share is the last
        close times 1 + DLRET (DLPRC when DLRET is missing): shares of NWPERM when it is in
        the data, else cash. A liquidation (4xx) pays that value in cash, a bankruptcy when
        it is 0, a voluntary delisting when it is unknown. The action is dated on the last
        session with a price."""
        columns = ["date", "security_id", "action", "cash", "acquirer_id", "ratio", "reason"]
        if delist is None:
            return pd.DataFrame(columns=columns)
        delist = delist.assign(
            PERMNO=delist["PERMNO"].astype(str),
            code=files.numbers(delist, "DLSTCD").fillna(0).astype(int),
            DLPRC=files.numbers(delist, "DLPRC", required=False).abs(),
            row=np.arange(1, len(delist) + 1),
        )
        returns = (
            delist["DLRET"]
            .astype(object)
            .where(~delist["DLRET"].astype(str).str.strip().isin(MISSING_RETURNS))
        )
        delist["DLRET"] = files.numbers(delist.assign(DLRET=returns), "DLRET", required=False)
        delist = delist[delist["PERMNO"].isin(chosen) & (delist["code"] // 100 != 1)]
        rows: list[tuple[object, ...]] = []
        for row in delist.itertuples():
            kind = DELISTING.get(row.code) or DELISTING.get(row.code // 100)
            if kind is None:
                files.add(
                    f"DLSTCD {row.code} of PERMNO {row.PERMNO} is not a delisting code the source knows",
                    f"{delist.attrs['file']} row {row.row}",
                    "the crsp source reads DLSTCD 1xx-6xx (docs/sources/crsp.md)",
                )
                continue
            when = last.get(row.PERMNO)
            if when is None:
                continue
            close = closes[(row.PERMNO, when)]
            value = close * (1.0 + row.DLRET) if row.DLRET == row.DLRET else row.DLPRC
            new = str(getattr(row, "NWPERM", "") or "").split(".")[0]
            if kind == "merger" and new in chosen and (new, when) in closes.index and value == value:
                rows.append(
                    (
                        when,
                        row.PERMNO,
                        "stock-acquisition",
                        np.nan,
                        new,
                        value / closes[(new, when)],
                        None,
                        row.row,
                    )
                )
            elif (kind == "merger" and value == value) or (kind == "liquidation" and value > 0):
                # A liquidation's holders receive its final distributions: the value in cash.
                rows.append((when, row.PERMNO, "cash-acquisition", value, None, np.nan, None, row.row))
            elif kind == "liquidation" and value == value:  # DLRET -100%: nothing is left for holders
                rows.append((when, row.PERMNO, "delisting", np.nan, None, np.nan, "bankruptcy", row.row))
            else:
                reason = {"merger": "acquisition", "liquidation": "voluntary"}.get(kind, kind)
                rows.append((when, row.PERMNO, "delisting", np.nan, None, np.nan, reason, row.row))
        out = pd.DataFrame(rows, columns=[*columns, "row"])
        frame = out.drop(columns="row")
        frame.attrs["source_rows"] = tuple(out["row"].to_numpy())
        return frame


@hookimpl
def indexsmith_register_market_sources(register: Register) -> None:
    register("crsp", CrspSource)
