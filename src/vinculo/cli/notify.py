"""`vinculo notify ...`: subscriptions, the notification centre, webhooks and one matching/delivery pass, for
a named user of this node (the operator at the console acts for them; the user's own role decides)."""

from __future__ import annotations

from typing import Annotated

import typer

from vinculo.accounts import service as accounts
from vinculo.accounts.model import Actor
from vinculo.cli.common import emit_json, errors, fail, node
from vinculo.node.context import Node
from vinculo.notify import delivery, engine, service

app = typer.Typer(no_args_is_help=True, help="Notifications: subscriptions, the centre, webhooks, delivery.")
webhook_app = typer.Typer(no_args_is_help=True, help="A user's webhooks (signed JSON POSTs).")
app.add_typer(webhook_app, name="webhook")


def _user(n: Node, name: str) -> Actor:
    for u in accounts.list_users(n):
        if u["name"] == name and not u["disabled"]:
            return Actor(name, u["role"], n.id, source="cli")
    fail(f"no active user {name!r} on this node (vinculo user add)", 2)
    raise AssertionError  # unreachable


def _quiet(value: str | None) -> tuple[int | None, int | None]:
    if value is None:
        return None, None
    start, sep, end = value.partition("-")
    if not sep or not start.isdigit() or not end.isdigit():
        fail(f"--quiet {value!r}: hours UTC as START-END, e.g. 22-6", 2)
    return int(start), int(end)


@app.command("subscribe")
def subscribe(user: str = typer.Option(..., "--user", help="Whose subscription."),
              kind: str = typer.Option("records", "--kind", help="records, alerts, notices or sync."),
              record_type: Annotated[list[str], typer.Option("--type", help="Record type (repeat).")] = [],  # noqa: B006
              origin: Annotated[list[str], typer.Option("--origin", help="'partner', 'own' or a node id (repeat).")] = [],  # noqa: B006
              substance: Annotated[list[str], typer.Option("--substance")] = [],  # noqa: B006
              country: Annotated[list[str], typer.Option("--country")] = [],  # noqa: B006
              selector_kind: Annotated[list[str], typer.Option("--selector-kind", help="e.g. phone, plate.")] = [],  # noqa: B006
              channel: Annotated[list[str], typer.Option("--channel", help="inapp, email, webhook.")] = ["inapp"],  # noqa: B006
              mode: str = typer.Option("immediate", "--mode", help="immediate, daily or weekly (a digest)."),
              quiet: str | None = typer.Option(None, "--quiet", help="Quiet hours UTC, START-END (e.g. 22-6)."),
              all_versions: bool = typer.Option(False, "--all-versions", help="Also new versions, not only new records."),
              email: str | None = typer.Option(None, "--email"),
              webhook: int | None = typer.Option(None, "--webhook", help="The id of one of the user's webhooks."),
              as_json: bool = typer.Option(False, "--json")) -> None:
    """Subscribe USER to new records (with filters), correlation alerts, PSI notices or sync problems."""
    n = node()
    qs, qe = _quiet(quiet)
    wanted = {"type": record_type, "origin": origin, "substance": substance, "country": country,
              "selector_kind": selector_kind}
    body = {"kind": kind, "filter": {k: v for k, v in wanted.items() if v}, "channels": channel, "mode": mode,
            "quiet_start": qs, "quiet_end": qe, "only_new": not all_versions, "email": email, "webhook_id": webhook}
    with errors():
        made = service.subscribe(n, _user(n, user), body)
    emit_json(made) if as_json else typer.echo(f"subscription {made['id']}: {kind} by {', '.join(made['channels'])}")


@app.command("list")
def list_subscriptions(user: str = typer.Option(..., "--user")) -> None:
    n = node()
    emit_json(service.list_subscriptions(n, _user(n, user)))


@app.command("unsubscribe")
def unsubscribe(sub_id: int = typer.Argument(..., metavar="ID"), user: str = typer.Option(..., "--user")) -> None:
    n = node()
    with errors():
        service.unsubscribe(n, _user(n, user), sub_id)
    typer.echo(f"subscription {sub_id} ended")


@app.command("inbox")
def inbox(user: str = typer.Option(..., "--user"), limit: int = typer.Option(50, "--limit"),
          unread: bool = typer.Option(False, "--unread")) -> None:
    """USER's notifications, newest first (what release() let them see)."""
    n = node()
    emit_json(service.list_items(n, _user(n, user), limit, None, unread))


@app.command("read")
def mark_read(user: str = typer.Option(..., "--user"),
              ids: Annotated[list[int] | None, typer.Argument(metavar="[ID]...")] = None) -> None:
    """Mark notifications read (all of USER's without ids)."""
    n = node()
    with errors():
        changed = service.mark_read(n, _user(n, user), ids or None)
    typer.echo(f"{changed} marked read")


@app.command("run")
def run() -> None:
    """One matching pass and one delivery pass now (`vinculo serve` runs them in the background)."""
    n = node()
    matched = engine.run(n)
    sent = delivery.deliver_due(n)
    typer.echo(f"{matched.versions} versions matched, {len(matched.items)} notifications made, {sent} sent")


@webhook_app.command("add")
def webhook_add(url: str = typer.Argument(...), user: str = typer.Option(..., "--user")) -> None:
    """Register URL for USER; prints the signing secret once."""
    n = node()
    with errors():
        made = service.add_webhook(n, _user(n, user), url)
    emit_json(made)


@webhook_app.command("list")
def webhook_list(user: str = typer.Option(..., "--user")) -> None:
    n = node()
    emit_json(service.list_webhooks(n, _user(n, user)))


@webhook_app.command("enable")
def webhook_enable(webhook_id: int = typer.Argument(..., metavar="ID"), user: str = typer.Option(..., "--user")) -> None:
    """Enable a webhook again after it was disabled for failures."""
    n = node()
    with errors():
        service.enable_webhook(n, _user(n, user), webhook_id)
    typer.echo(f"webhook {webhook_id} enabled")


@webhook_app.command("deliveries")
def webhook_deliveries(user: str = typer.Option(..., "--user"), limit: int = typer.Option(100, "--limit")) -> None:
    """The delivery log of USER's webhooks and e-mail."""
    n = node()
    emit_json(delivery.deliveries(n, user, limit))
