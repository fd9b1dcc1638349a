"""A hostile partner cannot stall or flood the exchange of audit tree heads: its answers are bounded in
bytes and time and parsed strictly, and what it posts to ours gets a 4xx, never a 5xx."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from servers import serving
from sqlalchemy import func, select

from vinculo.audit.treehead import sign_tree_head
from vinculo.federation import gossip, partners
from vinculo.federation.client import TaxiiClient
from vinculo.federation.head_store import MAX_EVIDENCE
from vinculo.federation.heads import head_json
from vinculo.federation.limits import pull_limits
from vinculo.node.keys import generate, public_hex
from vinculo.records.model import utcnow
from vinculo.store.tables_federation import partner_tree_heads


@pytest.fixture
def databases(request, tmp_path):  # SQLite only: what is tested is input handling
    from conftest import Databases

    return Databases("sqlite", tmp_path)


class Hostile:
    """Answers every request with `body` (bytes, or chunks sent `pause` seconds apart) and `status`."""

    def __init__(self, body, status: int = 200, pause: float = 0.0):
        self.body, self.status, self.pause = body, status, pause
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Connection", "close")
                self.end_headers()
                chunks = [outer.body] if isinstance(outer.body, bytes) else outer.body
                try:
                    for chunk in chunks:
                        self.wfile.write(chunk)
                        self.wfile.flush()
                        time.sleep(outer.pause)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_POST = do_GET

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


KEY = generate()


def exchange(node, hostile: Hostile) -> str:
    try:
        partners.partner_row(node, "mx-bad")
    except Exception:  # noqa: BLE001 - registered once per node
        partners.add_partner(node, "mx-bad", "Bad", public_hex(KEY), hostile.url, "MX")
    with TaxiiClient(hostile.url + "/taxii2/", token="vnp_x", limits=pull_limits(read_timeout=2)) as client:
        return gossip.exchange(node, "mx-bad", hostile.url, client)


def held(node) -> int:
    with node.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(partner_tree_heads)).scalar_one()


def good_head(size: int = 5) -> dict:
    return head_json("mx-bad", sign_tree_head(KEY, "mx-bad", size, b"\x01" * 32, utcnow()))


@pytest.mark.parametrize(("body", "pause", "status", "expect"), [
    (b"x" * 1_000_000, 0.0, 200, "more than 16,384 bytes"),
    ((b" " for _ in range(10_000)), 0.5, 200, "out of time"),  # one byte every half second: 5,000 s in all
    (json.dumps({"head": good_head() | {"size": 2**70}, "yours": None}).encode(), 0.0, 200, "head.size"),
    (json.dumps({"head": good_head() | {"size": 2**63}, "yours": None}).encode(), 0.0, 200, "head.size"),
    (orjson.dumps({"head": good_head(), "yours": -3}), 0.0, 200, "yours"),
    (orjson.dumps({"head": good_head(), "yours": None, "more": [1] * 10}), 0.0, 200, "not {head, yours}"),
    (b"[1, 2", 0.0, 200, "not JSON"),
    (b'{"detail": "no"}', 0.0, 404, "does not offer tree heads"),
    (b'{"detail": "' + b"a" * 5000 + b'"}', 0.0, 500, "HTTP 500"),
])
def test_a_hostile_answer_ends_the_exchange_with_a_line_and_nothing_stored(node, body, pause, status, expect):
    hostile = Hostile(body, status, pause)
    try:
        line = exchange(node, hostile)
    finally:
        hostile.close()
    assert expect in line and len(line) < 400, line
    assert held(node) == 0


def test_evidence_a_partner_can_make_us_keep_is_bounded(node):
    _, credential = partners.add_partner(node, "mx-bad", "Bad", public_hex(KEY), None, "MX")
    with serving(node) as base, httpx.Client(headers={"Authorization": f"Bearer {credential}"}) as http:
        for i in range(MAX_EVIDENCE + 20):  # heads signed by another key: each one a new conflict
            forged = head_json("mx-bad", sign_tree_head(generate(), "mx-bad", i, b"\x02" * 32, utcnow()))
            r = http.post(base + "/api/v1/federation/tree-head", json={"head": forged, "first": None, "proof": []})
            assert r.status_code == 409
    assert held(node) == MAX_EVIDENCE


JSONISH = st.recursive(st.none() | st.booleans() | st.integers(-2**63, 2**64 - 1) | st.text(max_size=80),
                       lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                                     max_size=5), max_leaves=20)


def test_whatever_a_partner_posts_or_asks_gets_an_answer_below_500(node):
    _, credential = partners.add_partner(node, "mx-bad", "Bad", public_hex(KEY), None, "MX")
    head = good_head()
    bodies = st.one_of(JSONISH, st.fixed_dictionaries({
        "head": st.one_of(JSONISH, st.builds(lambda k, v: head | {k: v}, st.sampled_from(sorted(head)), JSONISH)),
        "first": st.one_of(st.none(), st.integers(-2**63, 2**64 - 1)), "proof": st.one_of(JSONISH, st.lists(st.text(max_size=70)))}))
    params = st.dictionaries(st.sampled_from(["first", "second"]), st.one_of(st.integers(), st.text(max_size=30)))
    with serving(node) as base, httpx.Client(headers={"Authorization": f"Bearer {credential}"}) as http:

        @settings(max_examples=150, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(body=bodies, query=params)
        def probe(body, query):
            r = http.post(base + "/api/v1/federation/tree-head", content=orjson.dumps(body))
            assert r.status_code < 500, (body, r.text)
            q = {k: str(v) for k, v in query.items()}
            r = http.get(base + "/api/v1/federation/consistency", params=q)
            assert r.status_code < 500, (q, r.text)

        probe()
