"""Audit events and the bytes each log entry is hashed from."""

from __future__ import annotations

from dataclasses import dataclass, field

from vinculo.canonical import canonical_json

ACTIONS = ("node.init", "user.add", "token.create", "token.use", "login", "login.failed", "login.throttled",
           "record.create", "record.version", "record.revoke", "record.read", "record.list", "record.preview",
           "import", "audit.read", "denied")


@dataclass(frozen=True)
class AuditEvent:
    actor: str
    action: str
    target: str | None = None
    detail: dict = field(default_factory=dict)


def entry_document(idx: int, ts: str, actor: str, action: str, target: str | None, detail: dict) -> dict:
    return {"idx": idx, "ts": ts, "actor": actor, "action": action, "target": target, "detail": detail}


def entry_bytes(idx: int, ts: str, actor: str, action: str, target: str | None, detail: dict) -> bytes:
    return canonical_json(entry_document(idx, ts, actor, action, target, detail))
