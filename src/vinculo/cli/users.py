"""`vinculo user ...` and `vinculo token ...`."""

from __future__ import annotations

import sys

import typer

from vinculo.accounts import service as accounts
from vinculo.cli.common import emit_json, errors, fail, node

user_app = typer.Typer(no_args_is_help=True, help="Users and roles.")
token_app = typer.Typer(no_args_is_help=True, help="API tokens.")


@user_app.command("add")
def add(name: str, role: str = typer.Option(..., "--role", help="analyst, supervisor, admin or auditor"),
        password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from stdin.")) -> None:
    """Add a user (password from a prompt or stdin; stored as an Argon2 hash)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    if not password:
        fail("password: empty", 2)
    with errors():
        accounts.add_user(node(), name, role, password, by="cli")
    typer.echo(f"user {name} added with role {role}")


@user_app.command("list")
def list_(as_json: bool = typer.Option(False, "--json")) -> None:
    rows = accounts.list_users(node())
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        typer.echo(f"{r['name']:<24} {r['role']:<11} {'disabled' if r['disabled'] else 'active'}")


@user_app.command("unthrottle")
def unthrottle(name: str = typer.Argument(None, help="The user name whose failed logins to forget."),
               address: str = typer.Option(None, "--address", help="Also (or only) this client address.")) -> None:
    """Let a user (or an address) log in again at once after too many failed logins."""
    with errors():
        removed = accounts.clear_throttle(node(), name, address, by="cli")
    typer.echo(f"cleared {removed} failed-login counter(s)")


@token_app.command("create")
def create(name: str, label: str = typer.Option("cli", "--label")) -> None:
    """Issue an API token for a user. It is shown once; only its hash is kept."""
    with errors():
        token = accounts.create_token(node(), name, label, by="cli")
    typer.echo(token)
