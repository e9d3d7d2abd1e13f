"""Hook specifications: the only way a plugin contributes to indexsmith.

Sections: **components** (one hook per pipeline stage), **definitions** (presets) and
**market data** (market sources). There is one hook per pipeline stage. Each hook receives a ``register`` callable and the
plugin calls it once per component it provides::

    @hookimpl
    def indexsmith_register_weightings(register):
        register("float-cap", FloatCapWeighting)

``register(name, component_class, *, aliases=())`` records the component under ``name``
(lower-case, words joined by ``-``) for that stage, together with the plugin that
registered it, so that errors and ``run.json`` can say which distribution and version
provided it. A name (or alias) registered twice for the same stage is an error at start-up
that names both providers; nothing is ever renamed or overridden silently.

These are registration hooks, not computation hooks: indexsmith calls each one once per
plugin when the plugin manager starts, with keyword arguments only. The components
themselves (frozen attrs classes whose fields are their parameters) do the computing; see
:mod:`indexsmith.components` for the contract of each stage.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import pluggy

if TYPE_CHECKING:
    from indexsmith.components import Component

hookspec = pluggy.HookspecMarker("indexsmith")


class Register(Protocol):
    """The ``register`` callable a component hook receives."""

    def __call__(self, name: str, cls: type[Component], *, aliases: Sequence[str] = ...) -> None: ...


class RegisterRunner(Protocol):
    """The ``register`` callable the runner hook receives (``cls``: a subclass of
    :class:`indexsmith.runners.Runner`)."""

    def __call__(self, name: str, cls: type, *, aliases: Sequence[str] = ...) -> None: ...


class RegisterPreset(Protocol):
    """The ``register`` callable the preset hook receives."""

    def __call__(self, name: str, source: Traversable | Path) -> None: ...


# == components ==========================================================================


# -- schedules ---------------------------------------------------------------------------


@hookspec
def indexsmith_register_schedules(register: Register) -> None:
    """Register review schedules.

    A schedule turns an index's date range and trading calendar into review dates, each
    with a rank date, an announcement date and an effective date (see
    :class:`indexsmith.components.Schedule`).

    :param register: call ``register(name, cls, aliases=())`` for each schedule class.

    .. versionadded:: 0.1
    """


# -- universe selection ------------------------------------------------------------------


@hookspec
def indexsmith_register_screens(register: Register) -> None:
    """Register universe screens (eligibility rules).

    The universe stage of a definition is a list of screens applied in order; each one
    removes securities and says why (see :class:`indexsmith.components.Screen`). A screen
    can be applied to all securities, to candidates for addition only, or to incumbents only
    (``applies_to`` in the definition), which is how addition and continued-membership
    criteria stay separate.

    :param register: call ``register(name, cls, aliases=())`` for each screen class.

    .. versionadded:: 0.1
    """


# -- ranking -----------------------------------------------------------------------------


@hookspec
def indexsmith_register_rankings(register: Register) -> None:
    """Register ranking measures.

    A ranking returns one number per eligible security (for example total company market
    cap); the engine ranks securities by it, largest first, breaking ties by the documented
    rule in :class:`indexsmith.components.Ranking`.

    :param register: call ``register(name, cls, aliases=())`` for each ranking class.

    .. versionadded:: 0.1
    """


# -- bucketing ---------------------------------------------------------------------------


@hookspec
def indexsmith_register_bucketings(register: Register) -> None:
    """Register bucketings (size tiers, bands, committee selections).

    A bucketing places ranked securities into named buckets, seeing the previous review's
    buckets so that it can apply bands and buffers (see
    :class:`indexsmith.components.Bucketing`). It declares the bucket names it can produce,
    so that a definition naming a bucket that cannot exist is refused at validation.

    :param register: call ``register(name, cls, aliases=())`` for each bucketing class.

    .. versionadded:: 0.1
    """


# -- weighting ---------------------------------------------------------------------------


@hookspec
def indexsmith_register_weightings(register: Register) -> None:
    """Register weighting schemes.

    A weighting turns an index's members into target weights that are finite,
    non-negative and sum to one (see :class:`indexsmith.components.Weighting`).

    :param register: call ``register(name, cls, aliases=())`` for each weighting class.

    .. versionadded:: 0.1
    """


# -- capping -----------------------------------------------------------------------------


@hookspec
def indexsmith_register_cappings(register: Register) -> None:
    """Register capping rules.

    A capping adjusts target weights (single-name caps, group caps, sector caps) and must
    return weights that still meet the weighting contract (see
    :class:`indexsmith.components.Capping`).

    :param register: call ``register(name, cls, aliases=())`` for each capping class.

    .. versionadded:: 0.1
    """


# -- replacement -------------------------------------------------------------------------


@hookspec
def indexsmith_register_replacements(register: Register) -> None:
    """Register replacement policies.

    A replacement fills the places members leave between reviews (see
    :class:`indexsmith.components.Replacement`); a family names one in its definition
    (``replacement = { use = "..." }``; ``none`` by default).

    :param register: call ``register(name, cls, aliases=())`` for each replacement class.

    .. versionadded:: 0.2
    """


# == definitions =========================================================================


@hookspec
def indexsmith_register_presets(register: RegisterPreset) -> None:
    """Register preset definitions: definition files users build by id.

    ``register(name, source)`` records the TOML or YAML file ``source`` (a path, or an
    ``importlib.resources`` file inside the plugin's package) under the preset id
    ``name``. A family file is a preset under its own id, and each index inside it under
    the index's id (that index alone). An id registered twice is an error at start-up
    naming both plugins.

    :param register: call ``register(name, source)`` for each definition file.

    .. versionadded:: 0.2
    """


# == market data =========================================================================


@hookspec
def indexsmith_register_market_sources(register: Register) -> None:
    """Register market sources: readers of a data vendor's files.

    A market source (a subclass of :class:`indexsmith.market.MarketSource`, a frozen
    attrs class whose fields are its parameters) turns a location plus its parameters into
    the documented tables (``docs/data.md``), with a point-in-time date on every reference
    and fundamental value; indexsmith validates them. ``--data NAME:PATH`` (and
    ``indexsmith.open_market("NAME:PATH")``) picks the source registered as ``NAME``; a
    bare folder is the documented format (the built-in source ``dir``). A name registered
    twice is an error at start-up naming both plugins.

    :param register: call ``register(name, cls, aliases=())`` for each source class.

    .. versionadded:: 0.3
    """


# == running many builds =================================================================


@hookspec
def indexsmith_register_runners(register: RegisterRunner) -> None:
    """Register runners: what runs the builds of a sweep (``indexsmith sweep --executor NAME``).

    A runner is a subclass of :class:`indexsmith.runners.Runner`, constructed with the
    keywords ``workers`` (an int or None) and ``address`` (a cluster's address or None);
    its ``map(function, tasks)`` calls the module-level ``function`` on each task (plain,
    picklable data) somewhere — in this process, in worker processes, on a cluster — and
    yields the results as they finish. It raises :class:`indexsmith.errors.RunnerError`
    (one line) when it cannot start, e.g. a cluster address that does not answer within
    its connection timeout. The built-ins are ``local`` (this process, or a process pool
    with ``--workers N``) and ``dask`` (``indexsmith[dask]``). A name registered twice is
    an error at start-up naming both plugins.

    :param register: call ``register(name, cls, aliases=())`` for each runner class.

    .. versionadded:: 0.4
    """
