"""``indexsmith explain``."""

from __future__ import annotations

from typing import Any

import click

from indexsmith.cli.app import cli, open_market, plugins_manager


@cli.command()
@click.argument("definition")
@click.argument("security")
@click.option(
    "--date", "when", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Review in force on this date."
)
@click.option("--data", type=click.Path(file_okay=False), help="Market-data directory (docs/data.md).")
@click.option(
    "--demo", type=click.Choice(["small", "full"]), help="Use the embedded demo market instead of --data."
)
def explain(definition: str, security: str, when: Any, data: str | None, demo: str | None) -> None:
    """Why SECURITY (an id or a ticker) is in or out of DEFINITION's indices at the review in
    force on --date: the screen that excluded it, its rank and cumulative-cap position, its
    bucket and the band or buffer that kept it, and its weight."""
    from indexsmith.definition.resolve import load
    from indexsmith.reporting.explain import explain as explain_security

    methodology = load(definition, plugins_manager())
    market = open_market(data, demo, methodology.definition.calendar)
    for line in explain_security(methodology, market, security, when.date()):
        click.echo(line)
