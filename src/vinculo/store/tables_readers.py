"""Who a TLP:RED version names: one row per (version, local user it names), so that the read layer's SQL
prefilter can ask "does this version name this user" (`records/reads.py`). Written with the version, in
its transaction, by `records/repository.py` (the only writer); derived from the version's markings.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, String, Table

from vinculo.store.tables import metadata

record_readers = Table(
    "record_readers",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),  # record_versions.seq
    Column("reader", String(100), primary_key=True),
    Index("ix_record_readers_reader_seq", "reader", "seq"),
)
