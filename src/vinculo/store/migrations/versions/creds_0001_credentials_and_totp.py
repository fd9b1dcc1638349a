"""credentials and a second factor: partner credentials' last use and revocation time, TOTP seeds,
recovery codes; API tokens issued before tokens expired get an expiry (now + the default lifetime)

Revision ID: creds_0001
Revises: accounts_0001
"""
import datetime as dt
import os

import sqlalchemy as sa
from alembic import op

revision = "creds_0001"
down_revision = "accounts_0001"
branch_labels = ("creds",)
depends_on = ("federation_0001",)

TS = sa.String(length=27)
DEFAULT_TOKEN_DAYS = 90  # accounts.settings.DEFAULTS["token_days"]


def _default_days() -> int:
    raw = os.environ.get("VINCULO_TOKEN_DAYS", "")
    return int(raw) if raw.isascii() and raw.isdigit() and int(raw) > 0 else DEFAULT_TOKEN_DAYS


def upgrade() -> None:
    with op.batch_alter_table("partner_credentials") as batch:
        batch.add_column(sa.Column("last_used", TS, nullable=True))
        batch.add_column(sa.Column("revoked_at", TS, nullable=True))
    op.create_table(
        "totp",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", name="fk_totp_user_id_users"), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("created", TS, nullable=False),
        sa.Column("confirmed", TS, nullable=True),
        sa.Column("last_step", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_totp"),
    )
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", name="fk_recovery_codes_user_id_users"),
                  nullable=False),
        sa.Column("code_hash", sa.String(200), nullable=False),
        sa.Column("created", TS, nullable=False),
        sa.Column("used", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_recovery_codes"),
    )
    op.create_index("ix_recovery_codes_user_id", "recovery_codes", ["user_id"])
    # Tokens never expired before this revision: each open-ended one now lasts the default lifetime from today.
    until = (dt.datetime.now(dt.UTC) + dt.timedelta(days=_default_days())).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    tokens = sa.table("tokens", sa.column("expires", TS))
    op.execute(tokens.update().where(tokens.c.expires.is_(None)).values(expires=until))


def downgrade() -> None:
    op.drop_index("ix_recovery_codes_user_id", "recovery_codes")
    op.drop_table("recovery_codes")
    op.drop_table("totp")
    with op.batch_alter_table("partner_credentials") as batch:
        batch.drop_column("revoked_at")
        batch.drop_column("last_used")
