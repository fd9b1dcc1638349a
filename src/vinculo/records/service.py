"""Record use cases: create, new version, revoke, read, list, history, release preview.

Every read goes through `release()`; every write and read is audited in the same transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

from vinculo.accounts.model import Actor
from vinculo.audit.events import AuditEvent
from vinculo.canonical import canonical_json
from vinculo.federation.signing import sign_bytes
from vinculo.node.context import Node
from vinculo.notify import hooks as notify_hooks
from vinculo.records import reads, red
from vinculo.records import repository as repo
from vinculo.records.model import (
    FieldError,
    Record,
    RecordInvalid,
    id_type,
    new_id,
    next_version,
    revoked_version,
    utcnow,
    validate_body,
    validate_markings,
)
from vinculo.sharing import service as sharing
from vinculo.sharing.release import ROLES, LocalUser, Release, release
from vinculo.store.feed import allocate_seq

MAX_PAGE = 500


class NotFound(LookupError):
    pass


class Forbidden(PermissionError):
    def __init__(self, message: str, reasons: tuple[str, ...] = ()):
        super().__init__(message)
        self.reasons = reasons


class Conflict(RuntimeError):
    pass


def _require(actor: Actor, permission: str) -> None:
    if not actor.may(permission):
        message = f"role {actor.role} may not {permission.replace('.', ' ')}"
        raise Forbidden(message, (message,))


def _store(uow, node: Node, record: Record, action: str, actor: Actor,  # noqa: ANN001
           extra: dict | None = None) -> Record:
    """Store a new version of ours, signed (see `federation.at_rest`), with its audit event."""
    seq = allocate_seq(uow.conn, 1)
    data = canonical_json(record.document())
    digest = hashlib.sha256(data).hexdigest()
    record = replace(record, signature=sign_bytes(node.key, data))
    if record.version > 1:
        repo.retire(uow.conn, record.id)
    repo.insert_rows(uow.conn, [repo.to_row(record, seq, digest)])
    uow.audit(AuditEvent(actor.label, action, record.id,
                         {"version": record.version, "seq": seq, "hash": digest, **(extra or {})}))
    return Record(**{**record.__dict__, "seq": seq})


def create_record(node: Node, actor: Actor, record_type: str, body: dict, markings: dict | None = None) -> Record:
    _require(actor, "records.write")
    clean = validate_body(record_type, body)
    marks = validate_markings(markings)
    now = utcnow()
    with node.uow() as uow:
        marks = red.with_readers(uow.conn, marks, actor)
        record = Record(new_id(record_type), record_type, node.id, 1, now, now, marks, clean)
        stored = _store(uow, node, record, "record.create", actor)
        uow.commit()
    notify_hooks.written(node)
    return stored


def _current_own(uow, node: Node, record_id: str) -> Record:  # noqa: ANN001
    id_type(record_id)
    found = repo.current(uow.conn, record_id)
    if found is None:
        raise NotFound(f"no record {record_id}")
    if found.origin != node.id:
        raise Forbidden(f"{record_id} belongs to {found.origin}; only its origin changes it "
                        "(add a note that references it instead)")
    return found


def changeable(node: Node, actor: Actor, origin: str, revoked: bool = False) -> bool:
    """Whether `actor` may make a new version of a record from `origin` here (only the origin changes its
    records; revoked ones never change)."""
    return actor.may("records.write") and origin == node.id and not revoked


def update_record(node: Node, actor: Actor, record_id: str, body: dict, markings: dict | None = None,
                  expected_version: int | None = None) -> Record:
    _require(actor, "records.write")
    with node.uow() as uow:
        found = _current_own(uow, node, record_id)
        if not release(found, actor.audience()).allowed:
            raise Forbidden(f"you may not read {record_id}, so you may not change it")
        if expected_version is not None and expected_version != found.version:
            raise Conflict(f"{record_id} is at version {found.version}, not {expected_version}")
        clean = validate_body(found.type, body)
        marks = validate_markings(markings) if markings is not None else found.markings
        marks = red.with_readers(uow.conn, marks, actor, found.markings)
        stored = _store(uow, node, next_version(found, clean, marks, utcnow()), "record.version", actor)
        uow.commit()
    notify_hooks.written(node)
    return stored


def revoke_record(node: Node, actor: Actor, record_id: str, reason: str) -> Record:
    _require(actor, "records.revoke")
    if not reason.strip():
        raise RecordInvalid([FieldError("reason", "say why the record is revoked")])
    with node.uow() as uow:
        found = _current_own(uow, node, record_id)
        stored = _store(uow, node, revoked_version(found, utcnow()), "record.revoke", actor, {"reason": reason})
        uow.commit()
    return stored


def get_record(node: Node, actor: Actor, record_id: str) -> tuple[Record, Release]:
    _require(actor, "records.read")
    id_type(record_id)
    with node.uow(read_only=True) as uow:
        found = repo.current(uow.conn, record_id)
        if found is None:
            raise NotFound(f"no record {record_id}")
        decision = release(found, actor.audience())
        action = "record.read" if decision.allowed else "denied"
        uow.audit(AuditEvent(actor.label, action, record_id,
                             {"version": found.version, "withheld": list(decision.withheld),
                              "reasons": list(decision.reasons)}))
        uow.commit()
    if not decision.allowed:
        raise Forbidden(f"you may not read {record_id}", decision.reasons)
    return found, decision


def history(node: Node, actor: Actor, record_id: str) -> list[dict]:
    _require(actor, "records.read")
    id_type(record_id)
    with node.uow(read_only=True) as uow:
        all_versions = repo.versions(uow.conn, record_id)
        if not all_versions:
            raise NotFound(f"no record {record_id}")
        views = []
        for version in all_versions:
            decision = release(version, actor.audience())
            if decision.allowed:
                views.append(decision.view)
        uow.audit(AuditEvent(actor.label, "record.read", record_id,
                             {"versions": [v["version"] for v in views], "history": True}))
        uow.commit()
    if not views:
        raise Forbidden(f"you may not read {record_id}")
    return views


@dataclass(frozen=True)
class Page:
    items: list[dict]
    next_cursor: int | None


def list_records(node: Node, actor: Actor, filters: repo.Filters, cursor: int | None = None,
                 limit: int = 50) -> Page:
    """One page of views the actor may see, newest change first; `cursor` comes from the previous page."""
    _require(actor, "records.read")
    limit = max(1, min(limit, MAX_PAGE))
    audience = actor.audience()
    rule = reads.read_rule(actor.role)
    reads.check(rule, filters)
    items: list[dict] = []
    before = cursor
    exhausted = False
    with node.uow(read_only=True) as uow:
        for _ in range(20):  # bounded: denied records make a batch shorter, never the loop endless
            batch = reads.page(uow.conn, rule, filters, before, limit - len(items) + 10, audience)
            if not batch:
                exhausted = True
                break
            for record in batch:
                before = record.seq
                decision = release(record, audience)
                if decision.allowed:
                    items.append(decision.view | {"seq": record.seq})
                    if len(items) == limit:
                        break
            if len(items) == limit:
                break
        if items:
            uow.audit(AuditEvent(actor.label, "record.list", None,
                                 {"ids": [i["id"] for i in items], "filters": filters.__dict__}))
            uow.commit()
    return Page(items, None if exhausted and len(items) < limit else before)


def count_records(node: Node, actor: Actor, filters: repo.Filters) -> int:
    """How many current records match that the actor may read: always the number `list_records` would give
    over all its pages (the same read layer). Audited (`record.count`, with the filters) like a listing."""
    _require(actor, "records.read")
    rule = reads.read_rule(actor.role)
    with node.uow(read_only=True) as uow:
        found = reads.count(uow.conn, rule, filters, actor.audience())
        uow.audit(AuditEvent(actor.label, "record.count", None, {"filters": filters.__dict__, "count": found}))
        uow.commit()
    return found


def release_preview(node: Node, actor: Actor, record: Record) -> dict:
    """Who would receive `record` (local roles and partners), which fields each would see, and why."""
    _require(actor, "records.read")
    doc_fields = sorted(record.body)
    out: dict = {"record": record.id, "local": [], "partners": []}
    for role in ROLES:
        d = release(record, LocalUser(f"any {role}", role, node.id))
        out["local"].append({"role": role, "allowed": d.allowed, "withheld": list(d.withheld),
                             "reasons": list(d.reasons)})
    with node.uow(read_only=True) as uow:
        for audience in sharing.partner_audiences(uow.conn, node.id):
            d = release(record, audience)
            seen = [f for f in doc_fields if d.allowed and f in (d.view or {}).get("body", {})]
            out["partners"].append({"partner": audience.node_id, "allowed": d.allowed, "fields": seen,
                                    "withheld": list(d.withheld), "reasons": list(d.reasons)})
        uow.audit(AuditEvent(actor.label, "record.preview", record.id, {"version": record.version}))
        uow.commit()
    return out


def preview_stored(node: Node, actor: Actor, record_id: str) -> dict:
    record, _ = get_record(node, actor, record_id)
    return release_preview(node, actor, record)


def preview_draft(node: Node, actor: Actor, record_type: str, body: dict, markings: dict | None) -> dict:
    now = utcnow()
    draft = Record(new_id(record_type), record_type, node.id, 1, now, now, validate_markings(markings),
                   validate_body(record_type, body))
    return release_preview(node, actor, draft)
