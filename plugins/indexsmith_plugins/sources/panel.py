"""The ``panel`` market source: wide tables (one row per date, one column per ticker), the
shape spreadsheet users and vendor exports hold (docs/sources/panel.md).

Files in the folder (``.csv`` or ``.parquet``): ``close`` (raw closes) and ``shares``
(shares outstanding) are required, ``float_factor`` and ``volume`` optional, all dates x
tickers; ``securities`` (one row per ticker) is required; ``dividends`` (date, ticker,
amount, kind) and ``splits`` (date, ticker, ratio) are optional long tables, and
``corporate_actions`` in the documented format is passed through.
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
)

#: Securities columns a panel's securities table may carry (ticker is required; the rest
#: default as documented, or come from the source's params).
SECURITY_COLUMNS = tuple(c.name for c in SCHEMA["securities"] if c.name not in ("ticker", "listing_date"))


def _long(files: VendorFiles, frame: pd.DataFrame, value: str) -> pd.DataFrame:
    """A wide table as (date, ticker, value) rows, empty cells dropped; the file's row of
    each value is kept (``row``) for messages."""
    frame = frame.copy()
    if "date" not in frame.columns:
        frame = frame.reset_index().rename(columns={frame.index.name or "index": "date"})
    dates = files.dates(frame, "date")
    tickers = [c for c in frame.columns if c != "date"]
    values = frame[tickers].apply(pd.to_numeric, errors="coerce")
    raw = frame[tickers]
    bad = values.isna() & raw.notna() & (raw.astype(str) != "")
    for column in bad.columns[bad.any()]:
        files.rows(
            frame, bad[column], lambda r, c=column: f"{c} has {r[c]!r}", "write a number or leave it empty"
        )
    values["date"] = dates.to_numpy()
    values["row"] = np.arange(1, len(frame) + 1)
    out = values.melt(id_vars=["date", "row"], var_name="ticker", value_name=value).dropna(subset=[value])
    return out.sort_values(["ticker", "date"], kind="stable").reset_index(drop=True)


@attrs.frozen(kw_only=True)
class PanelSource(MarketSource):
    """Wide dates x tickers tables of raw closes and shares outstanding, a securities
    table, and optional float factors, volumes, dividends and splits."""

    files: ClassVar[tuple[str, ...]] = (
        "close",
        "shares",
        "securities",
        "float_factor",
        "volume",
        "dividends",
        "splits",
        "corporate_actions",
    )

    float_factor: float = attrs.field(
        default=1.0, metadata={"help": "float factor of every security when there is no float_factor table"}
    )
    roll_shares: bool = attrs.field(
        default=True,
        metadata={
            "help": "treat share counts as snapshots: roll each through the splits after it, until the next one"
        },
    )
    sector: str | None = attrs.field(
        default=None, metadata={"help": "sector of securities the securities table gives none for"}
    )

    def read(self, location: Path, calendar: TradingCalendar) -> SourceTables:
        files = VendorFiles(location, "panel")
        close = files.table("close", ["date"])
        shares = files.table("shares", ["date"])
        securities = files.table("securities", ["ticker"], optional=SECURITY_COLUMNS)
        floats = files.table("float_factor", ["date"], required=False)
        volume = files.table("volume", ["date"], required=False)
        dividends = files.table("dividends", ["date", "ticker", "amount"], optional=["kind"], required=False)
        splits = files.table("splits", ["date", "ticker", "ratio"], required=False)
        actions = files.table("corporate_actions", ["date", "security_id", "action"], required=False)
        files.raise_if_any()
        assert close is not None and shares is not None and securities is not None
        prices = _long(files, close, "close")
        held = _long(files, shares, "shares_outstanding")
        files.raise_if_any()

        securities = securities.copy()
        if "security_id" not in securities.columns:
            securities["security_id"] = securities["ticker"]
        securities["security_id"] = securities["security_id"].fillna(securities["ticker"])
        id_of = dict(zip(securities["ticker"], securities["security_id"], strict=True))
        unknown = sorted(set(prices["ticker"]) - set(id_of))
        for ticker in unknown:
            files.add(
                f"ticker {ticker} has closes but no row in securities",
                securities.attrs.get("file", "securities"),
                "add a row for it (ticker and its sector at least)",
            )
        if "sector" not in securities.columns and self.sector is None:
            files.add(
                "securities has no sector column",
                securities.attrs.get("file", "securities"),
                "add one (a GICS-like sector per ticker, docs/data.md), or pass the source param sector",
            )
        files.raise_if_any()

        if volume is not None:
            traded = _long(files, volume, "volume")[["date", "ticker", "volume"]]
            prices = prices.merge(traded, on=["date", "ticker"], how="left")
        prices["volume"] = prices.get("volume", pd.Series(0.0, index=prices.index)).fillna(0.0)
        prices["security_id"] = prices["ticker"].map(id_of)

        split_rows = pd.DataFrame(columns=["date", "security_id", "ratio"])
        if splits is not None:
            split_rows = pd.DataFrame(
                {
                    "date": files.dates(splits, "date"),
                    "security_id": splits["ticker"].map(id_of),
                    "ratio": files.numbers(splits, "ratio"),
                }
            )
            split_rows.attrs["source_rows"] = tuple(np.arange(1, len(splits) + 1))
        held["security_id"] = held["ticker"].map(id_of)
        held = held.dropna(subset=["security_id"])
        if self.roll_shares and len(split_rows):
            # A ratio that is not positive is refused (with its row) when the tables are checked.
            held = roll_shares(held, split_rows[split_rows["ratio"] > 0])
        if floats is not None:
            ff = _long(files, floats, "float_factor")
            ff["security_id"] = ff["ticker"].map(id_of)
            held = held.merge(
                ff[["date", "security_id", "float_factor"]], on=["date", "security_id"], how="outer"
            )
            held = held.sort_values(["security_id", "date"])
            held[["shares_outstanding", "float_factor"]] = held.groupby("security_id")[
                ["shares_outstanding", "float_factor"]
            ].ffill()
            held = held.dropna(subset=["shares_outstanding"])
            held["float_factor"] = held["float_factor"].fillna(self.float_factor)
        else:
            held["float_factor"] = self.float_factor
        # Changes only: a row repeating the security's previous count and factor says nothing.
        held = held.sort_values(["security_id", "date"]).reset_index(drop=True)
        same = (
            (held["security_id"] == held["security_id"].shift())
            & (held["shares_outstanding"] == held["shares_outstanding"].shift())
            & (held["float_factor"] == held["float_factor"].shift())
        )
        held = held[~same]
        files.raise_if_any()

        first = prices.groupby("security_id")["date"].min()
        table = securities.assign(listing_date=securities["security_id"].map(first))
        table = table[table["listing_date"].notna()]
        table = fill_security_defaults(table, sector=self.sector, fill_gaps=True)
        table.attrs["source_rows"] = tuple(
            np.flatnonzero(securities["security_id"].isin(table["security_id"])) + 1
        )

        frames: dict[str, pd.DataFrame] = {
            "securities": table,
            "prices": prices[["date", "security_id", "close", "volume"]],
            "shares": held[["date", "security_id", "shares_outstanding", "float_factor"]],
        }
        names = {"securities": table.attrs.get("file", "securities"), "prices": close.attrs["file"]}
        names["shares"] = shares.attrs["file"]
        if "row" in held.columns:  # the shares file's row of each count (0: a float-only row)
            frames["shares"].attrs["source_rows"] = tuple(held["row"].fillna(0).astype(int))
        frames["prices"].attrs["source_rows"] = tuple(prices["row"].to_numpy())
        if dividends is not None:
            frame = pd.DataFrame(
                {
                    "ex_date": dividends["date"],
                    "security_id": dividends["ticker"].map(id_of),
                    "amount": dividends["amount"],
                    "kind": dividends["kind"] if "kind" in dividends.columns else "regular",
                }
            )
            frame.attrs["source_rows"] = tuple(np.arange(1, len(frame) + 1))
            frames["dividends"], names["dividends"] = frame, dividends.attrs["file"]
        action_rows = []
        if len(split_rows):
            action_rows.append(split_rows.assign(action="split"))
        if actions is not None:
            action_rows.append(actions)
        if action_rows:
            combined = pd.concat(action_rows, ignore_index=True)
            combined.attrs["source_rows"] = tuple(
                np.concatenate([f.attrs.get("source_rows", np.arange(1, len(f) + 1)) for f in action_rows])
            )
            frames["corporate_actions"] = combined
            names["corporate_actions"] = (splits if splits is not None else actions).attrs["file"]  # type: ignore[union-attr]
        return SourceTables(frames, names)


@hookimpl
def indexsmith_register_market_sources(register: Register) -> None:
    register("panel", PanelSource)
