"""notify tables: subscriptions, webhooks, notifications, delivery log, matcher positions

Revision ID: notify_0001
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "notify_0001"
down_revision = "0001"
branch_labels = ("notify",)
depends_on = None

TS = sa.String(length=27)


def upgrade() -> None:
    op.create_table(
        "notify_subscriptions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("user", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("filter", sa.Text(), nullable=False),
        sa.Column("channels", sa.Text(), nullable=False),
        sa.Column("mode", sa.String(10), nullable=False),
        sa.Column("quiet_start", sa.Integer(), nullable=True),
        sa.Column("quiet_end", sa.Integer(), nullable=True),
        sa.Column("only_new", sa.Boolean(), nullable=False),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("webhook_id", sa.Integer(), nullable=True),
        sa.Column("from_seq", sa.Integer(), nullable=False),
        sa.Column("from_alert", sa.Integer(), nullable=False),
        sa.Column("last_digest", TS, nullable=True),
        sa.Column("created", TS, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_notify_subscriptions_user", "notify_subscriptions", ["user"])
    op.create_table(
        "notify_webhooks",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("user", sa.String(100), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("secret", sa.String(200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created", TS, nullable=False),
    )
    op.create_table(
        "notify_items",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("user", sa.String(100), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("created", TS, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("tlp", sa.String(16), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("record_ids", sa.Text(), nullable=False),
        sa.Column("read", sa.Boolean(), nullable=False),
        sa.Column("send_after", TS, nullable=True),
        sa.Column("sent", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_notify_items_user", "notify_items", ["user", "id"])
    op.create_index("ix_notify_items_pending", "notify_items", ["sent", "send_after"])
    op.create_table(
        "notify_deliveries",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("target", sa.String(2000), nullable=False),
        sa.Column("items", sa.Text(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
    )
    op.create_index("ix_notify_deliveries_at", "notify_deliveries", ["at"])
    op.create_table(
        "notify_state",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("value", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    for name in ("notify_state", "notify_deliveries", "notify_items", "notify_webhooks", "notify_subscriptions"):
        op.drop_table(name)
