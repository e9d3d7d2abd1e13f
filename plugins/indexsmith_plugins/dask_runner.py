"""The ``dask`` runner: a sweep's tasks on a Dask distributed cluster — a ``LocalCluster``
of ``--workers`` processes started for the run, or the scheduler at ``--address``.

Dask is the primary cluster engine because it installs from PyPI as pure Python
(``indexsmith[dask]``), starts a real multi-process cluster in a test in seconds, and its
futures carry plain Python functions and data — what a sweep's tasks are. Workers open
the market from its compiled, memory-mapped folder by path (one load per worker, nothing
scattered per task); on a cluster of several machines that folder must be on a shared
file system. ``distributed`` is imported only when the runner is built.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from indexsmith import RegisterRunner, hookimpl
from indexsmith.errors import RunnerError
from indexsmith.runners import Runner

T = TypeVar("T")
R = TypeVar("R")

#: Seconds to wait for a scheduler at ``--address`` before giving up.
CONNECT_TIMEOUT = 5.0


class DaskRunner(Runner):
    """Tasks as Dask futures, yielded as they finish."""

    def __init__(
        self, *, workers: int | None = None, address: str | None = None, timeout: float = CONNECT_TIMEOUT
    ) -> None:
        super().__init__(workers=workers, address=address)
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise RunnerError(
                "the dask executor needs Dask distributed, which is not installed — "
                "pip install 'indexsmith[dask]'"
            ) from None
        self.cluster: Any = None
        if address:
            try:
                self.client = Client(address, timeout=timeout)
            except (OSError, TimeoutError, ValueError) as exc:
                reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
                raise RunnerError(
                    f"cannot reach a Dask scheduler at --address {address} within {timeout:g} s ({reason}) — "
                    "start one ('dask scheduler') or check the address, e.g. tcp://host:8786"
                ) from None
            return
        self.cluster = LocalCluster(
            n_workers=workers or os.cpu_count() or 1,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
        self.client = Client(self.cluster)

    def map(self, function: Callable[[T], R], tasks: Sequence[T]) -> Iterator[R]:
        from distributed import as_completed

        futures = self.client.map(function, list(tasks), pure=False)
        for future in as_completed(futures):
            yield future.result()

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


@hookimpl
def indexsmith_register_runners(register: RegisterRunner) -> None:
    register("dask", DaskRunner)
