"""Accounts tables beyond users and tokens: failed-login counters that throttle password guessing, and the
second factor (TOTP seeds, encrypted; recovery codes, Argon2-hashed)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, String, Table, Text

from vinculo.store.tables import TS, metadata

# One row per throttled key: `user:<name>` or `addr:<client address>`. Kept in the database so the
# back-off survives a restart and holds across every process serving the node.
login_failures = Table(
    "login_failures",
    metadata,
    Column("key", String(80), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failure", TS, nullable=False),
    Column("blocked_until", TS, nullable=True),
)

# A user's TOTP (RFC 6238) seed, encrypted with the node's secrets key (accounts.secretbox). `confirmed` is
# empty while an enrolment waits for its first code; `last_step` is the last 30-second step accepted, so a
# code is never accepted twice.
totp = Table(
    "totp",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True, autoincrement=False),
    Column("secret", Text, nullable=False),
    Column("created", TS, nullable=False),
    Column("confirmed", TS, nullable=True),
    Column("last_step", BigInteger, nullable=False, default=0),
)

# Single-use recovery codes (Argon2 hashes, like passwords); `used` is set when one lets its user in.
recovery_codes = Table(
    "recovery_codes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("code_hash", String(200), nullable=False),
    Column("created", TS, nullable=False),
    Column("used", TS, nullable=True),
)
