"""Reading the audit log as a user: auditors only, and every read is itself audited."""

from __future__ import annotations

from vinculo.accounts.model import Actor
from vinculo.audit import service as audit
from vinculo.audit.checks import Verification, verify_node
from vinculo.audit.events import AuditEvent
from vinculo.node.context import Node
from vinculo.records.service import Forbidden


def _auditor(actor: Actor) -> None:
    if not actor.may("audit.read"):
        message = f"role {actor.role} may not read the audit log (auditors only)"
        raise Forbidden(message, (message,))


def actor_label(user: str | None) -> str | None:
    """A user name as the log writes actors ('ana' -> 'user:ana'); labels with a ':' stay as given."""
    if not user or not user.strip():
        return None
    user = user.strip()
    return user if ":" in user else f"user:{user}"


def read_log(node: Node, actor: Actor, *, user: str | None = None, action: str | None = None,
             target: str | None = None, after: int = -1, limit: int = 100) -> list[dict]:
    """Entries after index `after`, filtered by user, action and target (a record id, `user:x`...)."""
    _auditor(actor)
    limit = max(1, min(limit, 1000))
    with node.uow(read_only=True) as uow:
        rows = audit.entries(uow.conn, actor=actor_label(user), action=action or None, target=target or None,
                             after=after, limit=limit)
        uow.audit(AuditEvent(actor.label, "audit.read", None, {"after": after, "count": len(rows)}))
        uow.commit()
    return rows


def verify(node: Node, actor: Actor) -> Verification:
    _auditor(actor)
    return verify_node(node)
