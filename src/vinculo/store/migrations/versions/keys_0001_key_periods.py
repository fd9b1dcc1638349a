"""keys: the keys each node (this one and its partners) signed with, and when each was in force

Revision ID: keys_0001
Revises: federation_0002
"""
import sqlalchemy as sa
from alembic import op

revision = "keys_0001"
down_revision = "federation_0002"
branch_labels = ("keys",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "key_periods",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("node_id", sa.String(64), nullable=False),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("valid_from", sa.String(27), nullable=True),
        sa.Column("valid_to", sa.String(27), nullable=True),
        sa.Column("compromised", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("statement", sa.Text(), nullable=True),
        sa.Column("recorded", sa.String(27), nullable=False),
    )
    op.create_index("ix_key_periods_node", "key_periods", ["node_id", "public_key"])


def downgrade() -> None:
    op.drop_index("ix_key_periods_node", table_name="key_periods")
    op.drop_table("key_periods")
