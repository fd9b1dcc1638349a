"""E-mail to a real SMTP server (STARTTLS, AUTH) and signed webhooks to a real HTTP server, both on loopback:
content above TLP:GREEN stays home unless the operator allows it; failing webhooks are retried with back-off,
logged, and disabled after repeated failures; every delivery is audited."""

import json

import pytest
from conftest import SEIZURE, actor
from receivers import SMTP_USER, smtp_server, webhook_server
from sqlalchemy import select

from vinculo.accounts import secretbox
from vinculo.accounts.service import add_user
from vinculo.notify import delivery, engine, service
from vinculo.notify.channels import webhook
from vinculo.records import service as records
from vinculo.records.model import RecordInvalid
from vinculo.store.tables import audit_log
from vinculo.store.tables_notify import notify_webhooks


@pytest.fixture
def ana(node):
    add_user(node, "ana", "analyst", None)
    engine.run(node)
    return actor(node, "analyst", "ana")


def audited(node, action):
    with node.engine.connect() as conn:
        rows = conn.execute(select(audit_log.c.action, audit_log.c.detail).where(audit_log.c.action == action))
        return [json.loads(r.detail) for r in rows]


def test_email_over_starttls_with_auth_plain_and_html_and_tlp_cap(node, ana, tmp_path):
    with smtp_server(tmp_path) as (inbox, smtp):
        node.settings.update(smtp)
        service.subscribe(node, ana, {"kind": "records", "channels": ["email"], "email": "ana@us.example"})
        green = records.create_record(node, ana, "seizure", SEIZURE, {"tlp": "green"})
        amber = records.create_record(node, ana, "seizure", SEIZURE | {"place": "Otay Mesa"}, {"tlp": "amber"})
        engine.run(node)
        assert delivery.deliver_due(node) == 2
        got = inbox.wait(2)
    assert inbox.logins == [SMTP_USER] * 2 and all(m["tls"] for m in got)
    by_id = {}
    for m in got:
        msg = m["message"]
        text = msg.get_body(("plain",)).get_content()
        html = msg.get_body(("html",)).get_content()
        by_id[green.id if green.id in text else "other"] = (msg["Subject"], text, html)
    subject, text, html = by_id[green.id]
    assert "San Ysidro" in text and "San Ysidro" in html
    subject, text, html = by_id["other"]
    assert "Otay Mesa" not in text + html + subject and amber.id not in text + html + subject
    assert "open Vinculo to read" in text and "TLP:AMBER" in subject
    sent = [d for d in audited(node, "notify.sent") if d["channel"] == "email"]
    assert len(sent) == 2 and {r for d in sent for r in d["records"]} == {green.id, amber.id}


def test_email_above_green_when_the_operator_allows_it(node, ana, tmp_path):
    with smtp_server(tmp_path) as (inbox, smtp):
        node.settings.update(smtp | {"notify_max_tlp": "amber"})
        service.subscribe(node, ana, {"kind": "records", "channels": ["email"], "email": "ana@us.example"})
        records.create_record(node, ana, "seizure", SEIZURE | {"place": "Otay Mesa"}, {"tlp": "amber"})
        engine.run(node)
        delivery.deliver_due(node)
        (m,) = inbox.wait(1)
    assert "Otay Mesa" in m["message"].get_body(("plain",)).get_content()


def test_signed_webhook_retries_log_and_disable(node, ana):
    node.settings.update({"webhook_allow_private": "1", "webhook_backoff": "0.01", "webhook_attempts": "3",
                          "webhook_max_failures": "2"})
    with webhook_server() as (hooks, url):
        hook = service.add_webhook(node, ana, url)
        service.subscribe(node, ana, {"kind": "records", "channels": ["webhook", "inapp"], "webhook_id": hook["id"]})
        rec = records.create_record(node, ana, "seizure", SEIZURE, {"tlp": "green"})
        engine.run(node)
        delivery.deliver_due(node)
        (got,) = hooks.wait(1)
        h = got["headers"]
        assert webhook.verify(hook["secret"], h["x-vinculo-timestamp"], got["body"], h["x-vinculo-signature"])
        with node.engine.connect() as conn:  # the secret is sealed at rest: a copy of the database alone can't sign
            (stored,) = conn.execute(select(notify_webhooks.c.secret)).scalars().all()
        assert hook["secret"] not in stored and stored.startswith(secretbox.PREFIX)
        assert not webhook.verify("another secret", h["x-vinculo-timestamp"], got["body"], h["x-vinculo-signature"])
        (n,) = got["json"]["notifications"]
        assert n["payload"]["id"] == rec.id and n["payload"]["fields"]["place"] == SEIZURE["place"]

        hooks.status = 500  # the receiver fails: 3 attempts each, disabled after 2 failed deliveries
        for _ in range(3):
            records.create_record(node, ana, "seizure", SEIZURE, {"tlp": "green"})
            engine.run(node)
            delivery.deliver_due(node)
        assert len(hooks.received) == 1 + 3 + 3  # the third delivery is not tried: disabled
    assert service.list_webhooks(node, ana)[0]["disabled"] is True
    log = delivery.deliveries(node, "ana")
    assert [d["status"] for d in log][:1] == ["disabled"] and sum(d["status"] == "failed" for d in log) == 6
    assert service.unread(node, ana) == 4  # the in-app centre has them all


def test_webhook_urls_are_checked(node, ana):
    for bad in ("ftp://example.org/x", "http://", "http://127.0.0.1:9/x", "https://" + "a" * 2000 + ".org"):
        with pytest.raises(RecordInvalid, match="url"):
            service.add_webhook(node, ana, bad)


def test_a_slow_webhook_times_out():
    import socket
    import time

    with socket.socket() as s:  # accepts, never answers
        s.bind(("127.0.0.1", 0))
        s.listen()
        started = time.monotonic()
        tries = webhook.deliver(f"http://127.0.0.1:{s.getsockname()[1]}/", "k", b"{}", 2, 0.3, 0.01)
    assert [t.ok for t in tries] == [False, False] and "Timeout" in tries[0].detail
    assert time.monotonic() - started < 30
