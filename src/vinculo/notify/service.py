"""Subscriptions, webhooks and the notification centre of one user (one unit of work each, audited)."""

from __future__ import annotations

import ipaddress
import json
import secrets
import socket
from types import SimpleNamespace
from urllib.parse import urlsplit

from pydantic import ValidationError
from sqlalchemy import func, insert, select, update

from vinculo.accounts import secretbox
from vinculo.accounts.model import Actor
from vinculo.audit.events import AuditEvent
from vinculo.deconfliction import alerts
from vinculo.node.context import Node
from vinculo.notify import model
from vinculo.notify import settings as notify_settings
from vinculo.records.model import FieldError, RecordInvalid, format_ts, utcnow
from vinculo.records.service import Forbidden, NotFound
from vinculo.store.feed import last_seq
from vinculo.store.tables_notify import notify_items as ni
from vinculo.store.tables_notify import notify_subscriptions as ns
from vinculo.store.tables_notify import notify_webhooks as nw

MAX_WEBHOOKS = 10
MAX_PAGE = 200


def _invalid(exc: ValidationError) -> RecordInvalid:
    return RecordInvalid([FieldError(".".join(str(p) for p in e["loc"]) or "body", e["msg"]) for e in exc.errors()])


def row_subscription(r) -> model.Subscription:
    return model.Subscription(r.id, r.user, r.kind, json.loads(r.filter), tuple(json.loads(r.channels)), r.mode,
                              r.quiet_start, r.quiet_end, r.only_new, r.email, r.webhook_id, r.from_seq,
                              r.from_alert, r.last_digest, r.created, r.active)


def _public(sub: model.Subscription) -> dict:
    return {"id": sub.id, "kind": sub.kind, "filter": sub.filter, "channels": list(sub.channels), "mode": sub.mode,
            "quiet_start": sub.quiet_start, "quiet_end": sub.quiet_end, "only_new": sub.only_new,
            "email": sub.email, "webhook_id": sub.webhook_id, "created": sub.created}


def subscribe(node: Node, actor: Actor, body: dict) -> dict:
    """Add a subscription for `actor`; it matches only what is written after it (no backfill)."""
    try:
        asked = model.SubscriptionIn.model_validate(body)
    except ValidationError as exc:
        raise _invalid(exc) from None
    if problems := asked.problems():
        raise RecordInvalid([FieldError(f, why) for f, why in problems])
    if why := model.kind_allowed(asked.kind, actor.role, actor.may("records.read")):
        raise Forbidden(why, (why,))
    with node.uow() as uow:
        conn = uow.conn
        held = conn.execute(select(func.count()).select_from(ns)
                            .where(ns.c.user == actor.name, ns.c.active.is_(True))).scalar_one()
        if held >= model.MAX_SUBSCRIPTIONS:
            raise RecordInvalid([FieldError("kind", f"at most {model.MAX_SUBSCRIPTIONS} subscriptions a user")])
        if asked.webhook_id is not None:
            hook = conn.execute(select(nw).where(nw.c.id == asked.webhook_id, nw.c.user == actor.name)).first()
            if hook is None:
                raise RecordInvalid([FieldError("webhook_id", f"you have no webhook {asked.webhook_id}")])
        last_alert, _ = alerts.last_ids(conn)
        row = {"user": actor.name, "kind": asked.kind, "filter": json.dumps(asked.filter, sort_keys=True),
               "channels": json.dumps(asked.channels), "mode": asked.mode, "quiet_start": asked.quiet_start,
               "quiet_end": asked.quiet_end, "only_new": asked.only_new, "email": asked.email,
               "webhook_id": asked.webhook_id, "from_seq": last_seq(conn), "from_alert": last_alert,
               "last_digest": None, "created": format_ts(utcnow()), "active": True}
        sid = conn.execute(insert(ns).values(**row)).inserted_primary_key[0]
        uow.audit(AuditEvent(actor.label, "notify.subscribe", None, {"subscription": sid, "kind": asked.kind,
                                                                      "channels": asked.channels}))
        uow.commit()
    return _public(row_subscription(SimpleNamespace(**row, id=sid)))


def list_subscriptions(node: Node, actor: Actor) -> list[dict]:
    with node.engine.connect() as conn:
        rows = conn.execute(select(ns).where(ns.c.user == actor.name, ns.c.active.is_(True)).order_by(ns.c.id))
        return [_public(row_subscription(r)) for r in rows]


def unsubscribe(node: Node, actor: Actor, sub_id: int) -> None:
    with node.uow() as uow:
        done = uow.conn.execute(update(ns).where(ns.c.id == sub_id, ns.c.user == actor.name, ns.c.active.is_(True))
                                .values(active=False)).rowcount
        if not done:
            raise NotFound(f"you have no subscription {sub_id}")
        uow.audit(AuditEvent(actor.label, "notify.unsubscribe", None, {"subscription": sub_id}))
        uow.commit()


