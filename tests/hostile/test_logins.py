"""Password guessing is throttled (per user name and per client address, state in the database), and the
answer to a login does not depend on whether the user exists (one argon2 verification either way)."""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest
from argon2 import PasswordHasher
from servers import serving
from typer.testing import CliRunner

from vinculo.accounts import service as accounts
from vinculo.accounts import throttle
from vinculo.accounts.service import AuthError, LoginThrottled
from vinculo.audit.service import entries
from vinculo.cli.main import app as cli
from vinculo.node.context import open_node

PASSWORD = "analyst-password-1"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


class Clock:
    """The time the accounts service sees; moved on by the test instead of sleeping."""

    def __init__(self):
        self.now = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, delta: dt.timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(accounts, "_now", c)
    return c


@pytest.fixture
def ana(node):
    accounts.add_user(node, "ana", "analyst", PASSWORD)
    return "ana"


def actions(node, prefix: str) -> list[str]:
    with node.engine.connect() as conn:
        return [e["action"] for e in entries(conn, limit=10_000) if e["action"].startswith(prefix)]


def guess(node, name: str, password: str, client: str | None = "198.51.100.7") -> str:
    """What the login answers: 'ok', 'wrong' or 'throttled'."""
    try:
        accounts.login(node, name, password, "api", client)
        return "ok"
    except LoginThrottled:
        return "throttled"
    except AuthError:
        return "wrong"


def test_forty_wrong_then_the_right_one_is_refused_until_the_window_passes(node, home, ana, clock):
    answers = [guess(node, "ana", f"wrong-password-{i}") for i in range(40)]
    limit = throttle.THRESHOLD["user"]
    assert answers == ["wrong"] * limit + ["throttled"] * (40 - limit)
    assert guess(node, "ana", PASSWORD) == "throttled"
    assert guess(node, "ana", PASSWORD, client="203.0.113.9") == "throttled"  # another address: still the user
    assert actions(node, "login.throttled") and "login" not in actions(node, "login")

    # The state is in the database: another process (a second node object on the same home) sees it.
    other = open_node(home)
    try:
        assert guess(other, "ana", PASSWORD) == "throttled"
    finally:
        other.engine.dispose()

    clock.advance(throttle.BASE_WINDOW + dt.timedelta(seconds=1))
    assert guess(node, "ana", PASSWORD) == "ok"
    assert guess(node, "ana", "wrong-again-123") == "wrong"  # success cleared the user's count


def test_an_operator_can_unthrottle_a_user(node, home, db_url, ana, clock, monkeypatch):
    for i in range(throttle.THRESHOLD["user"]):
        guess(node, "ana", f"wrong-{i}")
    assert guess(node, "ana", PASSWORD) == "throttled"
    monkeypatch.setenv("VINCULO_HOME", str(home.path))
    monkeypatch.setenv("VINCULO_DATABASE_URL", db_url)
    out = CliRunner().invoke(cli, ["user", "unthrottle", "ana"])
    assert out.exit_code == 0 and "cleared 1" in out.output, out.output
    assert guess(node, "ana", PASSWORD) == "ok"
    assert "login.unthrottled" in actions(node, "login.unthrottled")
    assert CliRunner().invoke(cli, ["user", "unthrottle"]).exit_code != 0  # neither a name nor an address


def test_the_window_grows_with_each_further_failure(node, ana, clock):
    for i in range(throttle.THRESHOLD["user"]):
        guess(node, "ana", f"wrong-{i}")
    first = throttle.window("user", throttle.THRESHOLD["user"])
    clock.advance(first + dt.timedelta(seconds=1))
    assert guess(node, "ana", "wrong-once-more") == "wrong"
    with pytest.raises(LoginThrottled) as refused:
        accounts.login(node, "ana", PASSWORD, "api", "198.51.100.7")
    # the window doubled: longer than the first, at most twice it (what passes in between is the clock's)
    assert first.total_seconds() < refused.value.retry_after <= (first * 2).total_seconds()
    clock.advance(first + dt.timedelta(seconds=1))
    assert guess(node, "ana", PASSWORD) == "throttled"  # the doubled window has not passed yet
    clock.advance(first)
    assert guess(node, "ana", PASSWORD) == "ok"


def test_one_address_trying_many_names_is_throttled(node, ana, clock):
    limit = throttle.THRESHOLD["addr"]
    answers = [guess(node, f"user{i}", "some-password-1", client="192.0.2.66") for i in range(limit + 1)]
    assert answers == ["wrong"] * limit + ["throttled"]
    assert guess(node, "ana", PASSWORD, client="192.0.2.66") == "throttled"
    assert guess(node, "ana", PASSWORD, client="192.0.2.67") == "ok"


def test_unknown_user_and_wrong_password_run_the_same_single_verification(node, ana, monkeypatch):
    accounts.add_user(node, "tok", "analyst", None)  # a user with a token only, no password
    seen: list[str] = []
    real = PasswordHasher.verify

    def counting(self, hash, password):
        seen.append(hash)
        return real(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    stored = {"ana": None}
    for name in ("nobody", "ana", "tok"):
        seen.clear()
        assert guess(node, name, "wrong-password-1", client=None) == "wrong"
        assert len(seen) == 1, name
        stored[name] = seen[0]
    assert stored["nobody"] == stored["tok"] == accounts._DUMMY_HASH
    assert stored["ana"] != accounts._DUMMY_HASH
    assert PasswordHasher().check_needs_rehash(accounts._DUMMY_HASH) is False  # same cost as real hashes


def test_api_and_web_answer_429_with_retry_after(node, ana, clock):
    with serving(node) as base, httpx.Client(base_url=base, timeout=30) as client:
        for i in range(throttle.THRESHOLD["user"]):
            r = client.post("/api/v1/auth/login", json={"username": "ana", "password": f"wrong-{i}"})
            assert r.status_code == 401
        r = client.post("/api/v1/auth/login", json={"username": "ana", "password": PASSWORD})
        assert r.status_code == 429 and r.headers["content-type"] == "application/problem+json"
        assert 0 < int(r.headers["retry-after"]) <= throttle.BASE_WINDOW.total_seconds()
        assert r.json()["status"] == 429 and "token" not in r.json()

        page = client.get("/login")
        form = {"csrf_token": CSRF_RE.search(page.text).group(1), "username": "ana", "password": PASSWORD,
                "next": "/"}
        r = client.post("/login", data=form)
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
        assert r.headers["content-type"].startswith("text/html") and 'id="login-error"' in r.text
        assert "vinculo_session" not in r.headers.get("set-cookie", "")

        clock.advance(throttle.BASE_WINDOW + dt.timedelta(seconds=1))
        r = client.post("/api/v1/auth/login", json={"username": "ana", "password": PASSWORD})
        assert r.status_code == 200 and r.json()["token"]
    assert "login.throttled" in actions(node, "login.throttled")
