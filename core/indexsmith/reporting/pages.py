"""One factsheet page per index, in the style of a provider's factsheet: a description
from the definition, key facts, trailing returns, risk, calendar returns, the top-10
holdings and the sector and size breakdowns (:func:`index_page`). Every number comes from
:mod:`indexsmith.analytics` and is formatted by its unit; the page's history is the
index's own, not the comparison's common dates."""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

from indexsmith import analytics
from indexsmith.analytics.facts import IndexFacts
from indexsmith.analytics.statistics import CRISES, TRAILING
from indexsmith.results.model import IndexResult
from indexsmith.units import display, money


def html_table(frame: pd.DataFrame, index_label: str = "", css: str = "") -> str:
    """A frame of display strings as an HTML table (first column: the index)."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in [index_label, *frame.columns])
    rows = "".join(
        "<tr>"
        + f"<td>{html.escape(str(i))}</td>"
        + "".join(f"<td>{html.escape(str(v))}</td>" for v in row)
        + "</tr>"
        for i, row in zip(frame.index, frame.to_numpy(), strict=True)
    )
    attributes = f' class="{css}"' if css else ""
    return f"<table{attributes}><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _use(stage: Any) -> str:
    """A component as ``name (param value, ...)``; a table parameter (a list of rows) as
    its row count, so a methodology fits on a line or two."""
    if not stage:
        return ""
    params = stage.get("params") or {}
    shown = ", ".join(
        f"{k} {len(v)} rows" if isinstance(v, list) and v and isinstance(v[0], dict) else f"{k} {v}"
        for k, v in params.items()
        if v not in (None, [], {})
    )
    return f"{stage['use']} ({shown})" if shown else str(stage["use"])


def description(result: IndexResult) -> tuple[str, list[tuple[str, str]]]:
    """A sentence about the index and its methodology rows, from the recorded definition."""
    info = result.run_info
    family = (info.get("definition") or {}).get("family") or {}
    index: dict[str, Any] = next((i for i in family.get("index") or [] if i.get("id") == result.index_id), {})
    name = info.get("index_name") or result.index_id
    text = f"{name} is an index of the {family.get('name', info.get('family_id', ''))} family."
    if family.get("description"):
        text += f" {family['description']}"
    rows = [
        ("schedule", _use(family.get("schedule"))),
        ("universe", "; ".join(_use(s) for s in family.get("universe") or [])),
        ("ranking", _use(family.get("ranking"))),
        ("bucketing", _use(family.get("bucketing"))),
        ("buckets", ", ".join(index.get("buckets") or [])),
        ("weighting", _use(index.get("weighting"))),
        ("capping", _use(index.get("capping")) or "none"),
    ]
    return text, [(k, v) for k, v in rows if v]


def _key_facts(f: IndexFacts) -> pd.DataFrame:
    members = f.latest
    caps = (
        members.groupby("company_id")["company_market_cap"].first()
        if "company_market_cap" in members
        else None
    )
    rows: list[tuple[str, str]] = [
        ("first level", f"{f.total_return.index[0]:%Y-%m-%d}"),
        ("last level", f"{f.total_return.index[-1]:%Y-%m-%d}"),
        ("last review", f"{members['effective_date'].max():%Y-%m-%d}"),
        ("constituents", display(f.composition["companies"], "count")),
    ]
    if caps is not None and caps.notna().any():
        rows += [
            ("total market cap", money(float(caps.sum()))),
            ("largest company", money(float(caps.max()))),
            ("median company", money(float(caps.median()))),
            ("smallest company", money(float(caps.min()))),
        ]
    rows += [
        ("top-10 weight", display(f.composition["top10_weight"], "percent")),
        ("effective names", display(f.composition["effective_names"], "number")),
    ]
    if f.valuation is not None:
        v = f.valuation
        rows += [
            ("P/E (positive earnings)", display(v["pe_harmonic"], "number")),
            ("P/E (with losses)", display(v["pe_with_losses"], "number")),
            ("P/B", display(v["pb_harmonic"], "number")),
            (
                "loss-making (count / weight)",
                f"{display(v['loss_making_count'], 'percent')} / {display(v['loss_making_weight'], 'percent')}",
            ),
        ]
    rows.append(("dividend yield (12 months)", display(f.dividend_yield, "percent")))
    if len(f.turnover):
        rows.append(
            ("one-way turnover / year", display(analytics.annualised_turnover(f.turnover), "percent"))
        )
    return pd.DataFrame({"": [v for _, v in rows]}, index=[k for k, _ in rows])


def _trailing(f: IndexFacts) -> pd.DataFrame:
    windows: list[tuple[str, int | None]] = [(f"{y}y" if y > 1 else "1y", y) for y in TRAILING]
    windows.append(("since inception", None))
    columns = {}
    for label, years in windows:
        t = f.trailing(years)
        columns[label] = (
            [display(t["annualised_return"], "percent"), display(t["annualised_volatility"], "percent")]
            if t is not None
            else ["—", "—"]
        )
    return pd.DataFrame(columns, index=["return (annualised)", "volatility"])


def _risk(f: IndexFacts, base: IndexFacts | None, base_name: str) -> pd.DataFrame:
    p = f.performance
    rows = [
        ("max drawdown", display(p["max_drawdown"], "percent")),
        ("worst drawdown peak / trough", f"{p['peak']:%Y-%m-%d} / {p['trough']:%Y-%m-%d}"),
        ("months to regain the peak", display(p["underwater_months"], "months")),
        ("Sharpe (rf 0)", display(p["sharpe"], "number")),
    ]
    for crisis in CRISES:
        episode = f.window(crisis.start, crisis.end)
        if episode is not None:
            rows.append(
                (
                    crisis.label,
                    f"{display(episode['max_drawdown'], 'percent')} ({episode['peak']:%Y-%m-%d} to "
                    f"{episode['trough']:%Y-%m-%d}; regained in {display(episode['underwater_months'], 'months')} months)",
                )
            )
    if base is not None:
        rel = f.against(base)
        cap = analytics.capture(f.total_return, base.total_return)
        rows += [
            (f"beta to {base_name}", display(rel["beta"], "number")),
            (f"tracking error to {base_name}", display(rel["tracking_error"], "percent")),
            (
                f"up / down capture vs {base_name}",
                f"{display(cap['up_capture'], 'percent')} / {display(cap['down_capture'], 'percent')}",
            ),
        ]
    return pd.DataFrame({"": [v for _, v in rows]}, index=[k for k, _ in rows])


def _bars(weights: pd.Series) -> str:
    """Weights as a table with inline bars (plain CSS, no script)."""
    rows = "".join(
        f'<tr><td>{html.escape(str(k))}</td><td>{w:.1%}</td><td class="bar"><span style="width:{w * 100:.1f}%"></span></td></tr>'
        for k, w in weights.items()
    )
    return f'<table class="bars"><tbody>{rows}</tbody></table>'


def index_page(name: str, result: IndexResult, base: tuple[str, IndexResult] | None) -> dict[str, Any]:
    """Everything the template shows on one index's page."""
    levels = result.levels["date"]
    f = IndexFacts(result, levels.min(), levels.max())
    against = None
    if base is not None and base[0] != name:
        b = base[1].levels["date"]
        against = IndexFacts(base[1], b.min(), b.max())
    text, methodology = description(result)
    members = f.latest
    top = members.groupby("company_id").agg(
        ticker=("ticker", "first"), sector=("sector", "first"), weight=("weight", "sum")
    )
    top = top.sort_values(["weight", "ticker"], ascending=[False, True]).head(10)
    top_table = pd.DataFrame(
        {"sector": top["sector"], "weight": top["weight"].map(lambda w: display(w, "percent"))}
    ).set_axis(top["ticker"].to_numpy())
    size = analytics.size_profile(members, bins=5)
    size_table = pd.DataFrame(
        {
            "largest": [money(float(v)) for v in size["largest"]],
            "smallest": [money(float(v)) for v in size["smallest"]],
            "companies": [display(v, "count") for v in size["companies"]],
            "weight": [display(v, "percent") for v in size["weight"]],
        },
        index=[f"quintile {i}" for i in range(1, len(size) + 1)],
    )
    years = analytics.calendar_year_returns(f.total_return, complete=True)
    calendar = pd.DataFrame(
        {"return": [display(v, "percent") for v in years]}, index=[str(y) for y in years.index]
    )
    return {
        "id": name,
        "name": result.run_info.get("index_name") or name,
        "description": text,
        "methodology": html_table(
            pd.DataFrame({"": [v for _, v in methodology]}, index=[k for k, _ in methodology])
        ),
        "key_facts": html_table(_key_facts(f), css="facts"),
        "trailing": html_table(_trailing(f), "total return"),
        "risk": html_table(_risk(f, against, base[0] if base else ""), css="facts"),
        "calendar": html_table(calendar, "year", css="calendar"),
        "top10": html_table(top_table, "ticker"),
        "sectors": _bars(analytics.sector_weights(members)),
        "size": html_table(size_table, "by company cap"),
    }
