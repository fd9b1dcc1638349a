"""A running node: its identity, its key and its database."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, select

from vinculo.audit import service as audit
from vinculo.audit.group import AuditWriter
from vinculo.node import keys
from vinculo.node.home import Home
from vinculo.store.engine import make_engine
from vinculo.store.tables import node as node_table
from vinculo.store.uow import UnitOfWork


class NodeNotFound(RuntimeError):
    pass


@dataclass
class Node:
    id: str
    name: str
    country: str
    key: Ed25519PrivateKey
    engine: Engine
    home: Home
    settings: dict = field(default_factory=dict)

    @property
    def public_key_hex(self) -> str:
        return keys.public_hex(self.key)

    def uow(self, read_only: bool = False) -> UnitOfWork:
        """One transaction. `read_only`: it only reads (and audits); its audit entries are committed
        together with other requests' (`audit.group`), durable when `commit` returns."""
        flush = self._append_audit
        if not read_only:
            return UnitOfWork(self.engine, flush)
        return UnitOfWork(self.engine, flush, read_only=True, write_audit=self.audit_writer.write)

    @cached_property
    def audit_writer(self) -> AuditWriter:
        return AuditWriter(self.engine, self._append_audit)

    def _append_audit(self, conn, events: list) -> None:
        audit.append(conn, self.id, self.key, events)


def open_node(home: Home) -> Node:
    if not home.node_file.exists():
        raise NodeNotFound(f"no node in {home.path} (run `vinculo init` first, or pass --home)")
    info = json.loads(home.node_file.read_text())
    key = keys.load_private_key(home.key_file)
    engine = make_engine(home.db_url)
    with engine.connect() as conn:
        row = conn.execute(select(node_table).where(node_table.c.id == info["id"])).one_or_none()
    if row is None:
        raise NodeNotFound(f"database {home.db_url} holds no node {info['id']!r}")
    if row.public_key != keys.public_hex(key):  # a rotation that committed but did not finish moving files
        key = keys.settle_pending(home.key_file, home.pending_key_file, row.public_key) or key
    if row.public_key != keys.public_hex(key):
        raise NodeNotFound(f"{home.key_file} does not match the public key stored for node {row.id}")
    return Node(row.id, row.name, row.country, key, engine, home)
