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


def _terminated(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main() -> int:
    """Entry point of the ``indexsmith`` script: :func:`indexsmith.cli.main`, interrupts caught.
    SIGTERM is handled as SIGINT from the first moment (status 143). A signal that comes
    once the command has returned, while the interpreter shuts down, ends the process with
    the signal's own status; its outputs are complete by then (they are moved into place
    whole, :mod:`indexsmith.io`)."""
    signal.signal(signal.SIGTERM, _terminated)
    try:
        from indexsmith.cli import main as run

        return run()
    except KeyboardInterrupt as exc:
        sys.stderr.write("interrupted\n")
        return 128 + int(signal.SIGTERM if exc.args == (f"signal {int(signal.SIGTERM)}",) else signal.SIGINT)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
