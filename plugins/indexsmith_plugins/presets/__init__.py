"""The shipped presets: definition files of the Russell-, CRSP-, S&P-, Nasdaq-100- and
Dow-style families (and the small demo's two-tier family), registered by file name.

A family file is a preset under its own id, and each index inside it under the index's id.
"""

from __future__ import annotations

import importlib.resources

from indexsmith import RegisterPreset, hookimpl


@hookimpl
def indexsmith_register_presets(register: RegisterPreset) -> None:
    root = importlib.resources.files(__name__)
    for path in sorted(root.iterdir(), key=lambda p: p.name):
        if path.name.endswith(".toml"):
            register(path.name.removesuffix(".toml"), path)
