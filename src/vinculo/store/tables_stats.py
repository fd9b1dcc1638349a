"""Public statistics tables: observation points of time series and the imports that wrote them."""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, String, Table, Text, UniqueConstraint

from vinculo.store.tables import TS, metadata

# One observation. `dims` is canonical JSON (sorted keys) and identifies the series with source+series.
stats_points = Table(
    "stats_points",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(32), nullable=False),
    Column("series", String(64), nullable=False),
    Column("dims", Text, nullable=False),
    Column("dims_hash", String(64), nullable=False),
    Column("period", String(10), nullable=False),
    Column("value", Float, nullable=False),
    Column("unit", String(32), nullable=False),
    Column("attrs", Text, nullable=False),
    Column("import_id", Integer, nullable=False),
    UniqueConstraint("source", "series", "dims_hash", "period"),
    Index("ix_stats_points_source_series_period", "source", "series", "period"),
)

stats_imports = Table(
    "stats_imports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(32), nullable=False),
    Column("file", String(500), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("points", Integer, nullable=False),
    Column("inserted", Integer, nullable=False),
    Column("updated", Integer, nullable=False),
    Column("imported", TS, nullable=False),
    Column("actor", String(200), nullable=False),
)
