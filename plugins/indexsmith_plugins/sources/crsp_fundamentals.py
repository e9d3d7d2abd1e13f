"""Compustat-style quarterly fundamentals joined to CRSP securities through a CCM-style
link table, point in time (docs/sources/crsp.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from indexsmith.market import VendorFiles

LINK_TYPES = ("LC", "LU")
PRIMARY = ("P", "C")


def fundamentals(
    files: VendorFiles,
    fundq: pd.DataFrame,
    links: pd.DataFrame,
    company: pd.Series,
    units: float,
    rdq_fallback_days: int | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """One fundamentals row per quarter and share class of the linked company, and the
    notes on quarters without an RDQ.

    A quarter (GVKEY, DATADATE) is known from its RDQ; a quarter without RDQ has no
    known-on date: it is left out, or — with ``rdq_fallback_days`` — known that many
    calendar days after DATADATE (the note counts them either way). A quarter reported again (a restatement) is a second row
    with the same GVKEY and DATADATE and the RDQ of the restated figures: they replace the
    first from that date. The link must be LINKTYPE LC or LU, LINKPRIM P or C (P first)
    and hold on DATADATE (LINKENDDT ``E``: still in force); every share class of the
    linked PERMNO's company (PERMCO) gets the company's figures.
    """
    links = links.assign(
        GVKEY=links["GVKEY"].astype(str),
        LPERMNO=links["LPERMNO"].astype(str).str.split(".").str[0],
        LINKDT=files.dates(links, "LINKDT"),
        LINKENDDT=files.dates(
            links.assign(
                LINKENDDT=links["LINKENDDT"].where(links["LINKENDDT"].astype(str).str.upper() != "E")
            ),
            "LINKENDDT",
            required=False,
        ).fillna(pd.Timestamp.max),
    )
    links = links[links["LINKTYPE"].isin(LINK_TYPES) & links["LINKPRIM"].isin(PRIMARY)]
    quarters = pd.DataFrame(
        {
            "GVKEY": fundq["GVKEY"].astype(str),
            "period_end": files.dates(fundq, "DATADATE"),
            "available_date": files.dates(fundq, "RDQ", required=False),
            "net_income": files.numbers(fundq, "NIQ", required=False) * units,
            "book_equity": files.numbers(fundq, "CEQQ", required=False) * units,
            "sales": files.numbers(fundq, "SALEQ", required=False) * units,
            "row": np.arange(1, len(fundq) + 1),
        }
    )
    undated = quarters["available_date"].isna() & quarters["period_end"].notna()
    notes = []
    if undated.any():
        file = fundq.attrs.get("file", "fundq")
        if rdq_fallback_days is None:
            notes.append(
                f"{file}: {int(undated.sum())} of {len(quarters)} quarters have no RDQ and are left out "
                "(set the crsp source's rdq_fallback_days to date them DATADATE + that many days)"
            )
        else:
            quarters.loc[undated, "available_date"] = quarters.loc[undated, "period_end"] + pd.Timedelta(
                days=rdq_fallback_days
            )
            notes.append(
                f"{file}: {int(undated.sum())} of {len(quarters)} quarters have no RDQ and are dated "
                f"DATADATE + {rdq_fallback_days} days (rdq_fallback_days)"
            )
    quarters = quarters[quarters["available_date"].notna()]
    joined = quarters.merge(links, on="GVKEY", how="inner")
    joined = joined[
        (joined["LINKDT"] <= joined["period_end"]) & (joined["period_end"] <= joined["LINKENDDT"])
    ]
    joined = joined.sort_values(["row", "LINKPRIM"], kind="stable").drop_duplicates("row", keep="first")
    joined = joined[joined["LPERMNO"].isin(company.index)]
    joined["company_id"] = joined["LPERMNO"].map(company)
    classes = pd.DataFrame({"security_id": company.index.astype(str), "company_id": company.to_numpy()})
    out = joined.merge(classes, on="company_id", how="inner").sort_values(
        ["security_id", "available_date", "row"]
    )
    frame = out[["security_id", "period_end", "available_date", "net_income", "book_equity", "sales"]]
    frame = frame.reset_index(drop=True)
    frame.attrs["source_rows"] = tuple(out["row"].to_numpy())
    return frame, notes
