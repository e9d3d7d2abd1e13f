"""The ``indexsmith`` command group and what every command shares: one-line errors,
the progress bar, the consoles, and opening plugins and market data.

Errors caused by input print one line per problem on stderr and exit with status 1;
``--debug`` (or ``INDEXSMITH_DEBUG=1``) shows the traceback instead.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from indexsmith.errors import IndexsmithError
from indexsmith.version import __version__

stdout = Console(highlight=False)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)


class Main(click.Group):
    """Turns :class:`IndexsmithError` into one line per problem on stderr."""

    def invoke(self, ctx: click.Context) -> Any:
        previous = _on_sigterm()
        try:
            return super().invoke(ctx)
        except IndexsmithError as exc:
            if ctx.meta.get("debug") or os.environ.get("INDEXSMITH_DEBUG") == "1":
                raise
            for line in exc.lines():
                click.echo(f"error: {line}", err=True)
            ctx.exit(1)
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)


def _terminated(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _on_sigterm() -> Any:
    """Handle SIGTERM as SIGINT (temporary folders and locks are cleaned up on the way out);
    returns the previous handler, or None where signals cannot be set (not the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _terminated)


@click.group(cls=Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="indexsmith")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Define, build and analyse stock-market indices from pluggable methodology rules."""
    ctx.meta["debug"] = debug


def plain_row(*cells: object) -> list[str]:
    """Table cells as text, never console markup: names, ids and paths are the user's or a
    plugin's text, and ``x[/y]`` would otherwise crash the table or print wrong."""
    return [escape(str(cell)) for cell in cells]


def plugins_manager() -> Any:
    from indexsmith.plugin.manager import Plugins

    return Plugins()


@contextmanager
def progress_bar(description: str) -> Iterator[Any]:
    """A rich progress bar on stderr; yields a callback ``(done, total, label)``."""
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[label]}"),
        TimeElapsedColumn(),
    )
    with Progress(
        *columns,
        console=stderr,
        transient=False,
        disable=not stderr.is_terminal and os.environ.get("INDEXSMITH_PROGRESS") != "1",
    ) as progress:
        task = progress.add_task(description, total=None, label="")

        def update(done: int, total: int, label: str) -> None:
            progress.update(task, completed=done, total=total, label=label)

        yield update


def allow_path_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--allow-path``: a folder outside the definition's own whose files it may read."""
    return click.option(
        "--allow-path",
        "allow_path",
        multiple=True,
        type=click.Path(file_okay=False),
        help="A folder outside the definition's own that its file params may name (repeatable).",
    )(command)


def load_definition(definition: str, manager: Any, allow: Iterable[str] = ()) -> Any:
    """The resolved definition, its file params allowed below its folder and ``allow``."""
    from indexsmith.definition.resolve import allow_paths, load

    with allow_paths(allow):
        return load(definition, manager)


DATA_HELP = (
    "Market data: a directory in the documented format (docs/data.md), or SOURCE:PATH read by a "
    "market source (e.g. crsp:~/wrds-export; list them with 'indexsmith market sources')."
)


def data_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--data``, ``--param`` and ``--demo``, shared by every command that reads a market."""
    command = click.option(
        "--demo", type=click.Choice(["small", "full"]), help="Use the embedded demo market instead of --data."
    )(command)
    command = click.option(
        "--param",
        "data_params",
        multiple=True,
        metavar="KEY=VALUE",
        help="A parameter of the --data source (repeatable; VALUE is read as TOML, else as text).",
    )(command)
    return click.option("--data", help=DATA_HELP)(command)


def source_params(pairs: Iterable[str]) -> dict[str, Any]:
    """``["share_codes=[10, 11]", "float_factor=0.9"]`` -> ``{"share_codes": [10, 11], ...}``."""
    import tomllib

    from indexsmith.errors import DataError, Problem

    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise DataError(
                [Problem(f"--param {pair!r} is not KEY=VALUE", hint="write e.g. --param float_factor=0.9")]
            )
        try:
            params[key.strip()] = tomllib.loads(f"v = {value}")["v"]
        except tomllib.TOMLDecodeError:
            params[key.strip()] = value
    return params


def open_market(
    data: str | None,
    demo: str | None,
    definition: Any,
    params: Iterable[str] = (),
    plugins: Any = None,
) -> Any:
    """The market a command reads: ``--demo``, or ``--data`` (a directory or SOURCE:PATH)
    checked against ``definition``'s calendar and vocabulary."""
    from indexsmith.demo import demo_market
    from indexsmith.errors import DataError, Problem
    from indexsmith.pipeline import open_market as open_data

    if data and demo:
        raise DataError([Problem("--data and --demo are alternatives", hint="pass one of them")])
    if demo:
        return demo_market(demo, progress=lambda msg: stderr.print(f"[dim]{escape(msg)}[/dim]"))
    given = source_params(params)
    spec = getattr(definition, "data", None)
    if not data and spec is not None:  # the definition's [data] table; --param adds to its params
        data, given = f"{spec.source}:{spec.path}", {**spec.params, **given}
    if not data:
        raise DataError(
            [
                Problem(
                    "no market data given",
                    hint="pass --data DIR (see docs/data.md), --data SOURCE:PATH, or --demo small, "
                    "or name the data in the definition's [data] table",
                )
            ]
        )
    market = open_data(
        data,
        definition.calendar,
        plugins=plugins,
        params=given,
        vocabulary=definition.vocabulary,
    )
    print_notes(market.notes)
    return market


def print_notes(notes: Iterable[str]) -> None:
    """A source's notes on its conversion, one ``note:`` line each on stderr."""
    for note in notes:
        stderr.print(f"note: {note}", markup=False)


def print_comparison(table: Any, title: str) -> None:
    from indexsmith.reporting.compare import terminal_rows

    headers, rows = terminal_rows(table)
    base = f"; beta and TE (tracking error) to {table.benchmark}" if table.benchmark else ""
    out = Table(
        title=escape(title),
        caption=escape(
            "total returns; 5y/yr annualised; DD = drawdown; 2020 mo = months from the 2020 peak back "
            "to it; P/E of members with positive earnings; loss wt = weight of loss-makers; turnover one-way"
            f"{base}"
        ),
    )
    for i, header in enumerate(headers):
        out.add_column(escape(header), justify="left" if i == 0 else "right", no_wrap=True)
    for row in rows:
        out.add_row(*plain_row(*row))
    # Piped or logged output is not cut to 80 columns.
    (stdout if stdout.is_terminal else Console(highlight=False, width=160)).print(out)
