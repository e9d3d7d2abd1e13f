"""The documented directory format (``dir``, what a bare ``--data DIR`` reads) and the demo
market (``demo``, ``--data demo:small``) as market sources like any other."""

from __future__ import annotations

from indexsmith import DemoSource, Register, hookimpl
from indexsmith.market import DirectorySource


@hookimpl
def indexsmith_register_market_sources(register: Register) -> None:
    register("dir", DirectorySource)
    register("demo", DemoSource)
