"""Runners on this machine: :class:`Sequential` (this process) and :class:`ProcessPool`
(worker processes), and :class:`Local`, the ``local`` executor, which is the first with one
worker and the second with more."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed

from indexsmith.runners.base import R, Runner, T


class Sequential(Runner):
    """Every task in this process, one after the other, in order."""

    remote = False

    def map(self, function: Callable[[T], R], tasks: Sequence[T]) -> Iterator[R]:
        for task in tasks:
            yield function(task)


class ProcessPool(Runner):
    """Tasks in worker processes (at most ``workers``, default: the CPU count), yielded in
    the order they finish."""

    def map(self, function: Callable[[T], R], tasks: Sequence[T]) -> Iterator[R]:
        tasks = list(tasks)
        if not tasks:
            return
        workers = min(self.workers or os.cpu_count() or 1, len(tasks))
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(function, task) for task in tasks]
            for future in as_completed(futures):
                yield future.result()


class Local(Runner):
    """The ``local`` executor: this process with one worker (the default), a process pool
    of ``workers`` processes otherwise."""

    def __init__(self, *, workers: int | None = None, address: str | None = None) -> None:
        super().__init__(workers=workers, address=address)
        self.runner: Runner = ProcessPool(workers=workers) if (workers or 1) > 1 else Sequential()
        self.remote = self.runner.remote

    def map(self, function: Callable[[T], R], tasks: Sequence[T]) -> Iterator[R]:
        return self.runner.map(function, tasks)
