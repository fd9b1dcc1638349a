"""federation tables: credentials, holdings, withdrawals, sync state, receipts

Revision ID: federation_0001
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "federation_0001"
down_revision = "0001"
branch_labels = ("federation",)
depends_on = None

TS = sa.String(length=27)


def upgrade() -> None:
    op.create_table(
        "partner_credentials",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("partner", sa.String(64), sa.ForeignKey("partners.node_id", name="fk_partner_credentials_partner_partners"),
                  nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created", TS, nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("token_hash", name="uq_partner_credentials_token_hash"),
    )
    op.create_table(
        "holdings",
        sa.Column("partner", sa.String(64), primary_key=True),
        sa.Column("record_id", sa.String(80), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("withdrawn", sa.Boolean(), nullable=False),
        sa.Column("updated", TS, nullable=False),
    )
    op.create_table(
        "withdrawals",
        sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("partner", sa.String(64), nullable=False),
        sa.Column("record_id", sa.String(80), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created", TS, nullable=False),
    )
    op.create_index("ix_withdrawals_partner_seq", "withdrawals", ["partner", "seq"])
    op.create_table(
        "sync_state",
        sa.Column("partner", sa.String(64), primary_key=True),
        sa.Column("cursor", sa.String(64), nullable=True),
        sa.Column("receipts_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_run", TS, nullable=True),
        sa.Column("last_result", sa.Text(), nullable=True),
    )
    op.create_table(
        "receipts",
        sa.Column("partner", sa.String(64), primary_key=True),
        sa.Column("record_id", sa.String(80), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("recorded", TS, nullable=False),
    )


def downgrade() -> None:
    for name in ("receipts", "sync_state", "withdrawals", "holdings", "partner_credentials"):
        op.drop_table(name)
