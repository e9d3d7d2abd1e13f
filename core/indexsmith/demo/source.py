"""The demo market as a market source (``--data demo:small``): the same tables as
``--demo small``, read from the demo cache (generated on first use)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import ClassVar

import attrs

from indexsmith.data.calendars import TradingCalendar
from indexsmith.data.market import Market
from indexsmith.data.sources import MarketSource, SourceTables, read_directory
from indexsmith.demo.cache import cache_dir, cache_name, demo_market
from indexsmith.demo.generator import DEFAULT_SEED


@attrs.frozen(kw_only=True)
class DemoSource(MarketSource):
    """The synthetic demo market; the location is its size (``small`` or ``full``)."""

    files: ClassVar[tuple[str, ...]] = ()
    seed: int = attrs.field(default=DEFAULT_SEED, metadata={"help": "random seed of the generator"})

    def read(self, location: Path, calendar: TradingCalendar) -> SourceTables:
        size = location.name
        demo_market(size, self.seed)  # generate into the cache on first use
        return read_directory(cache_dir() / cache_name(size, self.seed))

    def open(
        self,
        location: str | Path,
        *,
        calendar: str = "XNYS",
        label: str | None = None,
        vocabulary: Mapping[str, Sequence[str]] | None = None,
    ) -> Market:
        return demo_market(Path(location).name, self.seed)
