"""Private matching between two nodes that each run two server processes on one PostgreSQL database:
the run is started through the initiator's server A and approved through its server B, and the
responder's stages are answered by its two processes in turn (its open stages live in the database)."""

from __future__ import annotations

import httpx
import pytest
from conftest import actor
from job_processes import processes, start, wait_http
from servers import free_port
from sqlalchemy import select, update

from vinculo.accounts import service as accounts
from vinculo.audit.checks import verify_node
from vinculo.deconfliction import alerts, psi_service
from vinculo.deconfliction.psi_channel import PsiChannel
from vinculo.federation import partners
from vinculo.federation.agreements import update_agreement
from vinculo.records import service
from vinculo.store.tables import partners as partner_table
from vinculo.store.tables_jobs import psi_pending

TERMS = {"record_types": ["phone"], "max_tlp": "amber", "start": "2020-01-01"}


def env_for(node) -> dict:
    import os

    return os.environ | {"VINCULO_HOME": str(node.home.path), "VINCULO_DATABASE_URL": node.home.db_url}


def _login(base: str, user: str, password: str) -> dict:
    r = httpx.post(base + "/api/v1/auth/login", json={"username": user, "password": password}, timeout=30)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def _point(node, partner: str, url: str) -> None:
    """Send this node's calls to `partner` to another of its processes (what a load balancer would do)."""
    with node.uow() as uow:
        uow.conn.execute(update(partner_table).where(partner_table.c.node_id == partner).values(url=url))
        uow.commit()


class RoundRobin(httpx.HTTPTransport):
    """Each request to the next of `ports`: every step of a run reaches another server process."""

    def __init__(self, ports: list[int]) -> None:
        super().__init__()
        self.ports, self.sent = ports, []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        port = self.ports[len(self.sent) % len(self.ports)]
        self.sent.append(port)
        request.url = request.url.copy_with(port=port)
        request.headers["host"] = f"127.0.0.1:{port}"
        return super().handle_request(request)


@pytest.mark.parametrize("databases", ["postgresql"], indirect=True)
def test_a_run_started_on_server_a_is_approved_on_server_b(make_node, tmp_path):
    us, mx = make_node("us-dea", "US"), make_node("mx-fgr", "MX")
    for user, role in (("ana", "analyst"), ("sam", "supervisor")):
        accounts.add_user(us, user, role, f"{role}-password-1")
    mine = service.create_record(us, actor(us, "analyst"), "phone", {"number": "+52 656 123 4567"})
    theirs = service.create_record(mx, actor(mx, "analyst"), "phone", {"number": "656 123 4567"})
    service.create_record(mx, actor(mx, "analyst"), "phone", {"number": "33 1111 2222"})
    a, b, c, d = (free_port() for _ in range(4))
    _, for_mx = partners.add_partner(us, "mx-fgr", "Mexico", mx.public_key_hex, f"http://127.0.0.1:{c}", "MX")
    _, for_us = partners.add_partner(mx, "us-dea", "United States", us.public_key_hex, f"http://127.0.0.1:{a}", "US")
    partners.store_pull_credential(us, "mx-fgr", for_us)
    partners.store_pull_credential(mx, "us-dea", for_mx)
    update_agreement(us, "mx-fgr", TERMS)
    update_agreement(mx, "us-dea", TERMS)
    with processes() as procs:
        for node, port in ((us, a), (us, b), (mx, c), (mx, d)):
            procs.append(start(env_for(node), "serve", "--no-jobs", "--sync-interval", "0", "--port", str(port),
                               out=tmp_path / f"{node.id}.{port}.out"))
        for port in (a, b, c, d):
            wait_http(f"http://127.0.0.1:{port}")
        server_a, server_b = f"http://127.0.0.1:{a}", f"http://127.0.0.1:{b}"
        r = httpx.post(server_a + "/api/v1/psi/runs", headers=_login(server_a, "ana", "analyst-password-1"),
                       json={"partner": "mx-fgr", "kinds": ["phone"]}, timeout=120)
        assert r.status_code == 201, r.text
        run = r.json()
        assert run["status"] == "counted" and run["result"]["kinds"]["phone"]["overlap"] == 1
        _point(us, "mx-fgr", f"http://127.0.0.1:{d}")  # the intersection goes to the responder's other process
        sam = _login(server_b, "sam", "supervisor-password-1")
        r = httpx.post(f"{server_b}/api/v1/psi/runs/{run['id']}/approve", headers=sam, timeout=120)
        assert r.status_code == 200, r.text
        done = r.json()
        assert done["status"] == "done" and done["result"]["notices"] == 1
        assert done["result"]["kinds"]["phone"]["confirmed"] is True
        # a second run, each of its requests to the responder's next process in turn
        transport = RoundRobin([c, d])
        with PsiChannel(us, "mx-fgr", http=httpx.Client(transport=transport, timeout=120)) as ch:
            again = psi_service.start_run(us, actor(us, "analyst"), "mx-fgr", ["phone"], channel=ch)
            finished = psi_service.approve_run(us, actor(us, "supervisor"), again["id"], channel=ch)
        assert set(transport.sent) == {c, d} and len(transport.sent) >= 5
        assert finished["status"] == "done" and finished["result"]["kinds"]["phone"]["confirmed"] is True
    assert {n["record"]["id"] for n in alerts.list_notices(us, actor(us, "supervisor"))} == {mine.id}
    assert {n["record"]["id"] for n in alerts.list_notices(mx, actor(mx, "supervisor"))} == {theirs.id}
    with mx.engine.connect() as conn:  # no stage left open on the responder, whichever process ran it
        assert conn.execute(select(psi_pending)).all() == []
    for n in (us, mx):
        result = verify_node(n)
        assert result.ok, result.problem
