"""This node's own retention rules, the review list they produce, and the purge a supervisor approves.

A rule (`vinculo retention rules set TYPE --years N [--unless-linked-to-case]`) makes own records of that
type due `years` after they were created. `refresh_review` lists what is due, one pending entry per record
(id, version and content hash, never the content). Nothing is purged until a supervisor approves entries
(`approve`): each approved record is checked again (still ours, unchanged since it was listed, still due),
every stored version's content is deleted and a signed tombstone takes its place as the current version,
so every partner that holds it gets the tombstone at its next pull (the outbox sends tombstones to
holders) and drops it. An entry that no longer holds is marked stale and left alone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, replace

from sqlalchemy import Connection, delete, insert, select, update

from vinculo.accounts.model import Actor
from vinculo.audit.events import AuditEvent
from vinculo.canonical import canonical_json
from vinculo.exhibits.service import purge_unreferenced
from vinculo.federation.signing import sign_bytes
from vinculo.node.context import Node
from vinculo.records import holding
from vinculo.records import repository as repo
from vinculo.records.model import Record, format_ts, utcnow
from vinculo.records.service import Forbidden, NotFound
from vinculo.retention.model import APPROVER_ROLE, Rule, check_rule, years_before
from vinculo.store.feed import allocate_seq, lock_node_state
from vinculo.store.purge import after_purge
from vinculo.store.tables_retention import retention_reviews, retention_rules
from vinculo.store.upsert import upsert

MAX_APPROVE = 10_000


@dataclass(frozen=True)
class Review:
    id: int
    record_id: str
    version: int
    content_hash: str
    rule: Rule
    listed_at: str
    status: str

    def line(self) -> str:
        return f"{self.id:>6}  {self.record_id}  v{self.version}  {self.rule.describe()}  listed {self.listed_at}"


def set_rule(node: Node, record_type: str, years: object, unless_linked_to_case: bool = False,
             by: str = "system") -> Rule:
    rule = check_rule(record_type, years, unless_linked_to_case)
    with node.uow() as uow:
        upsert(uow.conn, retention_rules, [{"record_type": rule.record_type, "years": rule.years,
                                            "unless_linked_to_case": rule.unless_linked_to_case, "set_by": by,
                                            "set_at": format_ts(utcnow())}],
               ["record_type"], ["years", "unless_linked_to_case", "set_by", "set_at"])
        uow.audit(AuditEvent(by, "retention.rule", f"type:{rule.record_type}",
                             {"years": rule.years, "unless_linked_to_case": rule.unless_linked_to_case}))
        uow.commit()
    return rule


def remove_rule(node: Node, record_type: str, by: str = "system") -> None:
    with node.uow() as uow:
        gone = uow.conn.execute(delete(retention_rules).where(retention_rules.c.record_type == record_type)).rowcount
        if not gone:
            raise NotFound(f"no retention rule for {record_type!r}")
        uow.audit(AuditEvent(by, "retention.rule", f"type:{record_type}", {"removed": True}))
        uow.commit()


def _rules(conn: Connection) -> list[Rule]:
    return [Rule(r.record_type, r.years, r.unless_linked_to_case)
            for r in conn.execute(select(retention_rules).order_by(retention_rules.c.record_type))]


def list_rules(node: Node) -> list[Rule]:
    with node.engine.connect() as conn:
        return _rules(conn)


def _due(conn: Connection, node_id: str, now: dt.datetime) -> dict[str, tuple[int, str, Rule]]:
    """record id -> (version, content hash, rule) of every own record a rule makes due now."""
    rules = _rules(conn)
    subjects = holding.case_subjects(conn) if any(r.unless_linked_to_case for r in rules) else set()
    due: dict[str, tuple[int, str, Rule]] = {}
    for rule in rules:
        cutoff = format_ts(years_before(now, rule.years))
        for rid, version, digest, _created in holding.own_created_before(conn, node_id, rule.record_type, cutoff):
            if not (rule.unless_linked_to_case and rid in subjects):
                due[rid] = (version, digest, rule)
    return due


def _rule_json(rule: Rule) -> str:
    return json.dumps({"record_type": rule.record_type, "years": rule.years,
                       "unless_linked_to_case": rule.unless_linked_to_case}, sort_keys=True)


def _review(r) -> Review:
    return Review(r.id, r.record_id, r.version, r.content_hash, Rule(**json.loads(r.rule)), r.listed_at, r.status)


def refresh_review(node: Node, by: str = "system", now: dt.datetime | None = None) -> list[Review]:
    """List what the rules make due now (new pending entries), mark pending entries that are no longer
    due (or changed since) stale, and return the pending ones. Purges nothing."""
    now = now or utcnow()
    stamp = format_ts(now)
    with node.uow() as uow:
        conn = uow.conn
        due = _due(conn, node.id, now)
        pending = {r.record_id: r for r in conn.execute(select(retention_reviews)
                                                        .where(retention_reviews.c.status == "pending"))}
        stale = [r for rid, r in pending.items() if due.get(rid, (None, None))[:2] != (r.version, r.content_hash)]
        for r in stale:
            _decide(conn, r.id, "stale", by, stamp, "no longer due, or changed since it was listed")
        gone = {r.record_id for r in stale}
        fresh = [(rid, v, h, rule) for rid, (v, h, rule) in sorted(due.items()) if rid not in pending or rid in gone]
        listed = []
        for rid, version, digest, rule in fresh:
            new_id = conn.execute(insert(retention_reviews).values(
                record_id=rid, version=version, content_hash=digest, rule=_rule_json(rule), listed_at=stamp,
                status="pending").returning(retention_reviews.c.id)).scalar_one()
            listed.append([new_id, rid, version, digest])
        if listed or stale or not by.startswith("node:"):  # the periodic job audits only what it changed
            uow.audit(AuditEvent(by, "retention.review", None,
                                 {"listed": listed, "stale": [[r.id, r.record_id] for r in stale]}))
        out = [_review(r) for r in conn.execute(select(retention_reviews).where(retention_reviews.c.status == "pending")
                                                .order_by(retention_reviews.c.id))]
        uow.commit()
    return out


def _decide(conn: Connection, review_id: int, status: str, by: str, stamp: str, note: str | None = None) -> None:
    conn.execute(update(retention_reviews).where(retention_reviews.c.id == review_id)
                 .values(status=status, decided_by=by, decided_at=stamp, note=note))


def pending_reviews(node: Node) -> list[Review]:
    with node.engine.connect() as conn:
        return [_review(r) for r in conn.execute(select(retention_reviews).where(retention_reviews.c.status == "pending")
                                                 .order_by(retention_reviews.c.id))]


@dataclass(frozen=True)
class Approval:
    purged: list[list]  # [review id, record id, version, content hash]
    stale: list[list]  # [review id, record id, why]


def approve(node: Node, actor: Actor, review_ids: list[int], now: dt.datetime | None = None) -> Approval:
    """A supervisor approves pending entries: each still due is purged (every version's content) and
    replaced by a signed tombstone that withdraws it from every partner holding it. All the ids must be
    pending entries, or nothing is done."""
    if actor.role != APPROVER_ROLE:
        raise Forbidden(f"role {actor.role} may not approve retention purges (supervisors only)")
    ids = sorted(set(review_ids))
    if not ids:
        raise ValueError("review ids: name at least one (see `vinculo retention review`)")
    if len(ids) > MAX_APPROVE:
        raise ValueError(f"review ids: at most {MAX_APPROVE:,} at once")
    now = now or utcnow()
    stamp = format_ts(now)
    with node.uow() as uow:
        conn = uow.conn
        lock_node_state(conn)  # the checks and the purge see the same versions
        rows = {r.id: r for r in conn.execute(select(retention_reviews).where(retention_reviews.c.id.in_(ids)))}
        for rid in ids:
            if rid not in rows:
                raise NotFound(f"review {rid}: no such entry (see `vinculo retention review`)")
            if rows[rid].status != "pending":
                raise ValueError(f"review {rid}: {rows[rid].status}, not pending; nothing was approved")
        due = _due(conn, node.id, now)
        result = Approval([], [])
        tombstones, versions = [], []
        for rid in ids:
            r = rows[rid]
            if due.get(r.record_id, (None, None))[:2] != (r.version, r.content_hash):
                why = "no longer due, or changed since it was listed"
                _decide(conn, rid, "stale", actor.label, stamp, why)
                result.stale.append([rid, r.record_id, why])
                continue
            current = repo.current(conn, r.record_id)
            versions += holding.drop_content(conn, r.record_id)
            tombstones.append(_tombstone(conn, node, current, now))
            _decide(conn, rid, "purged", actor.label, stamp)
            result.purged.append([rid, r.record_id, r.version, r.content_hash])
        uow.audit(AuditEvent(actor.label, "retention.approve", None,
                             {"records": result.purged, "stale": result.stale, "purged": versions}))
        for rid, version, seq, digest in tombstones:  # each tombstone, as any version of ours, has its entry
            uow.audit(AuditEvent(actor.label, "record.revoke", rid, {"version": version, "seq": seq, "hash": digest,
                                                                     "reason": "retention: purge approved"}))
        uow.commit()
    if result.purged:
        after_purge(node.engine, [holding.TABLE])
        purge_unreferenced(node)  # attachment files go with their records (vinculo.exhibits)
    return result


def _tombstone(conn: Connection, node: Node, current: Record, now: dt.datetime) -> list:
    """Store a signed tombstone (revoked, no content) as the record's next version; [id, version, seq, hash]."""
    tomb = Record(current.id, current.type, current.origin, current.version + 1, current.created, now,
                  current.markings, {}, revoked=True)
    data = canonical_json(tomb.document())
    digest = hashlib.sha256(data).hexdigest()
    seq = allocate_seq(conn, 1)
    repo.insert_rows(conn, [repo.to_row(replace(tomb, signature=sign_bytes(node.key, data)), seq, digest)])
    return [tomb.id, tomb.version, seq, digest]
