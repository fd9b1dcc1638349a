"""Done means (issue 21): a record created at one node raises, on the other, an in-app notification over
server-sent events, an e-mail in a real SMTP server and a signed webhook, each with only what the subscriber
may see there: a field the agreement withholds is in none of them, and a TLP:RED record the partner
received reaches its supervisor but not its analyst."""

import json
import threading

import httpx
from conftest import SEIZURE, actor
from fed_helpers import pair
from receivers import smtp_server, webhook_server

from vinculo.accounts.service import add_user, create_token
from vinculo.federation import sync
from vinculo.notify import engine, live, service
from vinculo.notify.channels import webhook
from vinculo.records import service as records

TERMS = {"record_types": ["seizure"], "max_tlp": "red", "start": "2020-01-01",
         "withheld_fields": {"seizure": ["place"]}}


class SSE:
    """A real EventSource-like reader of one stream, on a thread."""

    def __init__(self, url: str, token: str) -> None:
        self.events: list[tuple[str, dict]] = []
        self.cond = threading.Condition()
        self.client = httpx.Client(timeout=httpx.Timeout(30, read=60))
        self.thread = threading.Thread(target=self._read, args=(url, token), daemon=True)
        self.thread.start()

    def _read(self, url: str, token: str) -> None:
        try:
            with self.client.stream("GET", url, headers={"Authorization": f"Bearer {token}"}) as r:
                event = None
                for line in r.iter_lines():
                    if line.startswith("event: "):
                        event = line[7:]
                    elif line.startswith("data: "):
                        with self.cond:
                            self.events.append((event, json.loads(line[6:])))
                            self.cond.notify_all()
        except httpx.HTTPError:
            pass

    def wait(self, kind: str, n: int = 1, timeout: float = 30) -> list[dict]:
        with self.cond:
            self.cond.wait_for(lambda: sum(e == kind for e, _ in self.events) >= n, timeout)
            return [d for e, d in self.events if e == kind]

    def close(self) -> None:
        self.client.close()


def test_a_partner_record_reaches_sse_email_and_webhook_with_only_what_may_be_seen(make_node, tmp_path):
    us, mx = make_node("us-dea", "US"), make_node("mx-fgr", "MX")
    for name, role in (("ana", "analyst"), ("sam", "supervisor")):
        add_user(mx, name, role, None)
    ana, sam = actor(mx, "analyst", "ana"), actor(mx, "supervisor", "sam")
    us_ana = actor(us, "analyst")
    mx.settings.update({"webhook_allow_private": "1", "webhook_backoff": "0.01"})
    with smtp_server(tmp_path) as (inbox, smtp), webhook_server() as (hooks, hook_url):
        mx.settings.update(smtp)
        with pair(us, mx, us_terms=TERMS) as (_us_url, mx_url, _c1, _c2):
            engine.run(mx)  # the matcher's positions start at the feed's end
            hook = service.add_webhook(mx, ana, hook_url)
            service.subscribe(mx, ana, {"kind": "records", "filter": {"origin": ["partner"], "type": ["seizure"]},
                                        "channels": ["inapp", "email", "webhook"], "email": "ana@mx.example",
                                        "webhook_id": hook["id"]})
            service.subscribe(mx, sam, {"kind": "records", "filter": {"origin": ["us-dea"]}})
            streams = {who: SSE(f"{mx_url}/api/v1/notifications/stream", create_token(mx, who))
                       for who in ("ana", "sam")}
            try:
                for s in streams.values():
                    assert s.wait("unread")[0]["unread"] == 0
                green = records.create_record(us, us_ana, "seizure", SEIZURE, {"tlp": "green"})
                # H3 (other conditions): on the receiving node, supervisors only (TLP:RED never leaves its node)
                red = records.create_record(us, actor(us, "supervisor"), "seizure", SEIZURE,
                                            {"tlp": "amber", "handling": "H3", "partners": ["mx-fgr"],
                                             "handling_text": "supervisors of the receiving unit only"})
                report = sync.pull(mx, "us-dea")
                assert report.new == 2
                (ana_live,) = streams["ana"].wait("notification")
                sam_live = streams["sam"].wait("notification", 2)
            finally:
                live.hub_for(mx.id).close_all()
                for s in streams.values():
                    s.close()
            mails = inbox.wait(1)
            (posted,) = hooks.wait(1)
    # in-app, live: the analyst hears of the green record only, without the withheld field
    assert ana_live["payload"]["id"] == green.id and ana_live["unread"] >= 1
    assert {e["payload"]["id"] for e in sam_live} == {green.id, red.id}
    assert "place" not in ana_live["payload"]["fields"] and ana_live["payload"]["fields"]["substance"] == "fentanyl"
    # e-mail and webhook: the same, nothing of the RED record, nothing withheld
    (mail,) = mails
    text = mail["message"].get_body(("plain",)).get_content() + mail["message"].get_body(("html",)).get_content()
    assert green.id in text and red.id not in text and "San Ysidro" not in text and mail["tls"]
    h = posted["headers"]
    assert webhook.verify(hook["secret"], h["x-vinculo-timestamp"], posted["body"], h["x-vinculo-signature"])
    assert red.id.encode() not in posted["body"] and b"San Ysidro" not in posted["body"]
    assert posted["json"]["notifications"][0]["payload"]["id"] == green.id
    assert service.list_items(mx, ana)[0]["payload"]["id"] == green.id and len(service.list_items(mx, ana)) == 1
    assert len(service.list_items(mx, sam)) == 2


ALERT = {"kind": "pill-press-mark", "title": "Blue M30 pills with a crown mark",
         "description": "Counterfeit oxycodone pressed with fentanyl, crown imprint on one face.",
         "issued": "2025-06-01", "substance": "fentanyl", "mark": "crown / M30", "country": "US"}


def test_a_broadcast_alert_is_sent_signed_and_raised_on_arrival_to_every_reader(make_node):
    us, mx = make_node("us-dea", "US"), make_node("mx-fgr", "MX")
    for name, role in (("ana", "analyst"), ("aud", "auditor"), ("adm", "admin")):
        add_user(mx, name, role, None)
    terms = {"record_types": ["alert"], "max_tlp": "amber", "start": "2020-01-01"}
    with pair(us, mx, us_terms=terms):
        engine.run(mx)
        made = records.create_record(us, actor(us, "analyst"), "alert", ALERT, {"tlp": "green"})
        held_back = records.create_record(us, actor(us, "analyst"), "alert", ALERT, {"tlp": "amber+strict"})
        assert sync.pull(mx, "us-dea").new == 1  # AMBER+STRICT never leaves its node
        engine.run(mx)
    items = service.list_items(mx, actor(mx, "analyst", "ana"))
    assert len(items) == 1, [(i["id"], i["payload"]["id"], i["subscription"], i["kind"]) for i in items]
    (ana,) = items
    assert ana["payload"]["id"] == made.id and ana["payload"]["origin"] == "us-dea"
    assert ana["payload"]["fields"]["mark"] == "crown / M30" and ana["subscription"] == 0
    (aud,) = service.list_items(mx, actor(mx, "auditor", "aud"))
    assert aud["payload"]["fields"] == {}  # auditors: the envelope only
    assert service.list_items(mx, actor(mx, "admin", "adm")) == []  # administrators read no records
    stored, _ = records.get_record(mx, actor(mx, "analyst", "ana"), made.id)
    assert stored.signature and stored.body["title"] == ALERT["title"]
    assert held_back.id not in json.dumps(service.list_items(mx, actor(mx, "analyst", "ana")))
