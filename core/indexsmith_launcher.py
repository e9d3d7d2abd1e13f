"""The ``indexsmith`` script. Ctrl-C gives one line (``interrupted``) and exit status 130
however early it comes.

This module lies outside the :mod:`indexsmith` package on purpose: importing the package
takes most of a second (pandas, pyarrow, click, rich), and a Ctrl-C in that time raised
``KeyboardInterrupt`` from an import, before any indexsmith code could catch it, and
printed a traceback. Here nothing but the built-in ``signal`` is imported before the ``try``.
"""

from __future__ import annotations

import signal  # built into the interpreter: no start-up cost
import sys


def main() -> int:
    """Entry point of the ``indexsmith`` script: :func:`indexsmith.cli.main`, interrupts caught."""
    try:
        from indexsmith.cli import main as run

        status = run()
        # The command has finished and its outputs are in place: a signal while the
        # interpreter shuts down must not turn its status into "killed by SIGTERM".
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, signal.SIG_IGN)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
