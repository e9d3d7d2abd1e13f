"""The ``local`` runner: a sweep's variants in this process, or in a pool of worker
processes with ``--workers N`` (each worker opens the memory-mapped market once)."""

from __future__ import annotations

from indexsmith import RegisterRunner, hookimpl
from indexsmith.runners import Local


@hookimpl
def indexsmith_register_runners(register: RegisterRunner) -> None:
    register("local", Local)
