"""Composition of one review's members: concentration, sectors, size profile (cap versus
count), aggregate valuation and overlap between indices."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def composition(members: pd.DataFrame, top: tuple[int, ...] = (5, 10)) -> dict[str, Any]:
    """Concentration of one review's members (a constituents slice with ``weight``):
    count of securities and companies, top-N company weight, Herfindahl index of company
    weights and the effective number of names (1 / HHI)."""
    by_company = members.groupby("company_id")["weight"].sum().sort_values(ascending=False)
    hhi = float((by_company**2).sum())
    out: dict[str, Any] = {
        "securities": int(members["security_id"].nunique()),
        "companies": len(by_company),
        "herfindahl": hhi,
        "effective_names": 1.0 / hhi if hhi > 0 else float("nan"),
    }
    for n in top:
        out[f"top{n}_weight"] = float(by_company.iloc[:n].sum())
    return out


def sector_weights(members: pd.DataFrame) -> pd.Series:
    return members.groupby("sector")["weight"].sum().sort_values(ascending=False)


def size_profile(members: pd.DataFrame, bins: int = 10) -> pd.DataFrame:
    """Cap versus count: members sorted by company market cap and cut into ``bins``
    groups of equal count; each group's cap range, and its share of count and weight."""
    companies = (
        members.groupby("company_id")
        .agg(cap=("company_market_cap", "first"), weight=("weight", "sum"))
        .sort_values("cap", ascending=False)
    )
    group = np.minimum((np.arange(len(companies)) * bins) // max(len(companies), 1), bins - 1)
    table = companies.groupby(group).agg(
        largest=("cap", "max"), smallest=("cap", "min"), companies=("cap", "size"), weight=("weight", "sum")
    )
    table.index = [f"{i + 1}/{bins}" for i in table.index]
    table["share_of_count"] = table["companies"] / len(companies)
    return table


def valuation(members: pd.DataFrame) -> dict[str, float]:
    """Aggregate valuation: weighted harmonic P/E and P/B (``Σw / Σ w·E/P``: the index's
    earnings yield inverted, so losses count and no single name dominates) and the share of
    loss-making companies by count and by weight. Needs ``company_market_cap``,
    ``ttm_net_income`` and ``book_equity`` (written by builds since 0.1)."""
    companies = members.groupby("company_id").agg(
        weight=("weight", "sum"),
        cap=("company_market_cap", "first"),
        earnings=("ttm_net_income", "first"),
        book=("book_equity", "first"),
    )
    known = companies.dropna(subset=["earnings"])
    ey = (known["weight"] * known["earnings"] / known["cap"]).sum() / known["weight"].sum()
    with_book = companies.dropna(subset=["book"])
    by = (with_book["weight"] * with_book["book"] / with_book["cap"]).sum() / with_book["weight"].sum()
    losing = known["earnings"] <= 0
    return {
        "pe_harmonic": float(1.0 / ey) if ey > 0 else float("nan"),
        "pb_harmonic": float(1.0 / by) if by > 0 else float("nan"),
        "loss_making_count": float(losing.mean()) if len(known) else float("nan"),
        "loss_making_weight": float(known.loc[losing, "weight"].sum() / known["weight"].sum())
        if len(known)
        else float("nan"),
    }


def overlap(a: pd.DataFrame, b: pd.DataFrame) -> dict[str, float]:
    """Overlap of two reviews' members by company: count in both, that count as a share of
    each, and the weight overlap ``Σ min(w_a, w_b)`` (1 = identical portfolios)."""
    wa = a.groupby("company_id")["weight"].sum()
    wb = b.groupby("company_id")["weight"].sum()
    both = wa.index.intersection(wb.index)
    return {
        "common_companies": len(both),
        "share_of_first": len(both) / len(wa) if len(wa) else float("nan"),
        "share_of_second": len(both) / len(wb) if len(wb) else float("nan"),
        "weight_overlap": float(np.minimum(wa.reindex(both), wb.reindex(both)).sum()),
    }
