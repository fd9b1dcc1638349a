"""Retention tables: this node's own retention rules, the review list a supervisor approves, and the
received records purged when their retention or agreement ended (with the receipt owed to their origin).

No content is kept here: a record id, a version and the content's SHA-256, never the content.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, Integer, String, Table, Text

from vinculo.store.tables import TS, metadata

# One rule per record type, for this node's own records: due for review `years` after `created`.
retention_rules = Table(
    "retention_rules",
    metadata,
    Column("record_type", String(32), primary_key=True),
    Column("years", Integer, nullable=False),
    Column("unless_linked_to_case", Boolean, nullable=False),
    Column("set_by", String(200), nullable=False),
    Column("set_at", TS, nullable=False),
)

# Own records a rule made due: pending until a supervisor approves (then purged) or it is no longer due.
retention_reviews = Table(
    "retention_reviews",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("record_id", String(80), nullable=False),
    Column("version", Integer, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("rule", Text, nullable=False),  # the rule that made it due, as JSON
    Column("listed_at", TS, nullable=False),
    Column("status", String(16), nullable=False),  # pending | purged | stale
    Column("decided_by", String(200), nullable=True),
    Column("decided_at", TS, nullable=True),
    Column("note", Text, nullable=True),
    Index("ix_retention_reviews_status", "status"),
    Index("ix_retention_reviews_record_id", "record_id"),
)

# Received records purged here, and whether the node they came from has been told (a "purged" receipt).
retention_purged = Table(
    "retention_purged",
    metadata,
    Column("partner", String(64), primary_key=True),
    Column("record_id", String(80), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("content_hash", String(64), nullable=False),
    Column("reason", Text, nullable=False),
    Column("purged_at", TS, nullable=False),
    Column("receipt_sent", TS, nullable=True),
)
