"""The external channels' outbox: notifications whose time has come (quiet hours over, digest due) go out by
e-mail and webhook, then the delivery log, the webhooks' failure counts and the audit are written in one
transaction (the network is never used inside a transaction).

Content above the operator's cap (`VINCULO_NOTIFY_MAX_TLP`, default GREEN) never leaves by these channels:
the message then says only that a notification at that TLP waits, "open Vinculo to read it".
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import insert, select, update

from vinculo.audit.events import AuditEvent
from vinculo.node.context import Node
from vinculo.notify import model
from vinculo.notify import settings as notify_settings
from vinculo.notify.channels import email, webhook
from vinculo.accounts import secretbox
from vinculo.notify.service import row_subscription, webhook_context
from vinculo.records.model import format_ts, utcnow
from vinculo.store.tables_notify import notify_deliveries as nd
from vinculo.store.tables_notify import notify_items as ni
from vinculo.store.tables_notify import notify_subscriptions as ns
from vinculo.store.tables_notify import notify_webhooks as nw

MAX_ITEMS = 500  # a pass
MAX_DIGEST = 100  # notifications in one message


@dataclass
class Outcome:
    log: list[dict]
    sent_items: list[int]
    hooks: dict[int, tuple[int, bool]]  # webhook id -> (failures, disabled)
    digests: list[int]
    audit: list[AuditEvent]
    http: object = None  # the pass's webhook client


def render(node_id: str, items: list, s: notify_settings.NotifySettings) -> tuple[str, list[str], list[dict]]:
    """Subject, text lines and webhook entries for a group of notification rows, within the TLP cap."""
    lines: list[str] = []
    entries: list[dict] = []
    for r in items:
        payload = json.loads(r.payload)
        carry = model.may_carry(r.tlp, s.max_tlp)
        lines += model.text_lines(r.kind, payload) if carry else [model.WITHHELD["en"].format(tlp=r.tlp.upper())]
        lines.append("")
        entries.append({"id": r.id, "created": r.created, "kind": r.kind, "tlp": r.tlp,
                        **({"title": model.title(r.kind, payload), "payload": payload} if carry
                           else {"note": "open Vinculo to read"})})
    if len(items) == 1:
        subject = (model.title(items[0].kind, json.loads(items[0].payload)) if model.may_carry(items[0].tlp, s.max_tlp)
                   else f"Vinculo notification (TLP:{items[0].tlp.upper()})")
    else:
        subject = f"Vinculo: {len(items)} notifications"
    return f"[{node_id}] {subject}", lines, entries


def _groups(rows: list, subs: dict[int, model.Subscription]) -> list[tuple[model.Subscription, list]]:
    digests: dict[int, list] = defaultdict(list)
    out = []
    for r in rows:
        sub = subs.get(r.subscription_id)
        if sub is None:
            continue
        if sub.mode in model.PERIODS:
            digests[sub.id].append(r)
        else:
            out.append((sub, [r]))
    for sid, items in digests.items():
        for k in range(0, len(items), MAX_DIGEST):
            out.append((subs[sid], items[k : k + MAX_DIGEST]))
    return out


def _send(node: Node, s, sub: model.Subscription, items: list, hooks: dict, out: Outcome, now: str) -> None:
    subject, lines, entries = render(node.id, items, s)
    ids = [r.id for r in items]
    records = sorted({x for r in items for x in json.loads(r.record_ids)})
    for channel in sub.external:
        if channel == "email" and sub.email:
            target, attempt, status, detail = sub.email, 1, "sent", "accepted"
            try:
                email.send(s, email.message(s, sub.email, subject, lines))
            except email.EmailError as exc:
                status, detail = "failed", str(exc)
            out.log.append({"at": now, "channel": "email", "target": target, "items": json.dumps(ids),
                            "attempt": attempt, "status": status, "detail": detail})
        elif channel == "webhook" and sub.webhook_id in hooks:
            hook = hooks[sub.webhook_id]
            failures, disabled = out.hooks.get(hook.id, (hook.failures, hook.disabled))
            target = hook.url
            if disabled:
                out.log.append({"at": now, "channel": "webhook", "target": target, "items": json.dumps(ids),
                                "attempt": 0, "status": "disabled", "detail": "webhook disabled after failures"})
                continue
            body = json.dumps({"node": node.id, "subscription": sub.id, "user": sub.user,
                               "notifications": entries}, sort_keys=True).encode()
            secret = secretbox.open_(node.home.path, hook.secret, webhook_context(hook.user))
            tries = webhook.deliver(hook.url, secret, body, s.webhook_attempts, s.webhook_timeout,
                                    s.webhook_backoff, using=out.http)
            for t in tries:
                out.log.append({"at": now, "channel": "webhook", "target": target, "items": json.dumps(ids),
                                "attempt": t.attempt, "status": "sent" if t.ok else "failed", "detail": t.detail})
            failures = 0 if tries[-1].ok else failures + 1
            status = "sent" if tries[-1].ok else "failed"
            out.hooks[hook.id] = (failures, failures >= s.webhook_max_failures)
        else:
            continue
        out.audit.append(AuditEvent(f"node:{node.id}", "notify.sent", None, {
            "user": sub.user, "channel": channel, "target": target, "status": status, "items": ids,
            "records": records, "withheld": [r.id for r in items if not model.may_carry(r.tlp, s.max_tlp)]}))
    out.sent_items += ids
    if sub.mode in model.PERIODS:
        out.digests.append(sub.id)


def deliver_due(node: Node) -> int:
    """Send what is due; returns how many notifications were handled."""
    s = notify_settings.load(node.settings)
    now = format_ts(utcnow())
    with node.engine.connect() as conn:
        rows = conn.execute(select(ni).where(ni.c.sent.is_(False), ni.c.send_after <= now)
                            .order_by(ni.c.id).limit(MAX_ITEMS)).all()
        if not rows:
            return 0
        sids = sorted({r.subscription_id for r in rows})
        subs = {r.id: row_subscription(r) for r in conn.execute(select(ns).where(ns.c.id.in_(sids)))}
        wids = sorted({x.webhook_id for x in subs.values() if x.webhook_id is not None})
        hooks = {h.id: h for h in conn.execute(select(nw).where(nw.c.id.in_(wids)))} if wids else {}
    out = Outcome([], [], {}, [], [], webhook.client(s.webhook_timeout))
    try:
        for sub, items in _groups(rows, subs):
            if sub.active:
                _send(node, s, sub, items, hooks, out, now)
            else:
                out.sent_items += [r.id for r in items]
    finally:
        out.http.close()
    with node.uow() as uow:
        conn = uow.conn
        if out.log:
            conn.execute(insert(nd), out.log)
        for k in range(0, len(out.sent_items), 500):
            conn.execute(update(ni).where(ni.c.id.in_(out.sent_items[k : k + 500])).values(sent=True))
        for wid, (failures, disabled) in out.hooks.items():
            conn.execute(update(nw).where(nw.c.id == wid).values(failures=failures, disabled=disabled))
        if out.digests:
            conn.execute(update(ns).where(ns.c.id.in_(out.digests)).values(last_digest=now))
        for event in out.audit:
            uow.audit(event)
        uow.commit()
    return len(out.sent_items)


def deliveries(node: Node, user: str, limit: int = 100) -> list[dict]:
    """The delivery log of a user's webhooks and e-mail (targets are theirs)."""
    with node.engine.connect() as conn:
        mine_hooks = [h.url for h in conn.execute(select(nw.c.url).where(nw.c.user == user))]
        mine_mail = [m.email for m in conn.execute(select(ns.c.email).where(ns.c.user == user, ns.c.email.is_not(None)))]
        targets = sorted(set(mine_hooks + mine_mail))
        if not targets:
            return []
        q = select(nd).where(nd.c.target.in_(targets)).order_by(nd.c.id.desc()).limit(max(1, min(limit, 500)))
        return [dict(r._mapping) | {"items": json.loads(r.items)} for r in conn.execute(q)]
