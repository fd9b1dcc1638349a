"""retention tables: own retention rules, the review list, received records purged

Revision ID: retention_0001
Revises: federation_0002
"""
import sqlalchemy as sa
from alembic import op

revision = "retention_0001"
down_revision = "federation_0002"
branch_labels = ("retention",)
depends_on = None

TS = sa.String(length=27)


def upgrade() -> None:
    op.create_table(
        "retention_rules",
        sa.Column("record_type", sa.String(32), primary_key=True),
        sa.Column("years", sa.Integer(), nullable=False),
        sa.Column("unless_linked_to_case", sa.Boolean(), nullable=False),
        sa.Column("set_by", sa.String(200), nullable=False),
        sa.Column("set_at", TS, nullable=False),
    )
    op.create_table(
        "retention_reviews",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("record_id", sa.String(80), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("listed_at", TS, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
    )
    op.create_index("ix_retention_reviews_status", "retention_reviews", ["status"])
    op.create_index("ix_retention_reviews_record_id", "retention_reviews", ["record_id"])
    op.create_table(
        "retention_purged",
        sa.Column("partner", sa.String(64), primary_key=True),
        sa.Column("record_id", sa.String(80), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("purged_at", TS, nullable=False),
        sa.Column("receipt_sent", TS, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("retention_purged")
    op.drop_index("ix_retention_reviews_record_id", "retention_reviews")
    op.drop_index("ix_retention_reviews_status", "retention_reviews")
    op.drop_table("retention_reviews")
    op.drop_table("retention_rules")
