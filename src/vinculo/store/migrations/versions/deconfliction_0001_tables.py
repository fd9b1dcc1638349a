"""deconfliction tables: selector index, alerts, PSI runs, notices

Revision ID: deconfliction_0001
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "deconfliction_0001"
down_revision = "0001"
branch_labels = ("deconfliction",)
depends_on = None

TS = sa.String(27)


def upgrade() -> None:
    op.create_table(
        "dc_selectors",
        sa.Column("record_id", sa.String(80), nullable=False),
        sa.Column("vhash", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("valid", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(300), nullable=True),
        sa.PrimaryKeyConstraint("record_id", "vhash", name="pk_dc_selectors"),
    )
    op.create_index("ix_dc_selectors_vhash", "dc_selectors", ["vhash"])
    op.create_index("ix_dc_selectors_kind", "dc_selectors", ["kind"])
    op.create_table(
        "dc_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dc_state"),
    )
    op.execute("INSERT INTO dc_state (id, last_seq) VALUES (1, 0)")
    op.create_table(
        "dc_alerts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("created", TS, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("vhash", sa.String(32), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("record_a", sa.String(80), nullable=False),
        sa.Column("record_b", sa.String(80), nullable=False),
        sa.Column("holders", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dc_alerts"),
        sa.UniqueConstraint("vhash", "record_a", "record_b", name="uq_dc_alerts_vhash_record_a_record_b"),
    )
    op.create_table(
        "dc_runs",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("partner", sa.String(64), nullable=False),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("kinds", sa.Text(), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("created", TS, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("approved", TS, nullable=True),
        sa.Column("approved_by", sa.String(200), nullable=True),
        sa.Column("result", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dc_runs"),
    )
    op.create_index("ix_dc_runs_partner_day", "dc_runs", ["partner", "day"])
    op.create_table(
        "dc_notices",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("created", TS, nullable=False),
        sa.Column("run_id", sa.String(40), nullable=False),
        sa.Column("partner", sa.String(64), nullable=False),
        sa.Column("contact", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("vhash", sa.String(32), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("record_id", sa.String(80), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dc_notices"),
        sa.UniqueConstraint("run_id", "kind", "vhash", "record_id",
                            name="uq_dc_notices_run_id_kind_vhash_record_id"),
    )


def downgrade() -> None:
    for table in ("dc_notices", "dc_runs", "dc_alerts", "dc_state", "dc_selectors"):
        op.drop_table(table)
