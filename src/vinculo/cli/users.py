"""`vinculo user ...` and `vinculo token ...`."""

from __future__ import annotations

import sys

import typer

from vinculo.accounts import second_factor, settings
from vinculo.accounts import service as accounts
from vinculo.accounts import tokens as token_service
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
        typer.echo(f"{r['name']:<24} {r['role']:<11} {'disabled' if r['disabled'] else 'active':<9} "
                   f"2fa: {r['second_factor']}")


@user_app.command("unthrottle")
def unthrottle(name: str = typer.Argument(None, help="The user name whose failed logins to forget."),
               address: str = typer.Option(None, "--address", help="Also (or only) this client address.")) -> None:
    """Let a user (or an address) log in again at once after too many failed logins."""
    with errors():
        removed = accounts.clear_throttle(node(), name, address, by="cli")
    typer.echo(f"cleared {removed} failed-login counter(s)")


@user_app.command("totp-enroll")
def totp_enroll(name: str, replace: bool = typer.Option(False, "--replace",
                                                         help="Replace the user's current second factor.")) -> None:
    """Give a user a second factor (TOTP) at once: prints the otpauth:// URI for an authenticator app and
    10 single-use recovery codes. Both are shown once: hand them to the user over a safe channel."""
    with errors():
        uri, codes = second_factor.enrol(node(), name, by="cli", replace=replace)
    typer.echo(f"second factor of {name} in force; add it to an authenticator app (this URI holds the secret):")
    typer.echo(uri)
    typer.echo("recovery codes (each works once, instead of a code):")
    for code in codes:
        typer.echo(f"  {code}")


@user_app.command("totp-reset")
def totp_reset(name: str) -> None:
    """Remove a user's second factor and recovery codes (a lost device). A role that must use one is then
    sent to enrol again at its next login."""
    with errors():
        had = second_factor.reset(node(), name, by="cli")
    typer.echo(f"second factor of {name} removed" if had else f"{name} had no second factor")


@token_app.command("create")
def create(name: str, label: str = typer.Option("cli", "--label"),
           expires_in: str = typer.Option(None, "--expires-in",
                                          help="Lifetime: 90m, 12h, 30d (default: the node's token_days; "
                                               "never beyond its token_max_days).")) -> None:
    """Issue an API token for a user. It is shown once; only its hash is kept."""
    with errors():
        n = node()
        lifetime = settings.parse_duration(expires_in) if expires_in is not None else None
        issued = token_service.create(n, name, label, by="cli", expires_in=lifetime)
    typer.echo(issued.token)
    note = f" (capped at the node's maximum of {settings.token_max(n).days} days)" if issued.capped else ""
    typer.echo(f"token {issued.id} expires {issued.expires}{note}", err=True)


@token_app.command("list")
def list_tokens(user: str = typer.Option(None, "--user", help="Only this user's tokens (default: everyone's)."),
                revoked: bool = typer.Option(False, "--revoked", help="Also revoked tokens."),
                as_json: bool = typer.Option(False, "--json")) -> None:
    """API and session tokens: id, user, label, created, expires (never the token: only its hash is kept)."""
    with errors():
        rows = token_service.list_tokens(node(), None, user, include_revoked=revoked)
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        state = "revoked" if r["revoked"] else ("expired" if r["expired"] else "valid")
        typer.echo(f"{r['id']:>6}  {r['user']:<20} {state:<8} expires {r['expires'] or 'never':<27}  {r['label'] or ''}")


@token_app.command("revoke")
def revoke(token_id: int) -> None:
    """Revoke a token by its id (see `token list`): its next request is refused."""
    with errors():
        done = token_service.revoke(node(), token_id, None, by="cli")
    typer.echo(f"token {token_id} of {done['user']} revoked")
