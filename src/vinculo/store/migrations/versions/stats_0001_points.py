"""stats tables: observation points and imports

Revision ID: stats_0001
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "stats_0001"
down_revision = "0001"
branch_labels = ("stats",)
depends_on = None

TS = sa.String(length=27)


def upgrade() -> None:
    op.create_table(
        "stats_points",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("series", sa.String(64), nullable=False),
        sa.Column("dims", sa.Text(), nullable=False),
        sa.Column("dims_hash", sa.String(64), nullable=False),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(32), nullable=False),
        sa.Column("attrs", sa.Text(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_stats_points"),
        sa.UniqueConstraint("source", "series", "dims_hash", "period",
                            name="uq_stats_points_source_series_dims_hash_period"),
    )
    op.create_index("ix_stats_points_source_series_period", "stats_points", ["source", "series", "period"])
    op.create_table(
        "stats_imports",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("file", sa.String(500), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("inserted", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("imported", TS, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_stats_imports"),
    )


def downgrade() -> None:
    op.drop_table("stats_imports")
    op.drop_table("stats_points")
