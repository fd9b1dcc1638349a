"""`vinculo node rotate-key`: this node moves to a new Ed25519 key and says so, signed by both keys.

In order, so that a crash anywhere leaves a node that opens with one consistent key:
1. the new key is written to `node_key.pem.new` (0600, never over an existing file);
2. one transaction: the old key's period ends (`key_periods`), the new key and the signed rotation statement
   are stored, `node.public_key` becomes the new key, and the `node.key_rotated` audit entry is written
   under a tree head the new key signs (every head from then on is the new key's);
3. the new key file replaces `node_key.pem` (`os.replace`, atomic). The old private key is not kept: what
   it signed verifies with its public key, and nothing should sign with it again.
A crash between 2 and 3 is finished when the node next opens (`keys.settle_pending`).

Partners learn the change on their next pull (`federation.rotation`). A node serving (`vinculo serve`)
holds its key in memory and `hold_key`: a rotation is refused until it stops, and it starts again after.
"""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from vinculo.audit.events import AuditEvent
from vinculo.node import key_periods, key_statement, keys
from vinculo.node.home import Home
from vinculo.records.model import format_ts, utcnow
from vinculo.store.tables import node as node_table

if TYPE_CHECKING:
    from vinculo.node.context import Node


class RotationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Rotation:
    old_key: str
    new_key: str
    time: str
    statement: dict

    @property
    def new_fingerprint(self) -> str:
        return keys.fingerprint(self.new_key)

    @property
    def old_fingerprint(self) -> str:
        return keys.fingerprint(self.old_key)


def _lock_file(home: Home) -> int:
    return os.open(home.path / "node_key.lock", os.O_WRONLY | os.O_CREAT, 0o600)


def hold_key(home: Home) -> int:
    """Take the node's key lock shared, for as long as this process signs with the key it loaded (`vinculo
    serve`): a rotation by another process is refused meanwhile. The lock lasts until the file descriptor
    returned is closed, or the process ends."""
    fd = _lock_file(home)
    fcntl.flock(fd, fcntl.LOCK_SH)
    return fd


def rotate_key(node: Node, by: str = "cli") -> Rotation:
    """Move `node` to a new key (see the module's steps); `node.key` is the new key when this returns."""
    fd = _lock_file(node.home)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RotationError(f"{node.home.path}: the node is serving (`vinculo serve` signs with the key it "
                                "loaded) or another rotation is running; stop it, rotate, start it again") from None
        return _rotate(node, by)
    finally:
        os.close(fd)  # releases the lock


def _rotate(node: Node, by: str) -> Rotation:
    home, old = node.home, node.key
    old_hex = keys.public_hex(old)
    if home.pending_key_file.exists():  # left by a rotation that never committed (open_node settles the others)
        home.pending_key_file.unlink()
    new = keys.generate()
    keys.save_private_key(new, home.pending_key_file)
    at = utcnow()
    signed = key_statement.make(node.id, old, new, at)
    new_hex = signed["statement"]["new_key"]
    try:
        with node.uow() as uow:
            stored = uow.conn.execute(select(node_table.c.public_key).where(node_table.c.id == node.id)
                                      .with_for_update()).scalar_one()
            if stored != old_hex:
                raise RotationError(f"node {node.id}: its stored key is not the key this process holds "
                                    "(rotated meanwhile?); nothing changed")
            key_periods.replace(uow.conn, node.id, old_hex, new_hex, format_ts(at), "rotation", signed)
            uow.conn.execute(update(node_table).where(node_table.c.id == node.id).values(public_key=new_hex))
            uow.audit(AuditEvent(by, "node.key_rotated", node.id, {
                "old_key": old_hex, "new_key": new_hex, "old_fingerprint": keys.fingerprint(old_hex),
                "new_fingerprint": keys.fingerprint(new_hex), "time": format_ts(at)}))
            node.key = new  # the tree head written at commit is the new key's
            uow.commit()
    except BaseException:
        node.key = old
        home.pending_key_file.unlink(missing_ok=True)
        raise
    os.replace(home.pending_key_file, home.key_file)
    return Rotation(old_hex, new_hex, format_ts(at), signed)
