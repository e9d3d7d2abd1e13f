"""The build path, end to end, and the runners that carry many builds.

:func:`build` is the one way an index is built — by :func:`indexsmith.build`, by
``indexsmith build`` and by ``indexsmith demo`` alike:

1. **Load** the definition (a file, a preset id, a mapping or a definition object) and
   **resolve** every component in the plugins' registry (:mod:`indexsmith.definition`);
   every problem is reported at once, before any data is read.
2. **Open the market** (a :class:`~indexsmith.data.market.Market`, a directory in the
   documented format, or ``SOURCE:PATH`` read by a registered market source,
   :mod:`indexsmith.data.sources`), checked against the definition's vocabulary.
3. **Run the engine** (:func:`indexsmith.engine.run`): the schedule's reviews, each on a
   point-in-time view — screens, ranking, bucketing, weighting, capping, every output
   checked against its stage contract.
4. **Assemble** the result tables (:func:`indexsmith.results.assemble.assemble`):
   constituents with changes and reasons, deletions, exclusions, provenance.
5. **Calculate** each index (:func:`indexsmith.calculation.calculate`): the ledger of index
   shares and divisor through reviews and corporate actions, daily PR/TR/NTR levels,
   turnover, trades and costs.
6. **Results**: a :class:`~indexsmith.results.model.BuildResult`, written (when asked) by
   :mod:`indexsmith.results.store`.

:class:`BuildJob` is one build as plain data and :func:`run_job` runs it, so a runner
(:mod:`indexsmith.runners`: this process, worker processes, a cluster) needs only a ``map``.
"""

from __future__ import annotations

import datetime as dt
import re
import typing
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs

from indexsmith import engine
from indexsmith.calculation.levels import calculate as calculate_index
from indexsmith.data.market import Market
from indexsmith.data.sources import MarketSource, load_market
from indexsmith.definition.model import FamilyDefinition, IndexDefinition, Methodology
from indexsmith.definition.resolve import load as load_definition
from indexsmith.definition.resolve import relative_to, structure_params
from indexsmith.errors import DataError, Problem, UnknownComponent
from indexsmith.plugin.manager import Plugins
from indexsmith.results.assemble import assemble, attach
from indexsmith.results.model import BuildResult
from indexsmith.results.store import write_build

DefinitionLike = str | Path | Mapping[str, Any] | FamilyDefinition | IndexDefinition | Methodology


def resolve_definition(definition: DefinitionLike, plugins: Plugins | None = None) -> Methodology:
    """Step 1: a resolved :class:`Methodology` from any form of definition."""
    if isinstance(definition, Methodology):
        return definition
    return load_definition(definition, plugins)


_SOURCE_SPEC = re.compile(r"^(?P<name>[a-z][a-z0-9]*(?:-[a-z0-9]+)+|[a-z][a-z0-9]+):(?P<location>.*)$")


def split_source(spec: str | Path) -> tuple[str | None, str]:
    """``"crsp:~/wrds"`` -> ``("crsp", "~/wrds")``; a path (or a one-letter drive such as
    ``C:``) -> ``(None, path)``, the documented directory format."""
    match = _SOURCE_SPEC.match(spec) if isinstance(spec, str) else None
    if match is None:
        return None, str(spec)
    return match["name"], match["location"]


def market_source(
    spec: str | Path, *, plugins: Plugins | None = None, params: Mapping[str, Any] | None = None
) -> tuple[MarketSource, str, str]:
    """The market source ``spec`` names (``SOURCE:PATH``; a bare path is ``dir``) built
    with ``params``, its location, and the label results record (``crsp:~/wrds``)."""
    name, location = split_source(spec)
    plugins = plugins or Plugins()
    try:
        entry = plugins.source(name or "dir")
    except UnknownComponent as exc:
        raise DataError([Problem(exc.message, f"--data {spec}", exc.hint)]) from None
    source, problems = structure_params(entry.cls, dict(params or {}), f"market source '{entry.name}' params")
    if problems or source is None:
        raise DataError(problems, source=str(spec))
    return typing.cast(MarketSource, source), location, f"{entry.name}:{location}" if name else location


