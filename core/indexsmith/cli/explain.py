"""``indexsmith explain``."""

from __future__ import annotations

from typing import Any

import click

from indexsmith.cli.app import (
    allow_path_option,
    cli,
    data_options,
    load_definition,
    open_market,
    plugins_manager,
)


@cli.command()
@click.argument("definition")
@click.argument("security")
@click.option(
    "--date", "when", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Review in force on this date."
)
@data_options
@allow_path_option
def explain(
    definition: str,
    security: str,
    when: Any,
    data: str | None,
    data_params: tuple[str, ...],
    demo: str | None,
    allow_path: tuple[str, ...],
) -> None:
    """Why SECURITY (an id or a ticker) is in or out of DEFINITION's indices at the review in
    force on --date: the screen that excluded it, its rank and cumulative-cap position, its
    bucket and the band or buffer that kept it, and its weight."""
    from indexsmith.reporting.explain import explain as explain_security

    manager = plugins_manager()
    methodology = load_definition(definition, manager, allow_path)
    market = open_market(data, demo, methodology.definition, data_params, manager)
    for line in explain_security(methodology, market, security, when.date()):
        click.echo(line)