def check_url(url: str, allow_private: bool) -> str:
    """A webhook URL: http(s), a host, at most 2,000 characters; private and loopback addresses only when the
    operator allows them (`VINCULO_WEBHOOK_ALLOW_PRIVATE=1`)."""
    parts = urlsplit(url)
    if len(url) > 2000 or parts.scheme not in ("http", "https") or not parts.hostname:
        raise RecordInvalid([FieldError("url", "an http:// or https:// URL with a host, at most 2,000 characters")])
    if not allow_private:
        try:
            infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
        except OSError:
            raise RecordInvalid([FieldError("url", f"{parts.hostname} does not resolve")]) from None
        for info in infos:
            ip = ipaddress.ip_address(info[4][0])
            if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved:
                raise RecordInvalid([FieldError("url", f"{parts.hostname} is a private or loopback address "
                                                       "(the operator may allow them: VINCULO_WEBHOOK_ALLOW_PRIVATE=1)")])
    return url


def webhook_context(user: str) -> str:
    """What a webhook's sealed secret is bound to (accounts.secretbox): a row moved to another user won't open."""
    return f"notify.webhook:{user}"


def add_webhook(node: Node, actor: Actor, url: str) -> dict:
    """Register a webhook; returns its id and the secret that signs its deliveries (shown once)."""
    check_url(url, notify_settings.load(node.settings).webhook_private)
    secret = secrets.token_hex(32)
    with node.uow() as uow:
        held = uow.conn.execute(select(func.count()).select_from(nw).where(nw.c.user == actor.name)).scalar_one()
        if held >= MAX_WEBHOOKS:
            raise RecordInvalid([FieldError("url", f"at most {MAX_WEBHOOKS} webhooks a user")])
        sealed = secretbox.seal(node.home.path, secret, webhook_context(actor.name))  # never in the clear at rest
        wid = uow.conn.execute(insert(nw).values(user=actor.name, url=url, secret=sealed, failures=0, disabled=False,
                                                 created=format_ts(utcnow()))).inserted_primary_key[0]
        uow.audit(AuditEvent(actor.label, "notify.webhook.add", None, {"webhook": wid, "url": url}))
        uow.commit()
    return {"id": wid, "url": url, "secret": secret}


def list_webhooks(node: Node, actor: Actor) -> list[dict]:
    with node.engine.connect() as conn:
        return [{"id": r.id, "url": r.url, "failures": r.failures, "disabled": r.disabled, "created": r.created}
                for r in conn.execute(select(nw).where(nw.c.user == actor.name).order_by(nw.c.id))]


def enable_webhook(node: Node, actor: Actor, webhook_id: int) -> None:
    with node.uow() as uow:
        if not uow.conn.execute(update(nw).where(nw.c.id == webhook_id, nw.c.user == actor.name)
                                .values(disabled=False, failures=0)).rowcount:
            raise NotFound(f"you have no webhook {webhook_id}")
        uow.audit(AuditEvent(actor.label, "notify.webhook.enable", None, {"webhook": webhook_id}))
        uow.commit()


def item_json(r) -> dict:
    payload = json.loads(r.payload)
    return {"id": r.id, "created": r.created, "kind": r.kind, "tlp": r.tlp, "read": r.read,
            "subscription": r.subscription_id, "title": {"en": model.title(r.kind, payload, "en"),
                                                         "es": model.title(r.kind, payload, "es")},
            "payload": payload}


def unread(node: Node, actor: Actor) -> int:
    with node.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(ni)
                            .where(ni.c.user == actor.name, ni.c.read.is_(False))).scalar_one()


def list_items(node: Node, actor: Actor, limit: int = 50, before: int | None = None,
               unread_only: bool = False) -> list[dict]:
    """The actor's notifications, newest first (each holds only what release() let them see when made)."""
    limit = max(1, min(limit, MAX_PAGE))
    q = select(ni).where(ni.c.user == actor.name).order_by(ni.c.id.desc()).limit(limit)
    if before is not None:
        q = q.where(ni.c.id < before)
    if unread_only:
        q = q.where(ni.c.read.is_(False))
    with node.uow(read_only=True) as uow:
        out = [item_json(r) for r in uow.conn.execute(q)]
        uow.audit(AuditEvent(actor.label, "notify.list", None, {"items": [i["id"] for i in out]}))
        uow.commit()
    return out


def mark_read(node: Node, actor: Actor, ids: list[int] | None) -> int:
    """Mark the given notifications (or all, `None`) of the actor read; returns how many changed."""
    if ids is not None and len(ids) > 1000:
        raise RecordInvalid([FieldError("ids", "at most 1,000 ids at a time")])
    q = update(ni).where(ni.c.user == actor.name, ni.c.read.is_(False))
    if ids is not None:
        q = q.where(ni.c.id.in_(ids))
    with node.uow() as uow:
        n = uow.conn.execute(q.values(read=True)).rowcount
        uow.audit(AuditEvent(actor.label, "notify.read", None, {"items": ids if ids is not None else "all",
                                                                 "changed": n}))
        uow.commit()
    return n
