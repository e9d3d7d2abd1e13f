"""Compustat-style quarterly fundamentals joined to CRSP securities through a CCM-style
link table, point in time (docs/sources/crsp.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from indexsmith.market import VendorFiles

LINK_TYPES = ("LC", "LU")
PRIMARY = ("P", "C")


def fundamentals(
    files: VendorFiles, fundq: pd.DataFrame, links: pd.DataFrame, company: pd.Series, units: float
) -> pd.DataFrame:
    """One fundamentals row per quarter and share class of the linked company.

    A quarter (GVKEY, DATADATE) is known from its RDQ; a quarter without RDQ is left out
    (it has no known-on date). A quarter reported again (a restatement) is a second row
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
    return frame
