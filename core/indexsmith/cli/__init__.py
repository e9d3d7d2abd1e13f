"""The ``indexsmith`` command line: one module per command or group of commands, all on
the group defined in :mod:`indexsmith.cli.app`. A new command is a module here, imported
below."""

from __future__ import annotations

import sys

import click

from indexsmith.cli import build, compare, demo, explain, market, plugins, reference, sweep
from indexsmith.cli.app import cli

__all__ = ["build", "cli", "compare", "demo", "explain", "main", "market", "plugins", "reference", "sweep"]


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``indexsmith`` script."""
    try:
        # Without standalone mode click returns the exit code of ctx.exit() instead of raising.
        status = cli.main(args=argv, prog_name="indexsmith", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 1
    return status if isinstance(status, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
