"""The runner seam: what runs many builds, and the one thing it must do (``map``).

A :class:`Runner` calls a module-level function on each of a list of tasks — plain,
picklable data — and yields the results as they finish. Where the calls run is the
runner's business: this process, worker processes, a cluster. Nothing here imports an
engine; cluster runners are plugins (``indexsmith_register_runners``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Runner:
    """Runs ``function(task)`` for every task, somewhere, yielding results as they finish.

    Constructed with keywords ``workers`` (at most that many calls at once; None: the
    runner's default) and ``address`` (a cluster's address, for runners that have one).
    Use it as a context manager: leaving it releases its workers.
    """

    #: Whether the tasks run in other processes (their results are then pickled back).
    remote: bool = True

    def __init__(self, *, workers: int | None = None, address: str | None = None) -> None:
        self.workers = workers
        self.address = address

    def map(self, function: Callable[[T], R], tasks: Sequence[T]) -> Iterator[R]:
        raise NotImplementedError

    def close(self) -> None:
        """Release the workers (nothing to do for runners without any)."""

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
