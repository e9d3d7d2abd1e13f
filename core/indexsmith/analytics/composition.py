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
    """Aggregate valuation of one review's members, as index providers publish it.

    ``pe_harmonic`` is the weighted harmonic P/E of the members with positive trailing
    earnings, ``Σw / Σ w·E/P`` over them (for a cap-weighted index: their total cap over
    their total earnings), so loss-makers neither count nor push the ratio towards
    infinity; ``pe_with_losses`` is the same over every member with known earnings (the
    index's earnings yield inverted); ``pb_harmonic`` is ``Σw / Σ w·B/P`` over members
    with positive book equity. ``loss_making_count`` and ``loss_making_weight`` are the
    share of members with zero or negative earnings by count and by weight. Needs
    ``company_market_cap``, ``ttm_net_income`` and ``book_equity`` (written by builds
    since 0.1).
    """
    companies = members.groupby("company_id").agg(
        weight=("weight", "sum"),
        cap=("company_market_cap", "first"),
        earnings=("ttm_net_income", "first"),
        book=("book_equity", "first"),
    )
    known = companies.dropna(subset=["earnings", "cap"])
    losing = known["earnings"] <= 0

    def harmonic(frame: pd.DataFrame, field: str) -> float:
        weight = frame["weight"].sum()
        inverse = (frame["weight"] * frame[field] / frame["cap"]).sum() / weight if weight > 0 else 0.0
        return float(1.0 / inverse) if inverse > 0 else float("nan")

    with_book = companies.dropna(subset=["book", "cap"])
    return {
        "pe_harmonic": harmonic(known[~losing], "earnings"),
        "pe_with_losses": harmonic(known, "earnings"),
        "pb_harmonic": harmonic(with_book[with_book["book"] > 0], "book"),
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
