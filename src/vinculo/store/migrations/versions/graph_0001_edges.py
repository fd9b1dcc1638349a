"""graph tables: relationship edge index and its change-feed position

Revision ID: graph_0001
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "graph_0001"
down_revision = "0001"
branch_labels = ("graph",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "graph_edges",
        sa.Column("rel_id", sa.String(80), nullable=False),
        sa.Column("source", sa.String(80), nullable=False),
        sa.Column("target", sa.String(80), nullable=False),
        sa.Column("rel_type", sa.String(32), nullable=False),
        sa.Column("source_type", sa.String(32), nullable=False),
        sa.Column("target_type", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("rel_id", name="pk_graph_edges"),
    )
    op.create_index("ix_graph_edges_source", "graph_edges", ["source"])
    op.create_index("ix_graph_edges_target", "graph_edges", ["target"])
    op.create_table(
        "graph_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_graph_state"),
    )


def downgrade() -> None:
    op.drop_table("graph_state")
    op.drop_table("graph_edges")
