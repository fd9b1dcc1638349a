"""federation: which partner each stored page of versions came from (receipts go only there)

Revision ID: federation_0002
Revises: federation_0001
"""
import sqlalchemy as sa
from alembic import op

revision = "federation_0002"
down_revision = "federation_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "received_pages",
        sa.Column("partner", sa.String(64), primary_key=True),
        sa.Column("first_seq", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("received_pages")
