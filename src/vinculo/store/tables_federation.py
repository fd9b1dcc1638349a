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

# The keys a node signed with, this node's own and each partner's, with the period each was in force: a
# version signed by a retired key verifies only if it was made (`modified`) inside that key's period.
# The key in force is still `node.public_key` / `partners.public_key`; a row is written for it when it
# replaces another (rotation statement or operator repin), and for the key it replaced.
key_periods = Table(
    "key_periods",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("node_id", String(64), nullable=False),  # this node or a partner
    Column("public_key", String(64), nullable=False),
    Column("valid_from", TS, nullable=True),  # None: since the node began
    Column("valid_to", TS, nullable=True),  # None: in force
    Column("compromised", Boolean, nullable=False, default=False),  # valid_to is the compromise time
    Column("source", String(16), nullable=False),  # first | rotation | repin
    Column("statement", Text, nullable=True),  # the signed rotation statement that brought this key in
    Column("recorded", TS, nullable=False),
    Index("ix_key_periods_node", "node_id", "public_key"),
)

# Partners' signed audit tree heads this node holds (gossip): each good head with the consistency proof
# from the good head before it; a head that failed its checks is kept as evidence with the problem and
# the id of the good head it conflicts with. Only sizes, roots, times, signatures and hashes.
partner_tree_heads = Table(
    "partner_tree_heads",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("partner", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("root", String(64), nullable=False),
    Column("ts", TS, nullable=False),  # the head's own (signed) time
    Column("signature", String(128), nullable=False),
    Column("received", TS, nullable=False),
    Column("via", String(8), nullable=False),  # pull: we fetched it | push: the partner sent it
    Column("proof_from", BigInteger, nullable=True),  # size of the good head the proof starts from
    Column("proof", Text, nullable=True),  # JSON list of 64-hex hashes
    Column("problem", Text, nullable=True),  # None: a good head; else why it is evidence
    Column("conflicts_with", Integer, nullable=True),  # the good head (id) it was checked against
    Index("ix_partner_tree_heads_partner_id", "partner", "id"),
)
