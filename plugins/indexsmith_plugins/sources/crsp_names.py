"""The CRSP names history read point in time (docs/sources/crsp.md): the securities table
holds each PERMNO's names row in force at its first price, ticker-change actions and
``security_history`` rows the later rows (from their NAMEDT).

Every SHRCD, EXCHCD and SICCD of a PERMNO that is read is translated through the tables of
:mod:`indexsmith_plugins.sources.crsp_codes`; a code without a translation is reported with
its row, never guessed.
"""

from __future__ import annotations

import attrs
import numpy as np
import pandas as pd
from indexsmith import TradingCalendar
from indexsmith.market import VendorFiles, to_sessions

from indexsmith_plugins.sources.crsp_codes import EXCHANGES, OTHER_SHARE_CODES, SHARE_TYPES, sector_of_sic

#: The securities columns a names row gives, and the CRSP field each comes from.
FIELDS = {"name": "COMNAM", "sector": "SICCD", "exchange": "EXCHCD", "security_type": "SHRCD"}


@attrs.frozen
class Reference:
    """What the names history gives: one securities row per PERMNO (values at listing),
    the later changes as ticker-change actions and ``security_history`` rows."""

    securities: pd.DataFrame
    ticker_changes: pd.DataFrame
    history: pd.DataFrame


def read_names(files: VendorFiles, names: pd.DataFrame) -> pd.DataFrame:
    """The names rows with numeric codes, sorted by PERMNO and NAMEDT; an SHRCD CRSP does
    not use is reported with its row."""
    names = names.assign(
        NAMEDT=files.dates(names, "NAMEDT"),
        SHRCD=files.numbers(names, "SHRCD"),
        EXCHCD=files.numbers(names, "EXCHCD"),
        SICCD=files.numbers(names, "SICCD", required=False),
        row=np.arange(1, len(names) + 1),
    )
    names["PERMNO"] = names["PERMNO"].astype(str)
    if "COMNAM" not in names.columns:
        names["COMNAM"] = names["TICKER"]
    known = names["SHRCD"].isin([*SHARE_TYPES, *OTHER_SHARE_CODES]) | names["SHRCD"].isna()
    files.rows(
        names,
        ~known,
        lambda r: f"SHRCD {r['SHRCD']:.0f} of PERMNO {r['PERMNO']} is not a CRSP share code the source knows",
        f"the crsp source knows {', '.join(str(c) for c in sorted([*SHARE_TYPES, *OTHER_SHARE_CODES]))}",
    )
    return names.sort_values(["PERMNO", "NAMEDT"], kind="stable").reset_index(drop=True)


def chosen_permnos(names: pd.DataFrame, share_codes: tuple[int, ...]) -> set[str]:
    """The PERMNOs whose latest SHRCD is one of ``share_codes``."""
    latest = names.groupby("PERMNO").tail(1)
    return set(latest.loc[latest["SHRCD"].isin(share_codes), "PERMNO"])


def reference(
    files: VendorFiles,
    names: pd.DataFrame,
    permco: pd.Series,
    first: pd.Series,
    last: pd.Series,
    calendar: TradingCalendar,
) -> Reference:
    """Securities, ticker changes and history of the PERMNOs priced (``first`` and
    ``last``: their first and last sessions with a price; ``permco`` by PERMNO)."""
    rows = names[names["PERMNO"].isin(first.index)].copy()
    rows["date"] = to_sessions(rows["NAMEDT"], calendar)
    values = _translate(files, rows)
    # The row in force at the first price, or the first row when every row starts later.
    listed = rows["PERMNO"].map(first)
    at_listing = (rows["date"] <= listed) | (rows["PERMNO"] != rows["PERMNO"].shift())
    start = rows[at_listing].groupby("PERMNO").tail(1).index
    later = (rows["date"] > listed) & (rows["date"] <= rows["PERMNO"].map(last))
    keep = rows.index.isin(start) | later.to_numpy()
    rows, values = rows[keep], values[keep]
    same = rows["PERMNO"] == rows["PERMNO"].shift()
    head = rows[~same]
    ids = list(head["PERMNO"])
    securities = pd.DataFrame(
        {
            "security_id": ids,
            "company_id": [str(permco.get(p, p)) for p in ids],
            "ticker": head["TICKER"].to_numpy(),
            **{column: values.loc[head.index, column].to_numpy() for column in FIELDS},
            "country_of_incorporation": "US",
            "country_of_headquarters": "US",
            "listing_date": head["PERMNO"].map(first).to_numpy(),
        }
    )
    securities.attrs["source_rows"] = tuple(head["row"].to_numpy())
    renamed = rows[same & (rows["TICKER"] != rows["TICKER"].shift())]
    ticker_changes = pd.DataFrame(
        {
            "date": renamed["date"],
            "security_id": renamed["PERMNO"],
            "action": "ticker-change",
            "new_ticker": renamed["TICKER"],
        }
    ).reset_index(drop=True)
    ticker_changes.attrs["source_rows"] = tuple(renamed["row"].to_numpy())
    # A later row names only what it changes: an unchanged value is left empty.
    changed = values.where(values.ne(values.shift()).to_numpy() & same.to_numpy()[:, None])
    moved = same.to_numpy() & changed.notna().any(axis=1).to_numpy()
    history = pd.DataFrame(
        {
            "date": rows["date"][moved],
            "security_id": rows["PERMNO"][moved],
            "ticker": None,  # a new TICKER is a ticker-change action
            **{column: changed.loc[moved, column] for column in FIELDS},
            "industry": None,
        }
    )
    history["row"] = rows["row"][moved]
    history = history.sort_values(["date", "security_id"], kind="stable").reset_index(drop=True)
    history.attrs["source_rows"] = tuple(history.pop("row").to_numpy())
    return Reference(securities, ticker_changes, history)


def _translate(files: VendorFiles, rows: pd.DataFrame) -> pd.DataFrame:
    """Name, sector, exchange and security type of every names row; a code without a
    translation is reported with its row."""
    values = pd.DataFrame(
        {
            "name": rows["COMNAM"].astype(object),
            "sector": rows["SICCD"].map(sector_of_sic),
            "exchange": rows["EXCHCD"].map(EXCHANGES),
            "security_type": rows["SHRCD"].map(SHARE_TYPES),
        },
        index=rows.index,
    )
    files.rows(
        rows,
        values["exchange"].isna() & rows["EXCHCD"].notna(),
        lambda r: (
            f"EXCHCD {r['EXCHCD']:.0f} of PERMNO {r['PERMNO']} is not an exchange code the source knows"
        ),
        "the crsp source reads EXCHCD 1 (XNYS), 2 (XASE), 3 (XNAS), 4 (ARCX), 31-33 (when-issued), "
        "0, -1, -2 (off the exchanges: OTC)",
    )
    files.rows(
        rows,
        values["sector"].isna(),
        lambda r: f"SICCD {r['SICCD']} of PERMNO {r['PERMNO']} has no sector in the source's SIC table",
        "correct the SIC code (docs/sources/crsp.md lists the ranges), or leave the security out",
    )
    files.rows(
        rows,
        values["security_type"].isna() & rows["SHRCD"].isin(list(OTHER_SHARE_CODES)),
        lambda r: (
            f"SHRCD {r['SHRCD']:.0f} of PERMNO {r['PERMNO']} from {r['NAMEDT']:%Y-%m-%d} has no documented "
            "security type (the PERMNO is read for its latest SHRCD)"
        ),
        "correct the code, or leave the PERMNO out; docs/sources/crsp.md lists the SHRCD read as each type",
    )
    return values
