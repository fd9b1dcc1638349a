"""Link-analysis index: one edge per current, unrevoked ``relationship`` record.

Derived from the records (rebuilt incrementally from the change feed, `graph_state.last_seq`); it holds
no content of its own, and every record it leads to still goes through ``release()`` before it is shown.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table

from vinculo.store.tables import metadata

graph_edges = Table(
    "graph_edges",
    metadata,
    Column("rel_id", String(80), primary_key=True),
    Column("source", String(80), nullable=False),
    Column("target", String(80), nullable=False),
    Column("rel_type", String(32), nullable=False),
    Column("source_type", String(32), nullable=False),
    Column("target_type", String(32), nullable=False),
    Index("ix_graph_edges_source", "source"),
    Index("ix_graph_edges_target", "target"),
)

graph_state = Table(
    "graph_state",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("last_seq", BigInteger, nullable=False),
)
