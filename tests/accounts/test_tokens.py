"""API tokens expire (the operator's default and maximum, --expires-in capped at it); an expired token gets
401 with a problem that says so; owners list and revoke their own tokens, admins anyone's (API and CLI);
tokens from before expiry existed get one when the node migrates."""

from __future__ import annotations

import datetime as dt
import json

import httpx
import pytest
import sqlalchemy as sa
from servers import serving
from typer.testing import CliRunner

from vinculo.accounts import service as accounts
from vinculo.accounts import settings
from vinculo.accounts import tokens as token_service
from vinculo.accounts.service import AuthError
from vinculo.cli.main import app as cli
from vinculo.records.model import format_ts, parse_ts, utcnow
from vinculo.store.engine import make_engine
from vinculo.store.migrate import upgrade

PROBLEM = "application/problem+json"


@pytest.fixture
def people(node):
    for name, role in (("ana", "analyst"), ("bea", "analyst"), ("adm", "admin")):
        accounts.add_user(node, name, role, f"{name}-password-12")
    return node


def test_a_token_expires_after_its_lifetime(people):
    node = people
    now = utcnow()
    issued = token_service.create(node, "ana", "script", expires_in=dt.timedelta(hours=1), now=now)
    assert parse_ts(issued.expires) == now + dt.timedelta(hours=1) and not issued.capped
    assert accounts.authenticate(node, issued.token, now=now + dt.timedelta(minutes=59)).name == "ana"
    with pytest.raises(AuthError, match="token expired at"):
        accounts.authenticate(node, issued.token, now=now + dt.timedelta(hours=1, seconds=1))


def test_default_lifetime_and_maximum_come_from_the_operator(people, monkeypatch):
    node = people
    now = utcnow()
    plain = token_service.create(node, "ana", now=now)
    assert parse_ts(plain.expires) == now + dt.timedelta(days=90)
    node.settings.update(token_days="7", token_max_days="30")
    assert parse_ts(token_service.create(node, "ana", now=now).expires) == now + dt.timedelta(days=7)
    greedy = token_service.create(node, "ana", expires_in=dt.timedelta(days=1000), now=now)
    assert greedy.capped and parse_ts(greedy.expires) == now + dt.timedelta(days=30)
    node.settings.clear()
    monkeypatch.setenv("VINCULO_TOKEN_MAX_DAYS", "2")
    assert parse_ts(token_service.create(node, "ana", now=now).expires) == now + dt.timedelta(days=2)
    monkeypatch.setenv("VINCULO_TOKEN_MAX_DAYS", "forever")
    with pytest.raises(settings.SettingError, match="token_max_days"):
        token_service.create(node, "ana", now=now)
    for bad in ("0d", "12", "3w", "-1h", "1.5h", "١٢h"):
        with pytest.raises(settings.SettingError, match="expires-in"):
            settings.parse_duration(bad)
    assert settings.parse_duration("90m") == dt.timedelta(minutes=90)


