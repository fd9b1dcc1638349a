"""accounts tables: failed-login counters (login throttling)

Revision ID: accounts_0001
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "accounts_0001"
down_revision = "0001"
branch_labels = ("accounts",)
depends_on = None

TS = sa.String(length=27)


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("key", sa.String(80), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure", TS, nullable=False),
        sa.Column("blocked_until", TS, nullable=True),
        sa.PrimaryKeyConstraint("key", name="pk_login_failures"),
    )


def downgrade() -> None:
    op.drop_table("login_failures")
