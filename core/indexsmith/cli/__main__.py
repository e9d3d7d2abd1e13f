"""``python -m indexsmith.cli``: the same as the ``indexsmith`` command."""

from __future__ import annotations

import sys

from indexsmith.cli import main

sys.exit(main())
