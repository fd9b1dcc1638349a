"""gossip: partners' signed audit tree heads (with proofs and evidence), and a cache of the log's chunk roots

Revision ID: gossip_0001
Revises: federation_0002
"""
import sqlalchemy as sa
from alembic import op

revision = "gossip_0001"
down_revision = "federation_0002"
branch_labels = ("gossip",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "partner_tree_heads",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("partner", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root", sa.String(64), nullable=False),
        sa.Column("ts", sa.String(27), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
        sa.Column("received", sa.String(27), nullable=False),
        sa.Column("via", sa.String(8), nullable=False),
        sa.Column("proof_from", sa.BigInteger(), nullable=True),
        sa.Column("proof", sa.Text(), nullable=True),
        sa.Column("problem", sa.Text(), nullable=True),
        sa.Column("conflicts_with", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_partner_tree_heads"),
    )
    op.create_index("ix_partner_tree_heads_partner_id", "partner_tree_heads", ["partner", "id"])
    op.create_table(
        "audit_subtrees",
        sa.Column("start", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("start", name="pk_audit_subtrees"),
    )


def downgrade() -> None:
    op.drop_table("audit_subtrees")
    op.drop_index("ix_partner_tree_heads_partner_id", table_name="partner_tree_heads")
    op.drop_table("partner_tree_heads")
