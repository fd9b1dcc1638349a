"""Table definitions (SQLAlchemy Core). Timestamps are stored as sortable UTC text."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

TS = String(27)  # 2026-11-28T06:19:23.123456Z

node = Table(
    "node",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("country", String(2), nullable=False),
    Column("public_key", String(64), nullable=False),
    Column("created", TS, nullable=False),
)

# One row. Updating it takes the write lock that orders the change feed and the audit log.
node_state = Table(
    "node_state",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("last_seq", BigInteger, nullable=False),
    Column("audit_size", BigInteger, nullable=False),
    Column("audit_frontier", Text, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("password_hash", String(200), nullable=True),
    Column("created", TS, nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
)

tokens = Table(
    "tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("label", String(200), nullable=True),
    Column("created", TS, nullable=False),
    Column("expires", TS, nullable=True),
    Column("revoked", Boolean, nullable=False, default=False),
)

record_versions = Table(
    "record_versions",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("id", String(80), nullable=False),
    Column("version", Integer, nullable=False),
    Column("type", String(32), nullable=False),
    Column("origin", String(64), nullable=False),
    Column("created", TS, nullable=False),
    Column("modified", TS, nullable=False),
    Column("revoked", Boolean, nullable=False),
    Column("current", Boolean, nullable=False),
    Column("markings", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("signature", String(128), nullable=True),
    Column("tlp", String(16), nullable=False),
    Column("handling", String(2), nullable=False),
    Column("country", String(2), nullable=True),
    Column("substance", String(64), nullable=True),
    Column("event_date", String(10), nullable=True),
    Column("search", Text, nullable=False),
    Column("added", TS, nullable=False),  # when this node stored the version (TAXII date_added)
    UniqueConstraint("id", "version"),
    # No index leads with the boolean `current`: planners would pick it over the id index.
    Index("ix_rv_type_seq", "type", "seq"),
    Index("ix_rv_country_seq", "country", "seq"),
    Index("ix_rv_substance_seq", "substance", "seq"),
    Index("ix_rv_event_date", "event_date"),
    Index("ix_rv_origin_seq", "origin", "seq"),
    # Covers the dashboard counts (which markings a role may read, by substance and month).
    Index("ix_rv_counts", "type", "current", "revoked", "tlp", "handling", "substance", "event_date"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("ts", TS, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(50), nullable=False),
    Column("target", String(200), nullable=True),
    Column("detail", Text, nullable=False),
    Column("leaf_hash", String(64), nullable=False),
    Index("ix_audit_action", "action"),
    Index("ix_audit_target", "target"),
)

tree_heads = Table(
    "tree_heads",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("root", String(64), nullable=False),
    Column("ts", TS, nullable=False),
    Column("signature", String(128), nullable=False),
)

# Roots of the log's complete chunks of leaves (audit/proofs.py), so a consistency proof to partners reads
# one row per chunk instead of every leaf. A cache: derived from audit_log, never trusted by a verifier.
audit_subtrees = Table(
    "audit_subtrees",
    metadata,
    Column("start", BigInteger, primary_key=True, autoincrement=False),  # first leaf; a multiple of the chunk
    Column("size", BigInteger, nullable=False),
    Column("root", String(64), nullable=False),
)

partners = Table(
    "partners",
    metadata,
    Column("node_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("country", String(2), nullable=True),
    Column("url", String(500), nullable=True),
    Column("public_key", String(64), nullable=False),
    Column("created", TS, nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
)

agreements = Table(
    "agreements",
    metadata,
    Column("partner", String(64), ForeignKey("partners.node_id"), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("document", Text, nullable=False),
    Column("created", TS, nullable=False),
    Column("created_by", String(200), nullable=False),
)
