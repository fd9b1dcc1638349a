"""`vinculo upgrade`: migrate a node's database to this release's schema, then verify its audit log."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import inspect, text

from vinculo.audit.checks import verify_node
from vinculo.audit.events import AuditEvent
from vinculo.node.context import open_node
from vinculo.node.home import Home
from vinculo.store.migrate import upgrade


@dataclass(frozen=True)
class Upgrade:
    before: list[str]
    after: list[str]
    ok: bool
    entries: int
    root: str
    records: int
    problem: str | None


def _revisions(engine) -> list[str]:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return []
        return sorted(r for (r,) in conn.execute(text("SELECT version_num FROM alembic_version")))


def upgrade_node(home: Home) -> Upgrade:
    """Run the migrations to heads (each in its own transaction, as Alembic does), verify the log and the
    records, and audit the upgrade (`node.upgrade`) when it changed the schema and everything verifies."""
    node = open_node(home)
    try:
        before = _revisions(node.engine)
        upgrade(node.engine)
        after = _revisions(node.engine)
        check = verify_node(node)
        if check.ok and before != after:
            with node.uow() as uow:
                uow.audit(AuditEvent("cli", "node.upgrade", node.id, {"from": before, "to": after}))
                uow.commit()
        return Upgrade(before, after, check.ok, check.entries, check.root, check.records, check.problem)
    finally:
        node.engine.dispose()
