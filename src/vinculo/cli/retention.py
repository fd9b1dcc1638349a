"""`vinculo retention ...`: own retention rules, their review list, approvals, and enforcement runs."""

from __future__ import annotations

from typing import Annotated

import typer

from vinculo.accounts.model import operator
from vinculo.cli.common import emit_json, errors, fail, node
from vinculo.retention import job, rules

app = typer.Typer(no_args_is_help=True, help="Retention: rules for our own records, their review, and enforcement.")
rules_app = typer.Typer(no_args_is_help=True, help="This node's retention rules, one per record type.")
app.add_typer(rules_app, name="rules")


@rules_app.command("set")
def set_rule(record_type: str = typer.Argument(..., metavar="TYPE"),
             years: int = typer.Option(..., "--years", help="Due for review this many years after it was created."),
             unless_linked: bool = typer.Option(False, "--unless-linked-to-case",
                                                help="Not due while a current case names it among its subjects.")
             ) -> None:
    """Set the rule for TYPE (replaces the one in force). Nothing is purged until a supervisor approves."""
    with errors():
        rule = rules.set_rule(node(), record_type, years, unless_linked, by="cli")
    typer.echo(f"retention rule set: {rule.describe()}")


@rules_app.command("remove")
def remove_rule(record_type: str = typer.Argument(..., metavar="TYPE")) -> None:
    with errors():
        rules.remove_rule(node(), record_type, by="cli")
    typer.echo(f"retention rule for {record_type} removed")


@rules_app.command("list")
def list_rules(as_json: bool = typer.Option(False, "--json")) -> None:
    found = rules.list_rules(node())
    if as_json:
        emit_json([r.__dict__ for r in found])
        return
    for r in found:
        typer.echo(r.describe())
    if not found:
        typer.echo("no retention rules: own records are kept")


@app.command("review")
def review(as_json: bool = typer.Option(False, "--json")) -> None:
    """List the own records the rules make due now (purges nothing); approve them with `approve ID...`."""
    n = node()
    with errors():
        pending = rules.refresh_review(n, by="cli")
    if as_json:
        emit_json([r.__dict__ | {"rule": r.rule.__dict__} for r in pending])
        return
    for r in pending:
        typer.echo(r.line())
    typer.echo(f"{len(pending):,} awaiting a supervisor's approval" if pending else "nothing is due for review")


@app.command("approve")
def approve(review_ids: Annotated[list[int], typer.Argument(metavar="ID...")]) -> None:
    """Approve review entries (supervisors): each still due is purged and withdrawn from every partner."""
    n = node()
    with errors():
        done = rules.approve(n, operator(n.id), review_ids)
    for rid, record_id, why in done.stale:
        typer.echo(f"  review {rid} ({record_id}) not purged: {why}")
    typer.echo(f"{len(done.purged):,} records purged; partners that hold them get a tombstone on their next sync")
    if done.stale and not done.purged:
        fail("nothing purged", 5)


@app.command("run")
def run(as_json: bool = typer.Option(False, "--json")) -> None:
    """Enforce retention once (as `vinculo serve` does every hour): withdraw from partners whose agreement
    ended, purge received records whose retention or agreement ended, send the `purged` receipts owed,
    refresh the review list."""
    with errors():
        report = job.run_once(node())
    if as_json:
        emit_json(report.as_json())
        return
    for line in report.lines():
        typer.echo(line)
