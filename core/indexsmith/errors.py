"""Errors a user can act on.

Every error raised for bad input is an :class:`IndexsmithError` whose ``str()`` is one
sentence naming the file, field, row or date and the fix. The CLI prints that line (one
line per problem for errors that carry several) and exits non-zero; ``--debug`` adds the
traceback. Internal bugs are not wrapped: they surface as ordinary exceptions.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs


def _clip(text: str, limit: int) -> str:
    """At most ``limit`` characters: a message quotes a short prefix of a value, never all
    of it (a YAML alias can make a value megabytes long)."""
    text = " ".join(str(text).split()) if "\n" in str(text) else str(text)  # one line, always
    return text if len(text) <= limit else text[: limit - 3] + "..."


@attrs.frozen
class Problem:
    """One thing wrong, where it is, and how to fix it.

    Rendered as ``<message> at <where> in <source> — <hint>``, for example
    ``no weighting named 'flaot-cap' at $.index.weighting.use in small.toml — did you mean
    'float-cap'? ...``.
    """

    message: str = attrs.field(converter=lambda text: _clip(text, 600))
    where: str = attrs.field(default="", converter=lambda text: _clip(text, 200))
    hint: str = attrs.field(default="", converter=lambda text: _clip(text, 800))

    def render(self, source: str | None = None) -> str:
        text = self.message
        if self.where:
            text += f" at {self.where}"
        if source:
            text += f" in {source}"
        if self.hint:
            text += f" — {self.hint}"
        return text


class IndexsmithError(Exception):
    """Base class of every error caused by input the user can fix."""

    def lines(self) -> list[str]:
        """The message as the lines the CLI prints (one per problem)."""
        return [str(self)]


class ProblemsError(IndexsmithError):
    """Several independent problems found in one pass, each with its location."""

    summary = "problems found"

    def __init__(
        self, problems: Iterable[Problem | str], source: str | None = None, *, summary: str | None = None
    ) -> None:
        self.problems = [p if isinstance(p, Problem) else Problem(p) for p in problems]
        self.source = source
        if summary is not None:
            self.summary = summary
        super().__init__(self._text())

    def _text(self) -> str:
        lines = self.lines()
        if len(lines) == 1:
            return lines[0]
        return f"{len(lines)} {self.summary}: " + "; ".join(lines)

    def lines(self) -> list[str]:
        return [problem.render(self.source) for problem in self.problems]


class DefinitionError(ProblemsError):
    """An index definition (file or Python object) that cannot be used as written."""

    summary = "problems in the index definition"


class DataError(ProblemsError):
    """Market data that fails validation on load."""

    summary = "problems in the market data"


class PluginError(IndexsmithError):
    """A plugin that cannot be loaded or registered (import failure, duplicate name...)."""


class ComponentError(IndexsmithError):
    """A component that raised, or broke its stage contract, while building an index.

    The message names everything; the fields carry the same facts for code that handles
    the error: ``component`` (``"weighting 'equal'"``), ``plugin`` (the plugin's label with
    its distribution and version) and ``review_date`` (the rank date of the review, when
    the failure happened at one).
    """

    def __init__(
        self,
        message: str,
        *,
        component: str | None = None,
        plugin: str | None = None,
        review_date: str | None = None,
    ) -> None:
        super().__init__(message)
        self.component = component
        self.plugin = plugin
        self.review_date = review_date


class PointInTimeError(ComponentError):
    """A component asked for data dated after the as-of date it was given."""


class OutputError(IndexsmithError):
    """An output location that cannot be written as asked."""


class RunnerError(IndexsmithError):
    """A runner that cannot start or reach its workers (a cluster address that does not
    answer, an executor whose extra is not installed)."""


class UnknownComponent(LookupError):
    """No component of a stage has the name asked for: ``message`` says what is missing,
    ``hint`` the did-you-mean and the names available. Raised by the registry's lookup and
    turned into a :class:`DefinitionError` problem with its path by the definition layer."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(f"{message} — {hint}")
        self.message = message
        self.hint = hint
