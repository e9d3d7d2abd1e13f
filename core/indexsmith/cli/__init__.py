"""The ``indexsmith`` command line: one module per command or group of commands, all on
the group defined in :mod:`indexsmith.cli.app`. A new command is a module here, imported
below."""

from __future__ import annotations

import signal
import sys

import click

from indexsmith.cli import build, compare, demo, explain, market, plugins, preview, reference, sweep
from indexsmith.cli.app import cli

__all__ = [
    "build",
    "cli",
    "compare",
    "demo",
    "explain",
    "main",
    "market",
    "plugins",
    "preview",
    "reference",
    "sweep",
]


#: What click raises for a group run without a command (it shows the help), where it has one.
_NO_ARGS: tuple[type[click.UsageError], ...] = tuple(
    e for e in [getattr(click.exceptions, "NoArgsIsHelpError", None)] if isinstance(e, type)
)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``indexsmith`` script (through :mod:`indexsmith_launcher`).

    An interrupt is one line and the shell's status for it: ``interrupted``, 130 for Ctrl-C
    (SIGINT), 143 for SIGTERM; temporary folders and locks are removed on the way out."""
    try:
        # Without standalone mode click returns the exit code of ctx.exit() instead of raising.
        status = cli.main(args=argv, prog_name="indexsmith", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except _NO_ARGS as exc:  # a bare command: its help, as click shows it
        exc.show()
        return exc.exit_code
    except click.UsageError as exc:  # one line, as every other refusal, not click's usage block
        where = exc.ctx.command_path if exc.ctx is not None else "indexsmith"
        click.echo(f"error: {exc.format_message().rstrip('.')} — see '{where} --help'", err=True)
        return exc.exit_code
    except click.ClickException as exc:
        click.echo(f"error: {exc.format_message()}", err=True)
        return exc.exit_code
    except click.exceptions.Abort as exc:
        if isinstance(exc.__cause__, KeyboardInterrupt):
            return _interrupted(exc.__cause__)
        click.echo("aborted", err=True)
        return 1
    except KeyboardInterrupt as exc:  # outside click's own catch
        return _interrupted(exc)
    return status if isinstance(status, int) else 0


def _interrupted(exc: KeyboardInterrupt) -> int:
    click.echo("interrupted", err=True)
    return 128 + (signal.SIGTERM if exc.args == (f"signal {int(signal.SIGTERM)}",) else signal.SIGINT)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
