"""jobs: the background work queue, and the responder's open private-matching stages

Revision ID: jobs_0001
Revises: federation_0002
"""
import sqlalchemy as sa
from alembic import op

revision = "jobs_0001"
down_revision = "federation_0002"
branch_labels = ("jobs",)
depends_on = None

TS = sa.String(length=27)


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("key", sa.String(200), nullable=True, unique=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("run_after", TS, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("lease_until", TS, nullable=True),
        sa.Column("worker", sa.String(120), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("created", TS, nullable=False),
        sa.Column("finished", TS, nullable=True),
    )
    op.create_index("ix_jobs_status_run_after", "jobs", ["status", "run_after"])
    op.create_index("ix_jobs_kind_finished", "jobs", ["kind", "finished"])
    op.create_table(
        "psi_pending",
        sa.Column("run_id", sa.String(32), primary_key=True),
        sa.Column("partner", sa.String(64), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("cap", sa.Integer(), nullable=False),
        sa.Column("declared", sa.Text(), nullable=False),
        sa.Column("mine", sa.Text(), nullable=False),
        sa.Column("answered", sa.Text(), nullable=False),
        sa.Column("sets", sa.Text(), nullable=False),
        sa.Column("peers", sa.Text(), nullable=False),
        sa.Column("created", TS, nullable=False),
        sa.Column("expires", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("psi_pending")
    op.drop_index("ix_jobs_kind_finished", "jobs")
    op.drop_index("ix_jobs_status_run_after", "jobs")
    op.drop_table("jobs")
