"""`vinculo`: the command line face of a node."""

from __future__ import annotations

from pathlib import Path

import typer

from vinculo.cli import audit as audit_cli
from vinculo.cli import backup as backup_cli
from vinculo.cli import cases as cases_cli
from vinculo.cli import precursors as precursors_cli
from vinculo.cli import db as db_cli
from vinculo.cli import graph as graph_cli
from vinculo.cli import scorecard as scorecard_cli
from vinculo.cli import stats as stats_cli
from vinculo.cli import demo as demo_cli
from vinculo.cli import deconfliction as deconfliction_cli
from vinculo.cli import exhibits as exhibits_cli
from vinculo.cli import imports as imports_cli
from vinculo.cli import jobs as jobs_cli
from vinculo.cli import node as node_cli
from vinculo.cli import notify as notify_cli
from vinculo.cli import partners as partners_cli
from vinculo.cli import records as records_cli
from vinculo.cli import retention as retention_cli
from vinculo.cli import users as users_cli
from vinculo.cli.common import state

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="Vinculo: a sovereign node for cross-border counternarcotics cooperation.")


@app.callback()
def _global(
    home: Path = typer.Option(None, "--home", envvar="VINCULO_HOME",
                              help="Node folder (default: VINCULO_HOME, else the per-user data folder)."),
    db: str = typer.Option(None, "--db", envvar="VINCULO_DATABASE_URL",
                           help="Database URL (default: VINCULO_DATABASE_URL, else SQLite in the home)."),
) -> None:
    state["home"], state["db"] = home, db


node_cli.register(app)
demo_cli.register(app)
backup_cli.register(app)
app.add_typer(users_cli.user_app, name="user")
app.add_typer(users_cli.token_app, name="token")
app.add_typer(imports_cli.app, name="import")
app.add_typer(records_cli.app, name="records")
app.add_typer(audit_cli.app, name="audit")
app.add_typer(partners_cli.partner_app, name="partner")
app.add_typer(partners_cli.agreement_app, name="agreement")
app.add_typer(partners_cli.sync_app, name="sync")
app.add_typer(cases_cli.app, name="case")
app.add_typer(precursors_cli.app, name="precursors")
app.add_typer(stats_cli.app, name="stats")
app.add_typer(graph_cli.app, name="graph")
app.add_typer(deconfliction_cli.alerts_app, name="alerts")
app.add_typer(deconfliction_cli.psi_app, name="psi")
app.add_typer(deconfliction_cli.selectors_app, name="selectors")
app.command("scorecard")(scorecard_cli.scorecard)
app.add_typer(retention_cli.app, name="retention")
jobs_cli.register(app)  # `vinculo worker`, `vinculo jobs list`
app.add_typer(db_cli.db_app, name="db")  # `vinculo db migrate-to URL`
app.add_typer(notify_cli.app, name="notify")
app.add_typer(exhibits_cli.app, name="exhibits")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
