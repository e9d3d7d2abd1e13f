"""The installed version of indexsmith, read once from the distribution's metadata.

Modules that need the version import it from here, never from the package root (which
would import the whole public API)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("indexsmith")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"
