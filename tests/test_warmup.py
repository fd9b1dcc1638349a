"""The start-up warm-up: route tables built, the feed's queries compiled and dashboard counts computed
once a server starts, and `GET /api/v1/ready` saying when that is done."""

import time

import httpx
from conftest import SEIZURE, actor
from servers import serving
from sqlalchemy import func, select
from starlette.testclient import TestClient

from vinculo.api.app import create_app
from vinculo.api.warmup import build_routes
from vinculo.federation import outbox
from vinculo.records import dashboard
from vinculo.records import service as records
from vinculo.store.tables import audit_log
from vinculo.store.tables_federation import holdings


def _wait_ready(client: httpx.Client) -> float:
    t0 = time.monotonic()
    while time.monotonic() - t0 < 30:
        r = client.get("/api/v1/ready")
        if r.status_code == 200:
            assert r.json() == {"ready": True}
            return time.monotonic() - t0
        assert r.status_code == 503 and r.json() == {"ready": False}
        time.sleep(0.02)
    raise AssertionError("the node never became ready")


def test_not_ready_until_the_server_has_started_and_warmed(node):
    app = create_app(node)
    client = TestClient(app)  # not entered: the app's start-up (lifespan) has not run
    r = client.get("/api/v1/ready")
    assert r.status_code == 503 and r.json() == {"ready": False}


def test_a_started_server_becomes_ready_with_its_dashboard_counts_computed(node, monkeypatch):
    records.create_record(node, actor(node, "analyst"), "seizure", SEIZURE, {"tlp": "green"})
    warmed = []
    real, real_feed = dashboard.warm, outbox.warm
    monkeypatch.setattr(dashboard, "warm", lambda n: (real(n), warmed.append(("dashboard", n.id))))
    monkeypatch.setattr(outbox, "warm", lambda n: (real_feed(n), warmed.append(("feed", n.id))))
    with serving(node) as base, httpx.Client(base_url=base, timeout=30) as client:
        _wait_ready(client)
        assert warmed == [("feed", node.id), ("dashboard", node.id)]
        assert client.get("/api/v1/node").json()["id"] == node.id


def test_a_failed_warm_up_is_logged_and_the_node_still_becomes_ready(node, monkeypatch, caplog):
    def broken(_node):
        raise RuntimeError("counts failed")

    monkeypatch.setattr(dashboard, "warm", broken)
    with serving(node) as base, httpx.Client(base_url=base, timeout=30) as client:
        _wait_ready(client)
    assert "warm-up failed" in caplog.text


def test_build_routes_builds_every_lazily_built_route_table(node):
    app = create_app(node)
    visited = build_routes(app.router.routes)
    assert visited > len(app.router.routes)  # the included routers' own routes were reached too
    for route in app.router.routes:
        if hasattr(route, "effective_candidates"):  # FastAPI's lazily built include
            assert getattr(route, "_effective_candidates_version", 0) is not None


def test_the_feed_warm_up_compiles_its_queries_and_writes_nothing(node):
    records.create_record(node, actor(node, "analyst"), "seizure", SEIZURE, {"tlp": "green"})

    def rows() -> tuple[int, int]:
        with node.engine.connect() as conn:
            return tuple(conn.execute(select(func.count()).select_from(t)).scalar() for t in (audit_log, holdings))

    before = rows()
    cached = len(node.engine._compiled_cache)
    outbox.warm(node)
    assert len(node.engine._compiled_cache) >= cached + 5  # agreement, versions, withdrawals, holdings, more
    assert rows() == before
    assert outbox.feed(node, "nobody").objects == []  # and the feed still answers as before
