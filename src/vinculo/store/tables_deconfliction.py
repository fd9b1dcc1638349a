"""Deconfliction tables: the selector index, correlation alerts, PSI runs and deconfliction notices.

The selector index is derived from the records (caught up from the change feed, ``dc_state.last_seq``);
alerts and notices hold record ids and the matched key, and every record they lead to still goes
through ``release()`` before it is shown.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, String, Table, Text, UniqueConstraint

from vinculo.store.tables import TS, metadata

dc_selectors = Table(
    "dc_selectors",
    metadata,
    Column("record_id", String(80), primary_key=True),
    Column("vhash", String(32), primary_key=True),  # sha256(kind, value) truncated; "!"-salted when invalid
    Column("kind", String(32), nullable=False),
    Column("value", Text, nullable=False),
    Column("valid", Boolean, nullable=False),
    Column("reason", String(300), nullable=True),
    Index("ix_dc_selectors_vhash", "vhash"),
    Index("ix_dc_selectors_kind", "kind"),
)

dc_state = Table(
    "dc_state",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("last_seq", BigInteger, nullable=False),
)

dc_alerts = Table(
    "dc_alerts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created", TS, nullable=False),
    Column("status", String(16), nullable=False),  # match | over-common
    Column("kind", String(32), nullable=False),
    Column("vhash", String(32), nullable=False),
    Column("value", Text, nullable=False),
    Column("record_a", String(80), nullable=False),  # "" for over-common
    Column("record_b", String(80), nullable=False),
    Column("holders", Integer, nullable=False),
    Column("seq", BigInteger, nullable=False),  # the change that raised (or last counted) it
    UniqueConstraint("vhash", "record_a", "record_b"),
)

dc_runs = Table(
    "dc_runs",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("partner", String(64), nullable=False),
    Column("role", String(10), nullable=False),  # initiator | responder
    Column("kinds", Text, nullable=False),  # JSON list of key families
    Column("stage", String(16), nullable=False),  # cardinality | intersection
    Column("status", String(16), nullable=False),  # counted | done | failed | refused
    Column("day", String(10), nullable=False),  # UTC date the run started (per-day limit)
    Column("created", TS, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("approved", TS, nullable=True),
    Column("approved_by", String(200), nullable=True),
    Column("result", Text, nullable=False),  # JSON: per kind sizes, overlap or hits, transcript hash
    Index("ix_dc_runs_partner_day", "partner", "day"),
)

dc_notices = Table(
    "dc_notices",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created", TS, nullable=False),
    Column("run_id", String(40), nullable=False),
    Column("partner", String(64), nullable=False),
    Column("contact", String(200), nullable=False),  # the partner node's name: whom to ask
    Column("kind", String(32), nullable=False),
    Column("vhash", String(32), nullable=False),
    Column("value", Text, nullable=False),  # our own selector value, never the partner's content
    Column("record_id", String(80), nullable=False),  # our own record holding it
    UniqueConstraint("run_id", "kind", "vhash", "record_id"),
)
