"""Notification tables: subscriptions, webhooks, the notifications made for each user (the in-app centre
and the outbox of the external channels), the delivery log, and the matcher's positions.

A notification row keeps only what `release()` let its user see when it was made (a summary of the released
view), never the stored record.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, Integer, String, Table, Text

from vinculo.store.tables import TS, metadata

notify_subscriptions = Table(
    "notify_subscriptions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user", String(100), nullable=False),
    Column("kind", String(20), nullable=False),  # records | alerts | notices | sync
    Column("filter", Text, nullable=False),  # JSON
    Column("channels", Text, nullable=False),  # JSON list: inapp, email, webhook
    Column("mode", String(10), nullable=False),  # immediate | daily | weekly
    Column("quiet_start", Integer, nullable=True),  # hour UTC, 0-23
    Column("quiet_end", Integer, nullable=True),
    Column("only_new", Boolean, nullable=False),
    Column("email", String(254), nullable=True),
    Column("webhook_id", Integer, nullable=True),
    Column("from_seq", Integer, nullable=False),  # nothing at or below this feed position (no backfill)
    Column("from_alert", Integer, nullable=False),
    Column("last_digest", TS, nullable=True),
    Column("created", TS, nullable=False),
    Column("active", Boolean, nullable=False),
    Index("ix_notify_subscriptions_user", "user"),
)

notify_webhooks = Table(
    "notify_webhooks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user", String(100), nullable=False),
    Column("url", String(2000), nullable=False),
    Column("secret", String(200), nullable=False),  # sealed (accounts.secretbox)
    Column("failures", Integer, nullable=False),  # consecutive failed deliveries
    Column("disabled", Boolean, nullable=False),
    Column("created", TS, nullable=False),
)

notify_items = Table(
    "notify_items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user", String(100), nullable=False),
    Column("subscription_id", Integer, nullable=False),
    Column("created", TS, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("tlp", String(16), nullable=False),  # the highest TLP of what it names
    Column("payload", Text, nullable=False),  # JSON: what release() let the user see
    Column("record_ids", Text, nullable=False),  # JSON list
    Column("read", Boolean, nullable=False),
    Column("send_after", TS, nullable=True),  # external channels: not before (quiet hours, digests)
    Column("sent", Boolean, nullable=False),  # external channels done (or none)
    Index("ix_notify_items_user", "user", "id"),
    Index("ix_notify_items_pending", "sent", "send_after"),
)

notify_deliveries = Table(
    "notify_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", TS, nullable=False),
    Column("channel", String(10), nullable=False),
    Column("target", String(2000), nullable=False),
    Column("items", Text, nullable=False),  # JSON list of notify_items ids
    Column("attempt", Integer, nullable=False),
    Column("status", String(10), nullable=False),  # sent | failed | disabled
    Column("detail", Text, nullable=True),
    Index("ix_notify_deliveries_at", "at"),
)

notify_state = Table(
    "notify_state",
    metadata,
    Column("name", String(40), primary_key=True),  # seq | alert
    Column("value", Integer, nullable=False),
)