def test_over_http_expired_and_revoked_tokens_get_401_and_owners_manage_their_own(people):
    node = people
    past = utcnow() - dt.timedelta(days=2)
    stale = token_service.create(node, "ana", "old", expires_in=dt.timedelta(days=1), now=past)
    with serving(node) as base, httpx.Client(base_url=base, timeout=30) as client:
        expired = client.get("/api/v1/me", headers={"Authorization": f"Bearer {stale.token}"})
        assert expired.status_code == 401 and expired.headers["content-type"].startswith(PROBLEM)
        assert "token expired at " + stale.expires in expired.json()["detail"]

        def login(name: str) -> dict:
            r = client.post("/api/v1/auth/login", json={"username": name, "password": f"{name}-password-12"})
            assert r.status_code == 200, r.text
            return {"Authorization": f"Bearer {r.json()['token']}"}

        ana, bea, adm = login("ana"), login("bea"), login("adm")
        made = client.post("/api/v1/tokens", json={"label": "nightly", "expires_in": "2d"}, headers=ana)
        assert made.status_code == 201, made.text
        script = made.json()
        assert script["token"].startswith("vn_") and not script["capped"]
        capped = client.post("/api/v1/tokens", json={"expires_in": "9999d"}, headers=ana).json()
        assert capped["capped"] is True
        bad = client.post("/api/v1/tokens", json={"expires_in": "soon"}, headers=ana)
        assert bad.status_code == 400 and "expires-in" in bad.json()["detail"]

        mine = client.get("/api/v1/tokens", headers=ana).json()["tokens"]
        assert {t["user"] for t in mine} == {"ana"} and script["id"] in {t["id"] for t in mine}
        assert all("token" not in t and "token_hash" not in t for t in mine)
        assert client.get("/api/v1/tokens?user=bea", headers=ana).status_code == 403
        everyone = client.get("/api/v1/tokens", headers=adm).json()["tokens"]
        assert {"ana", "bea", "adm"} <= {t["user"] for t in everyone}

        # Another user's token is answered as missing; the owner revokes it, and it is refused at once.
        assert client.delete(f"/api/v1/tokens/{script['id']}", headers=bea).status_code == 404
        script_auth = {"Authorization": f"Bearer {script['token']}"}
        assert client.get("/api/v1/me", headers=script_auth).status_code == 200
        assert client.delete(f"/api/v1/tokens/{script['id']}", headers=ana).status_code == 200
        gone = client.get("/api/v1/me", headers=script_auth)
        assert gone.status_code == 401 and "revoked" in gone.json()["detail"]
        # An admin revokes anyone's: bea's session ends.
        bea_id = client.get("/api/v1/tokens?user=bea", headers=adm).json()["tokens"][0]["id"]
        assert client.delete(f"/api/v1/tokens/{bea_id}", headers=adm).status_code == 200
        assert client.get("/api/v1/me", headers=bea).status_code == 401
        assert client.delete("/api/v1/tokens/0", headers=adm).status_code == 422


def test_cli_issues_lists_and_revokes(people, home, db_url, monkeypatch):
    node = people
    monkeypatch.setenv("VINCULO_HOME", str(home.path))
    monkeypatch.setenv("VINCULO_DATABASE_URL", db_url)
    monkeypatch.setenv("VINCULO_TOKEN_MAX_DAYS", "10")
    runner = CliRunner()
    made = runner.invoke(cli, ["token", "create", "ana", "--label", "etl", "--expires-in", "30d"])
    assert made.exit_code == 0, made.output
    assert "capped at the node's maximum of 10 days" in made.output
    token = made.output.splitlines()[0]
    assert accounts.authenticate(node, token).name == "ana"
    bad = runner.invoke(cli, ["token", "create", "ana", "--expires-in", "a while"])
    assert bad.exit_code == 2 and "expires-in" in bad.output
    listed = json.loads(runner.invoke(cli, ["token", "list", "--user", "ana", "--json"]).output)
    etl = next(t for t in listed if t["label"] == "etl")
    assert parse_ts(etl["expires"]) - parse_ts(etl["created"]) == dt.timedelta(days=10)
    out = runner.invoke(cli, ["token", "revoke", str(etl["id"])])
    assert out.exit_code == 0 and "revoked" in out.output
    with pytest.raises(AuthError, match="revoked"):
        accounts.authenticate(node, token)
    assert runner.invoke(cli, ["token", "revoke", "424242"]).exit_code == 2
    assert str(etl["id"]) not in runner.invoke(cli, ["token", "list"]).output.split()
    assert str(etl["id"]) in runner.invoke(cli, ["token", "list", "--revoked"]).output.split()


def test_tokens_from_before_expiry_get_one_when_the_node_migrates(databases):
    engine = make_engine(databases.new("old"))
    try:
        upgrade(engine, "accounts_0001")
        upgrade(engine, "federation_0001")
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO users (name, role, created, disabled) VALUES ('ana', 'analyst', "
                                 ":ts, false)"), {"ts": format_ts(utcnow())})
            conn.execute(sa.text("INSERT INTO tokens (user_id, token_hash, created, expires, revoked) VALUES "
                                 "(1, 'a', :ts, NULL, false), (1, 'b', :ts, :soon, false)"),
                         {"ts": format_ts(utcnow()), "soon": "2027-01-01T00:00:00.000000Z"})
        before = utcnow()
        upgrade(engine)
        after = utcnow()
        with engine.connect() as conn:
            rows = dict(conn.execute(sa.text("SELECT token_hash, expires FROM tokens")).all())
        assert rows["b"] == "2027-01-01T00:00:00.000000Z"  # an expiry already set is kept
        assert before <= parse_ts(rows["a"]) - dt.timedelta(days=90) <= after  # now + the default lifetime
    finally:
        engine.dispose()
