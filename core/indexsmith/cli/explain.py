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
@click.option(
    "--pro-forma",
    "pro_forma",
    is_flag=True,
    help="Explain the next review as of --date instead (its pro-forma, or its prediction: see 'indexsmith preview').",
)
@data_options
@allow_path_option
def explain(
    definition: str,
    security: str,
    when: Any,
    pro_forma: bool,
    data: str | None,
    data_params: tuple[str, ...],
    demo: str | None,
    allow_path: tuple[str, ...],
) -> None:
    """Why SECURITY (an id or a ticker) is in or out of DEFINITION's indices at the review in
    force on --date: the screen that excluded it, its rank and cumulative-cap position, its
    bucket and the band or buffer that kept it, its weight, and when and why it left the
    market. With --pro-forma: the same for the next review as of --date."""
    from indexsmith.reporting.explain import explain as explain_security
    from indexsmith.reporting.explain import explain_decision, find_security

    manager = plugins_manager()
    methodology = load_definition(definition, manager, allow_path)
    market = open_market(data, demo, methodology.definition, data_params, manager)
    if pro_forma:
        from indexsmith.prediction.forecast import next_review

        sid = find_security(market, security)
        output, previous, basis = next_review(methodology, market, when.date())
        lines = explain_decision(methodology, market, sid, output, previous, label=f"pro-forma ({basis})")
    else:
        lines = explain_security(methodology, market, security, when.date())
    for line in lines:
        click.echo(line)
