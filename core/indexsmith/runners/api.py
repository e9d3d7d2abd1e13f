"""``indexsmith.sweep()``: a sweep file (or mapping) to its summary frame, on the market and
the runner named — what ``indexsmith sweep`` runs."""

from __future__ import annotations

import datetime as dt
import difflib
import re
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from indexsmith.analytics.statistics import CRISES, STATISTICS
from indexsmith.data.market import Market
from indexsmith.definition.resolve import load, relative_to
from indexsmith.definition.sweep import Sweep, load_sweep
from indexsmith.demo.cache import cache_dir, cache_name, demo_market
from indexsmith.demo.generator import DEFAULT_SEED
from indexsmith.errors import DefinitionError, Problem, UnknownComponent
from indexsmith.pipeline import open_market, split_source
from indexsmith.plugin.manager import Plugins
from indexsmith.runners.base import Runner
from indexsmith.runners.sweep import SweepMarket, SweepProgress, check_out, run_sweep, share_market


def sweep_market(
    data: Market | str | Path, sweep: Sweep, plugins: Plugins, params: Mapping[str, Any] | None = None
) -> SweepMarket:
    """The sweep's market, opened once here and compiled where workers open it: the demo
    market (``demo:small``) from its cache, any other data compiled into the cache."""
    if isinstance(data, str):
        name, location = split_source(data)
        if name == "demo" and not params:
            size = Path(location).name
            market = demo_market(size)
            return share_market(market, cache_dir() / cache_name(size, DEFAULT_SEED) / "compiled")
    first = sweep.variants[0]
    with relative_to(first.folder):
        definition = load(first.raw, plugins).definition
    market = open_market(
        data, definition.calendar, plugins=plugins, params=params, vocabulary=definition.vocabulary
    )
    return share_market(market)


def make_runner(executor: str, plugins: Plugins, *, workers: int | None, address: str | None) -> Runner:
    """The runner registered as ``executor``, started (a cluster runner connects here)."""
    try:
        entry = plugins.runner(executor)
    except UnknownComponent as exc:
        raise DefinitionError([Problem(exc.message, "--executor", exc.hint)]) from None
    cls = typing.cast(type[Runner], entry.cls)
    return cls(workers=workers, address=address)


def check_statistic(name: str) -> None:
    """Refuse a statistic no summary can have (``--sort``), with a did-you-mean."""
    known = sorted({s.name for s in STATISTICS} | {s.name for crisis in CRISES for s in crisis.statistics()})
    if name in known or re.fullmatch(r"return_\d{4}", name):
        return
    close = difflib.get_close_matches(name, known, n=1)
    raise DefinitionError(
        [
            Problem(
                f"no statistic named '{name}'",
                "--sort",
                (f"did you mean '{close[0]}'? " if close else "") + f"statistics: {', '.join(known)}",
            )
        ]
    )


def sweep(
    spec: str | Path | Mapping[str, Any],
    data: Market | str | Path,
    out: str | Path,
    *,
    workers: int | None = None,
    executor: str = "local",
    address: str | None = None,
    sort: str = "annualised_return",
    keep_results: bool = False,
    yes: bool = False,
    share: bool = True,
    start: dt.date | None = None,
    end: dt.date | None = None,
    plugins: Plugins | None = None,
    progress: SweepProgress | None = None,
) -> pd.DataFrame:
    """Build every variant of a sweep (a ``[sweep]`` file or mapping) on ``data`` (a market,
    a directory, ``SOURCE:PATH`` or ``demo:small``) with the runner ``executor``, write the
    summary, the factsheet and the records into ``out``, and return the summary: one row per
    variant and index, with its axis values, status, error and statistics.

    Rerunning into the same ``out`` builds only the variants not yet recorded there with the
    same definition hash on the same market and dates.
    """
    plugins = plugins if plugins is not None else Plugins()
    check_statistic(sort)
    check_out(Path(out))
    definition = load_sweep(spec, plugins, yes=yes)
    market = sweep_market(data, definition, plugins)
    with make_runner(executor, plugins, workers=workers, address=address) as runner:
        return run_sweep(
            definition,
            market,
            out,
            runner,
            start=start,
            end=end,
            keep_results=keep_results,
            share=share,
            statistic=sort,
            progress=progress,
            plugins=plugins,
        )
