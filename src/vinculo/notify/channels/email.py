"""E-mail through the SMTP server the operator configures: STARTTLS or implicit TLS, AUTH, plain text + HTML.

Python's smtplib (standard library): the server, not the library, is what varies between operators.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from html import escape

from vinculo.notify.settings import NotifySettings


class EmailError(RuntimeError):
    pass


def _context(s: NotifySettings) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=s.smtp_cafile) if s.smtp_cafile else ssl.create_default_context()
    return ctx


def message(s: NotifySettings, to: str, subject: str, lines: list[str]) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = s.smtp_from, to, subject[:200]
    msg.set_content("\n".join(lines) + "\n")
    html = "".join(f"<p>{escape(line)}</p>" for line in lines)
    msg.add_alternative(f"<!doctype html><html><body>{html}</body></html>", subtype="html")
    return msg


def send(s: NotifySettings, msg: EmailMessage) -> None:
    if not s.smtp_host:
        raise EmailError("no SMTP server configured (VINCULO_SMTP_HOST)")
    try:
        if s.smtp_security == "tls":
            client = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout, context=_context(s))
        else:
            client = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout)
        with client:
            if s.smtp_security == "starttls":
                client.starttls(context=_context(s))
            if s.smtp_user:
                client.login(s.smtp_user, s.smtp_password or "")
            client.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        raise EmailError(f"SMTP {s.smtp_host}:{s.smtp_port}: {type(exc).__name__}: {exc}"[:500]) from None
