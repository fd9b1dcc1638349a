"""What the operator configures for notifications: the node's settings first, then `VINCULO_*` variables."""

from __future__ import annotations

import os
from dataclasses import dataclass

from vinculo.sharing.markings import TLP


@dataclass(frozen=True)
class NotifySettings:
    smtp_host: str | None
    smtp_port: int
    smtp_security: str  # starttls | tls | none
    smtp_user: str | None
    smtp_password: str | None
    smtp_from: str
    smtp_cafile: str | None
    smtp_timeout: float
    max_tlp: str  # the highest TLP whose content e-mail and webhooks may carry
    webhook_private: bool  # webhooks to loopback/private addresses (tests, a watch centre on the LAN)
    webhook_timeout: float
    webhook_attempts: int
    webhook_backoff: float  # seconds before the 2nd attempt; doubles each time
    webhook_max_failures: int  # consecutive failed deliveries before a webhook is disabled


def _get(node_settings: dict, name: str, default: str | None = None) -> str | None:
    key = name.lower()
    if node_settings.get(key) not in (None, ""):
        return str(node_settings[key])
    return os.environ.get(f"VINCULO_{name}", default)


def load(node_settings: dict | None = None) -> NotifySettings:
    s = node_settings or {}
    security = (_get(s, "SMTP_SECURITY", "starttls") or "starttls").lower()
    if security not in ("starttls", "tls", "none"):
        raise ValueError(f"VINCULO_SMTP_SECURITY={security!r}: one of starttls, tls, none")
    max_tlp = (_get(s, "NOTIFY_MAX_TLP", "green") or "green").lower()
    TLP(max_tlp)  # a bad value fails here, naming itself
    return NotifySettings(
        smtp_host=_get(s, "SMTP_HOST"), smtp_port=int(_get(s, "SMTP_PORT", "587") or 587),
        smtp_security=security, smtp_user=_get(s, "SMTP_USER"), smtp_password=_get(s, "SMTP_PASSWORD"),
        smtp_from=_get(s, "SMTP_FROM", "vinculo@localhost") or "vinculo@localhost",
        smtp_cafile=_get(s, "SMTP_CAFILE"), smtp_timeout=float(_get(s, "SMTP_TIMEOUT", "10") or 10),
        max_tlp=max_tlp, webhook_private=_get(s, "WEBHOOK_ALLOW_PRIVATE", "0") == "1",
        webhook_timeout=min(30.0, float(_get(s, "WEBHOOK_TIMEOUT", "5") or 5)),
        webhook_attempts=max(1, min(10, int(_get(s, "WEBHOOK_ATTEMPTS", "4") or 4))),
        webhook_backoff=float(_get(s, "WEBHOOK_BACKOFF", "1") or 1),
        webhook_max_failures=max(1, int(_get(s, "WEBHOOK_MAX_FAILURES", "5") or 5)),
    )
