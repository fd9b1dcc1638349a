"""Federation tables: partner credentials, what each partner holds, withdrawals, sync cursors, receipts."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, ForeignKey, Index, Integer, String, Table, Text

from vinculo.store.tables import TS, metadata

# Credentials this node issued to a partner so it can pull (only the SHA-256 is kept).
partner_credentials = Table(
    "partner_credentials",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("partner", String(64), ForeignKey("partners.node_id"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created", TS, nullable=False),
    Column("revoked", Boolean, nullable=False, default=False),
    # when it last authenticated a request, written at most once a minute (federation.partners.LAST_USED_EVERY)
    Column("last_used", TS, nullable=True),
    Column("revoked_at", TS, nullable=True),
)

# The version of each record a partner was last sent (tombstones go to holders only).
holdings = Table(
    "holdings",
    metadata,
    Column("partner", String(64), primary_key=True),
    Column("record_id", String(80), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("withdrawn", Boolean, nullable=False),
    Column("updated", TS, nullable=False),
)

# Records a partner holds that became unreleasable without a new version (agreement narrowed).
withdrawals = Table(
    "withdrawals",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("partner", String(64), nullable=False),
    Column("record_id", String(80), nullable=False),
    Column("reason", Text, nullable=False),
    Column("created", TS, nullable=False),
    Index("ix_withdrawals_partner_seq", "partner", "seq"),
)

# Where this node is in each partner's change feed.
sync_state = Table(
    "sync_state",
    metadata,
    Column("partner", String(64), primary_key=True),
    Column("cursor", String(64), nullable=True),
    Column("receipts_seq", BigInteger, nullable=False, default=0),  # our seq up to which receipts were sent
    Column("last_run", TS, nullable=True),
    Column("last_result", Text, nullable=True),
)

# Receipts partners returned for what this node released to them.
receipts = Table(
    "receipts",
    metadata,
    Column("partner", String(64), primary_key=True),
    Column("record_id", String(80), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("status", String(20), nullable=False),  # stored | withdrawn
    Column("received_at", TS, nullable=False),
    Column("recorded", TS, nullable=False),
)

# The sequence numbers of the versions stored from each partner, a range per stored page: a receipt names
# only versions that came from the partner it goes to (never one relayed to us by somebody else).
received_pages = Table(
    "received_pages",
    metadata,
    Column("partner", String(64), primary_key=True),
    Column("first_seq", BigInteger, primary_key=True, autoincrement=False),
    Column("last_seq", BigInteger, nullable=False),
)
