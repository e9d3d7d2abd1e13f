"""Build results: the in-memory model, assembling it from the engine's reviews, and the
store that writes and reads result folders."""

from __future__ import annotations

from indexsmith.results.assemble import assemble
from indexsmith.results.model import BuildResult, IndexResult
from indexsmith.results.store import read_result, read_results, result_folders, write_build, write_index

__all__ = [
    "BuildResult",
    "IndexResult",
    "assemble",
    "read_result",
    "read_results",
    "result_folders",
    "write_build",
    "write_index",
]
