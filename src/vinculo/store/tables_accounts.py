"""Accounts tables beyond users and tokens: failed-login counters that throttle password guessing."""

from __future__ import annotations

from sqlalchemy import Column, Integer, String, Table

from vinculo.store.tables import TS, metadata

# One row per throttled key: `user:<name>` or `addr:<client address>`. Kept in the database so the
# back-off survives a restart and holds across every process serving the node.
login_failures = Table(
    "login_failures",
    metadata,
    Column("key", String(80), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failure", TS, nullable=False),
    Column("blocked_until", TS, nullable=True),
)
