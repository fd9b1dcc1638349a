"""The notification centre in the browser's terms (real HTTP, session, CSRF): subscribe from the page, the
header's live stream, the list in English and Spanish, mark read."""

import sys
import threading
import time
from pathlib import Path

import httpx
from conftest import SEIZURE, actor
from servers import serving

sys.path.insert(0, str(Path(__file__).parent.parent / "web"))
from web_helpers import add_users, login, post_form

from vinculo.notify import live
from vinculo.records import service as records


def test_subscribe_live_count_list_in_both_languages_and_mark_read(node):
    add_users(node)
    with serving(node) as base, httpx.Client(base_url=base, timeout=30, follow_redirects=True) as web:
        login(web, "ana")
        page = web.get("/notifications")
        assert page.status_code == 200 and 'id="notify-unread"' in page.text and "/static/js/notify.js" in page.text
        bad = post_form(web, "/notifications", "/notifications/subscriptions", {"kind": "records", "quiet_start": "22"})
        assert bad.status_code == 422 and "quiet_end" in bad.text
        r = post_form(web, "/notifications", "/notifications/subscriptions",
                      {"kind": "records", "type": "seizure", "channel": "inapp", "mode": "immediate"})
        assert r.status_code == 200 and "seizure" in r.text
        frames: list[str] = []
        got = threading.Event()

        def listen():
            with web.stream("GET", "/notifications/stream") as s:
                for line in s.iter_lines():
                    frames.append(line)
                    if line.startswith("data: ") and len(frames) > 1 and frames[-2] == "event: notification":
                        got.set()
                        return

        reader = threading.Thread(target=listen, daemon=True)
        reader.start()
        for _ in range(200):  # the stream is open once its first frame came
            if frames:
                break
            time.sleep(0.05)
        rec = records.create_record(node, actor(node, "analyst"), "seizure", SEIZURE, {"tlp": "green"})
        assert got.wait(30)
        live.hub_for(node.id).close_all()
        reader.join(10)
        assert any(rec.id in f for f in frames)
        page = web.get("/notifications")
        assert "New seizure from us-dea" in page.text and "1 unread" in page.text
        post_form(web, "/notifications", "/lang", {"lang": "es", "next": "/notifications"})
        page = web.get("/notifications")
        assert "Notificaciones" in page.text and "Nuevo registro seizure de us-dea" in page.text
        post_form(web, "/notifications", "/notifications/read", {})
        assert "0 sin leer" in web.get("/notifications").text
