"""record_readers: the local users a TLP:RED version names (the read layer's prefilter reads it)

Revision ID: workday_0001
Revises: 0001
"""
import json

import sqlalchemy as sa
from alembic import op

revision = "workday_0001"
down_revision = "0001"
branch_labels = ("workday",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "record_readers",
        sa.Column("seq", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("reader", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("seq", "reader", name="pk_record_readers"),
    )
    op.create_index("ix_record_readers_reader_seq", "record_readers", ["reader", "seq"])
    # Versions stored before: a TLP:RED version naming recipients gets its rows (none did until now).
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT seq, markings FROM record_versions WHERE tlp = 'red'"))
    readers = [{"seq": seq, "reader": name} for seq, text in rows for name in json.loads(text).get("recipients", [])]
    if readers:
        conn.execute(sa.text("INSERT INTO record_readers (seq, reader) VALUES (:seq, :reader)"), readers)


def downgrade() -> None:
    op.drop_table("record_readers")
