"""The matcher: new record versions, correlation alerts and PSI notices matched against subscriptions.

It runs after the write that made them has committed (never inside a pull's transaction), first raising
the correlation alerts those writes cause (`alerts.refresh`: the job right after the write), then, for each
subscriber, deciding every candidate through the records read layer (`reads.readable_versions`, i.e.
`release()` for that user) and keeping only a summary of the released view. Each pass is bounded
(`BATCH` versions, `MAX_PAGE` alerts) and is one transaction with its audit entries.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import insert, select, update

from vinculo.accounts import service as accounts
from vinculo.accounts.model import PERMISSIONS
from vinculo.audit.events import AuditEvent
from vinculo.deconfliction import alerts
from vinculo.node.context import Node
from vinculo.notify import model
from vinculo.notify.service import row_subscription
from vinculo.records import projection, reads
from vinculo.records.model import format_ts, utcnow
from vinculo.sharing.release import LocalUser
from vinculo.store.feed import last_seq
from vinculo.store.tables_notify import notify_items as ni
from vinculo.store.tables_notify import notify_state as nst
from vinculo.store.tables_notify import notify_subscriptions as ns

BATCH = 2000


@dataclass
class Pass:
    items: list[dict] = field(default_factory=list)  # the notifications made (user, id, kind, payload...)
    versions: int = 0
    more: bool = False


def _position(conn, name: str) -> int | None:
    return conn.execute(select(nst.c.value).where(nst.c.name == name)).scalar()


_PASS_LOCK = 0x76696E6E6F7469  # "vinnoti": the matcher's PostgreSQL advisory lock


def _one_pass_at_a_time(conn) -> None:
    """Passes run in several places (the hooks' thread of each server process, `vinculo notify run`, a worker):
    two reading the same positions would store every notification twice. On SQLite the unit of work already
    holds the write lock; on PostgreSQL a transaction-scoped advisory lock makes the second pass wait for the
    first's commit and then read the positions it moved."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PASS_LOCK})")


def _set_position(conn, name: str, value: int, had: int | None) -> None:
    if had is None:
        conn.execute(insert(nst).values(name=name, value=value))  # the first pass (_one_pass_at_a_time)
    elif value != had:
        conn.execute(update(nst).where(nst.c.name == name).values(value=value))


def _subscribers(node: Node, subs: list[model.Subscription] | None = None) -> dict[str, LocalUser]:
    """Active users (of `subs`, or all)."""
    wanted = {s.user for s in subs} if subs is not None else None
    return {u["name"]: LocalUser(u["name"], u["role"], node.id) for u in accounts.list_users(node)
            if (wanted is None or u["name"] in wanted) and not u["disabled"]}


def broadcast_subscriptions(users: dict[str, LocalUser], from_seq: int) -> list[model.Subscription]:
    """Every user who may read records hears of a new broadcast `alert` record, subscribed or not (in-app;
    `id` 0: no subscription of theirs)."""
    return [model.Subscription(0, name, "records", {"type": ["alert"]}, ("inapp",), "immediate", None, None,
                               True, None, None, from_seq, 0)
            for name, user in users.items() if "records.read" in PERMISSIONS.get(user.role, ())]


def _may(user: LocalUser, sub: model.Subscription) -> bool:
    """The subscriber's role still allows the subscription (roles change)."""
    return model.kind_allowed(sub.kind, user.role, "records.read" in PERMISSIONS.get(user.role, ())) is None


def _item(sub: model.Subscription, kind: str, payload: dict, record_ids: list[str], tlp: str, now) -> dict:
    sends = bool(sub.external)
    return {"user": sub.user, "subscription_id": sub.id, "created": format_ts(now), "kind": kind, "tlp": tlp,
            "payload": json.dumps(payload, sort_keys=True, default=str), "record_ids": json.dumps(record_ids),
            "read": "inapp" not in sub.channels,
            "send_after": format_ts(model.send_after(sub, now)) if sends else None, "sent": not sends}


def _record_items(conn, node: Node, subs, users, changed, now) -> list[dict]:
    out: list[dict] = []
    by_user: dict[str, list[model.Subscription]] = defaultdict(list)
    for s in subs:
        by_user[s.user].append(s)
    need_kinds = any("selector_kind" in s.filter for s in subs)
    kinds = alerts.selector_kinds(conn, sorted({i for _, i, _ in changed})) if need_kinds else {}
    for name, mine in by_user.items():
        user = users.get(name)
        if user is None:
            continue
        floor = min(s.from_seq for s in mine)
        keys = {(rid, version) for seq, rid, version in changed if seq > floor}
        decided = reads.readable_versions(conn, user, keys) if keys else {}
        for seq, rid, version in changed:
            decision = decided.get((rid, version))
            if decision is None or decision.view is None:
                continue
            view = decision.view
            whole = not decision.withheld
            for sub in mine:
                if seq > sub.from_seq and model.matches(sub, view, whole, node.id, kinds.get(rid, set())):
                    payload = model.summary(view)
                    out.append(_item(sub, "records", payload, [rid], payload["tlp"], now))
    return out


def _alert_items(conn, subs, users, alert_rows, notice_rows, now) -> list[dict]:
    out: list[dict] = []
    for sub in subs:
        user = users.get(sub.user)
        if user is None:
            continue
        rows_a = [r for r in alert_rows if r.id > sub.from_alert] if sub.kind == "alerts" else []
        rows_n = notice_rows if sub.kind == "notices" else []
        seen_a, seen_n = alerts.seen_by(conn, user, rows_a, rows_n)
        for _, view, tlps in seen_a:
            out.append(_item(sub, "alerts", view, [r["id"] for r in view["records"]], model.highest_tlp(tlps), now))
        for _, view, tlps in seen_n:
            out.append(_item(sub, "notices", view, [view["record"]["id"]], model.highest_tlp(tlps), now))
    return out


def _store(uow, node: Node, rows: list[dict]) -> list[dict]:
    """Insert the notifications and audit them: one entry per user (channel in-app, the record ids)."""
    made = []
    for k in range(0, len(rows), 1000):  # one executemany a thousand, ids back in order (RETURNING)
        chunk = rows[k : k + 1000]
        ids = uow.conn.execute(insert(ni).returning(ni.c.id, sort_by_parameter_order=True), chunk).scalars().all()
        made += [row | {"id": nid} for row, nid in zip(chunk, ids, strict=True)]
    per_user: dict[str, list[dict]] = defaultdict(list)
    for m in made:
        per_user[m["user"]].append(m)
    for user, mine in per_user.items():
        uow.audit(AuditEvent(f"node:{node.id}", "notify.sent", None, {
            "user": user, "channel": "inapp", "items": [m["id"] for m in mine],
            "records": sorted({r for m in mine for r in json.loads(m["record_ids"])})}))
    return made


def run(node: Node) -> Pass:
    """One bounded pass: raise correlation alerts for what was written, then match and store notifications."""
    alerts.refresh(node)
    result = Pass()
    now = utcnow()
    with node.engine.connect() as conn:
        subs = [row_subscription(r) for r in conn.execute(select(ns).where(ns.c.active.is_(True)))]
    users = _subscribers(node)
    subs = [s for s in subs if s.user in users and _may(users[s.user], s)]
    with node.uow() as uow:
        conn = uow.conn
        _one_pass_at_a_time(conn)
        seq_at, alert_at, notice_at = (_position(conn, n) for n in ("seq", "alert", "notice"))
        seq_had, alert_had, notice_had = seq_at, alert_at, notice_at
        if None in (seq_at, alert_at, notice_at):  # first pass: from the oldest subscription, else from now
            last_alert, last_notice = alerts.last_ids(conn)
            if seq_at is None:
                seq_at = min((s.from_seq for s in subs), default=last_seq(conn))
            if alert_at is None:
                alert_at = min((s.from_alert for s in subs), default=last_alert)
            if notice_at is None:
                notice_at = last_notice
        changed = projection.changed_since(conn, seq_at, BATCH)
        alert_rows, notice_rows = alerts.raised_since(conn, alert_at, notice_at)
        rows = []
        record_subs = [s for s in subs if s.kind == "records"]
        if changed and record_subs:
            rows += _record_items(conn, node, record_subs, users, changed, now)
        broadcasts = [c for c in changed if c[1].startswith("alert--")]
        if broadcasts:
            told = {(r["user"], r["record_ids"]) for r in rows}
            rows += [r for r in _record_items(conn, node, broadcast_subscriptions(users, seq_at), users, broadcasts, now)
                     if (r["user"], r["record_ids"]) not in told]
        alert_subs = [s for s in subs if s.kind in ("alerts", "notices")]
        if (alert_rows or notice_rows) and alert_subs:
            rows += _alert_items(conn, alert_subs, users, alert_rows, notice_rows, now)
        result.items = _store(uow, node, rows)
        result.versions = len(changed)
        result.more = len(changed) == BATCH or len(alert_rows) == alerts.MAX_PAGE or len(notice_rows) == alerts.MAX_PAGE
        _set_position(conn, "seq", changed[-1][0] if changed else seq_at, seq_had)
        _set_position(conn, "alert", alert_rows[-1].id if alert_rows else alert_at, alert_had)
        _set_position(conn, "notice", notice_rows[-1].id if notice_rows else notice_at, notice_had)
        uow.commit()
    return result


def sync_problem(node: Node, partner: str, problem: str, detail: str) -> list[dict]:
    """Notify administrators subscribed to sync problems (a failed pull, rejected objects). No record content:
    the partner, what went wrong and its clipped reason."""
    now = utcnow()
    with node.engine.connect() as conn:
        subs = [row_subscription(r) for r in conn.execute(select(ns).where(ns.c.active.is_(True), ns.c.kind == "sync"))]
    if not subs:
        return []
    users = _subscribers(node, subs)
    payload = {"partner": partner, "problem": problem, "detail": detail[:500]}
    rows = [_item(s, "sync", payload, [], "green", now) for s in subs if s.user in users and _may(users[s.user], s)]
    if not rows:
        return []
    with node.uow() as uow:
        made = _store(uow, node, rows)
        uow.commit()
    return made