def open_market(
    market: Market | str | Path,
    calendar: str = "XNYS",
    *,
    plugins: Plugins | None = None,
    params: Mapping[str, Any] | None = None,
    vocabulary: Mapping[str, Any] | None = None,
) -> Market:
    """Step 2: a :class:`Market` from a market, a directory in the documented format, or
    ``SOURCE:PATH`` read by the market source registered as ``SOURCE`` with ``params``
    (its fields). ``vocabulary`` is the definition's own sector/exchange/type lists."""
    if isinstance(market, Market):
        return market
    name, location = split_source(market)
    if name is None and not params:
        return load_market(location, calendar=calendar, vocabulary=vocabulary)
    source, location, label = market_source(market, plugins=plugins, params=params)
    return source.open(location, calendar=calendar, label=label, vocabulary=vocabulary)


def build(
    definition: DefinitionLike,
    market: Market | str | Path,
    *,
    plugins: Plugins | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    progress: engine.Progress | None = None,
    calculate: bool = True,
    memo: engine.StageMemo | None = None,
) -> BuildResult:
    """Build every index of a definition on a market (steps 1-6 of this module).

    ``definition`` is a file path, a preset id, a mapping, a definition object or an
    already resolved :class:`Methodology`; ``market`` a :class:`Market`, a market-data
    directory or ``SOURCE:PATH`` (see :func:`open_market`). Returns a :class:`BuildResult`; nothing is written until you call
    ``result.write(out)``. With ``calculate`` (the default) every index also gets its
    daily levels, turnover and trades (:mod:`indexsmith.calculation`). Builds given one
    ``memo`` share their as-of views and the screens and ranking of their reviews
    (:class:`~indexsmith.engine.StageMemo`): a sweep's variants screen the market once.
    """
    methodology = resolve_definition(definition, plugins)
    market = open_market(
        market,
        methodology.definition.calendar,
        plugins=plugins,
        vocabulary=methodology.definition.vocabulary,
    )
    run = engine.run(methodology, market, start=start, end=end, progress=progress, memo=memo)
    result = assemble(methodology, market, run)
    if not calculate:
        return result
    indices = {}
    for index in methodology.indices:
        built = result[index.spec.id]
        calculation = calculate_index(
            built.constituents,
            market,
            index.calculation,
            between=built.between,
            spin_off_drops=run.spin_off_drops,
            index_id=index.spec.id,
        )
        indices[index.spec.id] = attach(built, calculation, market)
    return attrs.evolve(result, indices=indices)


# -- one build as plain data ---------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class BuildJob:
    """One build to run somewhere: a definition (as plain data or a file/preset id), the
    market to open there, and where to write the results.

    ``market`` is a zero-argument callable returning the :class:`Market` (it runs in the
    worker, so a worker opens its own copy, e.g. from a cache) or a directory path.
    ``keep`` lists the index ids to keep (None keeps every index).
    """

    name: str
    definition: str | Mapping[str, Any]
    market: Callable[[], Market] | str
    out: str
    start: dt.date | None = None
    end: dt.date | None = None
    keep: tuple[str, ...] | None = None
    nested: bool = True


def run_job(job: BuildJob) -> str:
    """Run one job in this process and write its results; returns the job's name."""
    from indexsmith.definition.presets import read_definition

    raw = dict(job.definition) if isinstance(job.definition, Mapping) else read_definition(job.definition)[0]
    if job.keep is not None:
        root = raw["family"]
        root["index"] = [i for i in root["index"] if i["id"] in job.keep]
    market = job.market() if callable(job.market) else job.market
    folder = (
        Path(job.definition).parent
        if isinstance(job.definition, str) and Path(job.definition).is_file()
        else None
    )
    with relative_to(folder):  # file params are relative to the definition's folder
        result = build(raw, market, start=job.start, end=job.end)
    write_build(result, Path(job.out), overwrite=True, nested=job.nested)
    return job.name
