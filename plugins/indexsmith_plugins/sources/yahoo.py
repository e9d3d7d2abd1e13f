"""The ``yahoo`` market source: one CSV per ticker as saved from Yahoo-style downloads,
an actions file, and a securities file with share counts (docs/sources/yahoo.md).

Yahoo-style ``Close`` (and ``Dividends``, ``Volume``) are split-adjusted as of the
download: every value dated before a split is divided by its ratio. The source undoes
that from the split records: a raw close is ``Close`` times the product of the ratios of
every split dated after it; dividends likewise; volume is divided by it. ``Adj Close``
(split and dividend adjusted) is not used.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import attrs
import numpy as np
import pandas as pd
from indexsmith import Register, TradingCalendar, hookimpl
from indexsmith.market import (
    SCHEMA,
    MarketSource,
    SourceTables,
    VendorFiles,
    fill_security_defaults,
    roll_shares,
    unadjust,
)

#: Files of the folder that are not per-ticker price files.
OTHER_FILES = ("actions", "securities", "shares")
#: How a per-ticker actions file's name ends (``AAPL_actions.csv``).
ACTIONS = "_actions"
SECURITY_COLUMNS = tuple(c.name for c in SCHEMA["securities"] if c.name not in ("ticker", "listing_date"))


@attrs.frozen(kw_only=True)
class YahooSource(MarketSource):
    """Per-ticker Yahoo-style daily CSVs (split-adjusted closes, un-adjusted here from the
    split records), an actions file of dividends and splits, and share counts."""

    files: ClassVar[tuple[str, ...]] = ("<TICKER>", "actions", "<TICKER>_actions", "securities", "shares")

    float_factor: float = attrs.field(default=1.0, metadata={"help": "float factor of every security"})
    sector: str | None = attrs.field(
        default=None, metadata={"help": "sector of securities the securities file gives none for"}
    )

    def read(self, location: Path, calendar: TradingCalendar) -> SourceTables:
        files = VendorFiles(location, "yahoo")
        securities = files.table("securities", ["ticker"], optional=(*SECURITY_COLUMNS, "shares_outstanding"))
        snapshots = files.table("shares", ["date", "ticker", "shares_outstanding"], required=False)
        stems = [
            p.name.split(".")[0] for p in location.iterdir() if p.is_file() and p.suffix.lower() == ".csv"
        ]
        tickers = sorted(s for s in stems if s.lower() not in OTHER_FILES and not s.lower().endswith(ACTIONS))
        if not tickers:
            files.add("no per-ticker price files", str(location), "save one CSV per ticker, e.g. AAPL.csv")
        actions = self._actions(files, stems, tickers)
        files.raise_if_any()
        assert securities is not None

        splits = pd.DataFrame(columns=["date", "security_id", "ratio"])
        dividends = pd.DataFrame(columns=["ex_date", "security_id", "amount", "kind"])
        if actions is not None:
            dates = files.dates(actions, "Date")
            cash = files.numbers(actions, "Dividends", required=False).fillna(0.0)
            # "4:1" as some downloads write it, or the ratio as a number.
            text = actions["Stock Splits"].astype(object).where(actions["Stock Splits"].notna(), None)
            parts = text.astype(str).str.extract(r"^\s*([\d.]+)\s*[:/]\s*([\d.]+)\s*$").astype(float)
            ratio = files.numbers(
                actions.assign(**{"Stock Splits": text.where(parts[0].isna(), "0")}),
                "Stock Splits",
                required=False,
            ).fillna(0.0)
            ratio = ratio.where(parts[0].isna(), parts[0] / parts[1])
            files.rows(
                actions,
                ratio < 0,
                lambda r: f"Stock Splits {r['Stock Splits']} for {r['Ticker']} is negative",
                "write new shares per old share (4 for 4-for-1, 0.1 for 1-for-10), 0 for no split",
            )
            rows = actions["row"].to_numpy()
            # Yahoo writes 0 for "no split" and for "no dividend" on a row of the other kind.
            is_split = (ratio > 0).to_numpy()
            splits = pd.DataFrame(
                {
                    "date": dates[is_split],
                    "security_id": actions["Ticker"][is_split],
                    "ratio": ratio[is_split],
                }
            )
            splits.attrs["source_rows"] = tuple(rows[is_split])
            is_cash = (cash != 0).to_numpy()
            dividends = pd.DataFrame(
                {
                    "ex_date": dates[is_cash],
                    "security_id": actions["Ticker"][is_cash],
                    "amount": cash[is_cash],
                }
            )
            dividends["amount"] = unadjust(
                dividends.rename(columns={"ex_date": "date", "amount": "close"}), splits
            ).to_numpy()
            dividends["kind"] = "regular"
            dividends.attrs["source_rows"] = tuple(rows[is_cash])

        prices = []
        for ticker in tickers:
            frame = files.table(ticker, ["Date", "Close"], optional=["Volume"])
            if frame is None:
                continue
            one = pd.DataFrame(
                {
                    "date": files.dates(frame, "Date"),
                    "security_id": ticker,
                    "close": files.numbers(frame, "Close"),
                    "volume": files.numbers(frame, "Volume", required=False).fillna(0.0),
                }
            )
            one["row"] = np.arange(1, len(one) + 1)
            prices.append(one)
        files.raise_if_any()
        daily = pd.concat(prices, ignore_index=True)
        factor = unadjust(daily.assign(close=1.0), splits)
        daily["close"] = daily["close"] * factor
        daily["volume"] = daily["volume"] / factor

        first = daily.groupby("security_id")["date"].min()
        held = self._shares(files, securities, snapshots, first, splits)
        table = securities[securities["ticker"].isin(first.index)].copy()
        table["security_id"] = table["ticker"]
        table["listing_date"] = table["ticker"].map(first)
        table = fill_security_defaults(table, sector=self.sector, fill_gaps=True)
        missing = sorted(set(first.index) - set(securities["ticker"]))
        for ticker in missing:
            files.add(
                f"ticker {ticker} has prices but no row in securities", securities.attrs["file"], "add one"
            )
        files.raise_if_any()
        table.attrs["source_rows"] = tuple(
            np.flatnonzero(securities["ticker"].isin(first.index).to_numpy()) + 1
        )
        frames = {
            "securities": table,
            "prices": daily[["date", "security_id", "close", "volume"]],
            "shares": held,
            "dividends": dividends,
            "corporate_actions": splits.assign(action="split"),
        }
        frames["prices"].attrs["source_rows"] = tuple(daily["row"].to_numpy())
        frames["corporate_actions"].attrs["source_rows"] = tuple(splits.attrs.get("source_rows", ()))
        frames["dividends"].attrs["source_rows"] = tuple(dividends.attrs.get("source_rows", ()))
        names = {"securities": securities.attrs["file"], "prices": "<TICKER>.csv"}
        if actions is not None:
            names["dividends"] = names["corporate_actions"] = actions.attrs["file"]
        names["shares"] = snapshots.attrs["file"] if snapshots is not None else securities.attrs["file"]
        return SourceTables(frames, names)

    def _actions(self, files: VendorFiles, stems: list[str], tickers: list[str]) -> pd.DataFrame | None:
        """Dividends and splits of every ticker, from one ``actions`` file (with a Ticker
        column) and/or one ``<TICKER>_actions`` file per ticker (without one), with each
        row's file and row number; a ticker in both, or an actions file without a price
        file, is reported."""
        parts = []
        shared = files.table("actions", ["Date", "Ticker", "Dividends", "Stock Splits"], required=False)
        if shared is not None:
            parts.append(shared.assign(file=shared.attrs["file"], row=np.arange(1, len(shared) + 1)))
        known = {t.lower(): t for t in tickers}
        for stem in sorted(s for s in stems if s.lower().endswith(ACTIONS)):
            ticker = known.get(stem[: -len(ACTIONS)].lower())
            own = files.table(stem, ["Date", "Dividends", "Stock Splits"])
            if own is None:
                continue
            if ticker is None:
                files.add(
                    f"{own.attrs['file']} is the actions file of a ticker without a price file",
                    str(files.directory),
                    f"add {stem[: -len(ACTIONS)]}.csv, or remove the actions file",
                )
                continue
            if shared is not None and (shared["Ticker"] == ticker).any():
                files.add(
                    f"ticker {ticker} has actions in both {shared.attrs['file']} and {own.attrs['file']}",
                    str(files.directory),
                    "keep them in one of the two (every dividend and split would count twice)",
                )
            parts.append(own.assign(Ticker=ticker, file=own.attrs["file"], row=np.arange(1, len(own) + 1)))
        if not parts:
            return None
        actions = pd.concat(parts, ignore_index=True)
        # Validation names one file per table: the shared file, or the per-ticker pattern
        # (as prices are "<TICKER>.csv"); the message names the ticker.
        own = len(parts) - (shared is not None)
        named = [shared.attrs["file"]] if shared is not None else []
        actions.attrs["file"] = " or ".join([*named, *(["<TICKER>_actions.csv"] if own else [])])
        return actions

    def _shares(
        self,
        files: VendorFiles,
        securities: pd.DataFrame,
        snapshots: pd.DataFrame | None,
        first: pd.Series,
        splits: pd.DataFrame,
    ) -> pd.DataFrame:
        """Share counts: dated snapshots (``shares`` file) rolled through later splits, or
        the securities file's constant count from the first price on."""
        if snapshots is not None:
            held = pd.DataFrame(
                {
                    "date": files.dates(snapshots, "date"),
                    "security_id": snapshots["ticker"],
                    "shares_outstanding": files.numbers(snapshots, "shares_outstanding"),
                }
            )
            held = roll_shares(held, splits[splits["ratio"] > 0])
        elif "shares_outstanding" in securities.columns:
            constant = securities.set_index("ticker")["shares_outstanding"]
            held = pd.DataFrame(
                {
                    "date": first.to_numpy(),
                    "security_id": first.index,
                    "shares_outstanding": pd.to_numeric(
                        constant.reindex(first.index), errors="coerce"
                    ).to_numpy(),
                }
            )
        else:
            files.add(
                "no share counts",
                securities.attrs["file"],
                "add a shares_outstanding column to securities, or a shares file (date, ticker, shares_outstanding)",
            )
            held = pd.DataFrame(columns=["date", "security_id", "shares_outstanding"])
        files.raise_if_any()
        return held.assign(float_factor=self.float_factor)


@hookimpl
def indexsmith_register_market_sources(register: Register) -> None:
    register("yahoo", YahooSource)
