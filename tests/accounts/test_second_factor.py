"""The second factor (TOTP): enrolment (CLI at once; API and web: start, then confirm with a first code),
login with a code (API field, web form field), codes never accepted twice, recovery codes single use, bad
codes counted by the login throttle, a role the operator names must enrol before anything else, seeds
encrypted at rest, every step audited."""

from __future__ import annotations

import datetime as dt
import re
import stat
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
import sqlalchemy as sa
from servers import serving
from typer.testing import CliRunner

from vinculo.accounts import second_factor, settings, throttle
from vinculo.accounts import service as accounts
from vinculo.accounts import totp as otp
from vinculo.accounts.service import (
    AuthError,
    LoginThrottled,
    SecondFactorMissing,
    SecondFactorUnreadable,
    SecondFactorWrong,
)
from vinculo.audit.service import entries
from vinculo.cli.main import app as cli

PASSWORD = "admin-password-12"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


class Clock:
    """The time the accounts service sees; moved on by the test instead of sleeping."""

    def __init__(self):
        self.now = dt.datetime.now(dt.UTC).replace(microsecond=0)

    def __call__(self) -> dt.datetime:
        return self.now

    def step(self, steps: int = 1) -> None:
        self.now += dt.timedelta(seconds=otp.STEP * steps)


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(accounts, "_now", c)
    return c


@pytest.fixture
def adm(node):
    accounts.add_user(node, "adm", "admin", PASSWORD)
    accounts.add_user(node, "ana", "analyst", "analyst-password-1")
    node.settings["totp_roles"] = "admin"
    return node


def secret_of(uri: str) -> str:
    return parse_qs(urlparse(uri).query)["secret"][0]


def actions(node) -> list[dict]:
    with node.engine.connect() as conn:
        return entries(conn, limit=10_000)


def cli_enrol(home, db_url, monkeypatch, name: str = "adm", *extra: str):
    monkeypatch.setenv("VINCULO_HOME", str(home.path))
    monkeypatch.setenv("VINCULO_DATABASE_URL", db_url)
    return CliRunner().invoke(cli, ["user", "totp-enroll", name, *extra])


def test_cli_enrols_and_the_api_login_needs_the_code_once(adm, home, db_url, monkeypatch, clock):
    node = adm
    out = cli_enrol(home, db_url, monkeypatch)
    assert out.exit_code == 0, out.output
    uri = next(line for line in out.output.splitlines() if line.startswith("otpauth://"))
    codes = re.findall(r"^  ([a-z2-9]{5}-[a-z2-9]{5})$", out.output, re.MULTILINE)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert "issuer=Vinculo" in uri and "adm" in uri
    secret = secret_of(uri)
    again = cli_enrol(home, db_url, monkeypatch)
    assert again.exit_code == 2 and "--replace" in again.output

    with serving(node) as base, httpx.Client(base_url=base, timeout=30) as client:
        def login(**extra) -> httpx.Response:
            return client.post("/api/v1/auth/login", json={"username": "adm", "password": PASSWORD, **extra})

        missing = login()
        assert missing.status_code == 401 and missing.json()["otp_required"] is True
        wrong = login(otp=f"{(int(otp.code_at(secret, clock.now)) + 1) % 10**6:06d}")
        assert wrong.status_code == 401 and "one-time code" in wrong.json()["detail"]
        code = otp.code_at(secret, clock.now)
        ok = login(otp=code)
        assert ok.status_code == 200, ok.text
        assert "enrol" not in ok.json()
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {ok.json()['token']}"})
        assert me.status_code == 200
        assert login(otp=code).status_code == 401  # the same code is never accepted twice
        clock.step()
        assert login(otp=otp.code_at(secret, clock.now)).status_code == 200  # the next one is
        # a code from one step back is still taken (drift) only if it is later than the last one used
        assert login(otp=otp.code_at(secret, clock.now - dt.timedelta(seconds=otp.STEP))).status_code == 401

        # recovery codes: any case and spacing, each once
        first = login(otp=codes[0].upper().replace("-", " "))
        assert first.status_code == 200, first.text
        assert login(otp=codes[0]).status_code == 401
        assert second_factor.status(node, "adm")["recovery_codes_left"] == 9

    log = actions(node)
    assert [e["detail"]["via"] for e in log if e["action"] == "totp.enrol"] == ["cli"]
    assert [e["detail"]["reason"] for e in log if e["action"] == "login.otp_failed"] == \
        ["missing", "wrong", "wrong", "wrong", "wrong"]
    assert [e["detail"]["second_factor"] for e in log if e["action"] == "login"] == ["totp", "totp", "recovery"]
    assert [e["detail"]["left"] for e in log if e["action"] == "login.recovery_code"] == [9]
    assert all(secret not in str(e) for e in log)  # the seed is in no audit entry

    reset = CliRunner().invoke(cli, ["user", "totp-reset", "adm"])
    assert reset.exit_code == 0 and "removed" in reset.output
    assert accounts.must_enrol(node, "adm")


def test_bad_codes_count_towards_the_login_throttle(adm, clock):
    node = adm
    uri, _ = second_factor.enrol(node, "adm", by="test")
    secret = secret_of(uri)
    for i in range(throttle.THRESHOLD["user"]):
        with pytest.raises(SecondFactorWrong):
            accounts.login(node, "adm", PASSWORD, "api", "198.51.100.7", otp=f"{i:06d}" if i else "nonsense")
    with pytest.raises(LoginThrottled):  # even the right password and the right code, until the window passes
        accounts.login(node, "adm", PASSWORD, "api", "198.51.100.7", otp=otp.code_at(secret, clock.now))
    clock.now += throttle.BASE_WINDOW + dt.timedelta(seconds=1)
    assert accounts.login(node, "adm", PASSWORD, "api", "198.51.100.7", otp=otp.code_at(secret, clock.now))
    with pytest.raises(SecondFactorMissing):  # a missing code is refused but not counted
        accounts.login(node, "adm", PASSWORD, "api", "198.51.100.7")


def test_an_admin_without_a_second_factor_must_enrol_first_over_the_api(adm, clock):
    node = adm
    with serving(node) as base, httpx.Client(base_url=base, timeout=30) as client:
        r = client.post("/api/v1/auth/login", json={"username": "adm", "password": PASSWORD})
        assert r.status_code == 200 and r.json()["enrol"] == "/api/v1/me/totp"
        auth = {"Authorization": f"Bearer {r.json()['token']}"}
        for path in ("/api/v1/me", "/api/v1/tokens", "/api/v1/partners"):
            refused = client.get(path, headers=auth)
            assert refused.status_code == 403, (path, refused.text)
            assert "enrol" in refused.json()["detail"] and refused.json()["enrol"] == "/api/v1/me/totp"
        assert client.get("/api/v1/me/totp", headers=auth).json() == {
            "enrolled": False, "pending": False, "recovery_codes_left": 0, "required": True}
        started = client.post("/api/v1/me/totp", headers=auth)
        assert started.status_code == 201
        secret = started.json()["secret"]
        assert secret_of(started.json()["uri"]) == secret
        assert client.get("/api/v1/me", headers=auth).status_code == 403  # started is not enrolled
        bad = client.post("/api/v1/me/totp/confirm", json={"code": "12345x"}, headers=auth)
        assert bad.status_code == 400 and "code" in bad.json()["detail"]
        done = client.post("/api/v1/me/totp/confirm", json={"code": otp.code_at(secret, clock.now)}, headers=auth)
        assert done.status_code == 200 and len(done.json()["recovery_codes"]) == 10
        assert client.get("/api/v1/me", headers=auth).status_code == 200
        assert client.post("/api/v1/me/totp", headers=auth).status_code == 400  # already enrolled
        # An analyst is not required to (the operator named admins only) and is not held back.
        ana = client.post("/api/v1/auth/login", json={"username": "ana", "password": "analyst-password-1"})
        assert "enrol" not in ana.json()
        assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {ana.json()['token']}"}).status_code == 200
    assert [e["action"] for e in actions(node) if e["action"].startswith("totp.")] == ["totp.start", "totp.enrol"]


def test_admins_must_enrol_by_default_and_the_operator_chooses_the_roles(node, monkeypatch):
    monkeypatch.delenv("VINCULO_TOTP_ROLES", raising=False)
    assert settings.totp_roles(node) == {"admin"}
    monkeypatch.setenv("VINCULO_TOTP_ROLES", "admin, supervisor")
    assert settings.totp_roles(node) == {"admin", "supervisor"}
    node.settings["totp_roles"] = "none"  # the node's own settings come first
    assert settings.totp_roles(node) == frozenset()
    node.settings["totp_roles"] = "admin,root"
    with pytest.raises(settings.SettingError, match="root"):
        settings.totp_roles(node)


def test_web_admin_is_sent_to_enrol_then_logs_in_with_the_code(adm, clock):
    node = adm
    with serving(node) as base, httpx.Client(base_url=base, timeout=30) as web:
        def csrf(path: str) -> str:
            return CSRF_RE.search(web.get(path).text).group(1)

        r = web.post("/login", data={"csrf_token": csrf("/login"), "username": "adm", "password": PASSWORD,
                                     "next": "/partners"})
        assert r.status_code == 303 and r.headers["location"] == "/account/totp"
        # Every other page sends the admin back to the enrolment page (through the log-in page).
        away = web.get("/partners")
        assert away.status_code == 303 and away.headers["location"].startswith("/login")
        assert web.get(away.headers["location"]).headers["location"] == "/account/totp"
        page = web.get("/account/totp")
        assert page.status_code == 200 and "must log in with a second factor" in page.text
        assert web.post("/account/totp/start", data={"csrf_token": csrf("/account/totp")}).status_code == 303
        page = web.get("/account/totp").text
        secret = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', page).group(1)
        assert "otpauth://totp/" in page
        wrong = web.post("/account/totp/confirm", data={"csrf_token": csrf("/account/totp"), "code": "000000"})
        assert wrong.status_code == 400 and "not the current code" in wrong.text
        done = web.post("/account/totp/confirm", data={"csrf_token": csrf("/account/totp"),
                                                      "code": otp.code_at(secret, clock.now)})
        assert done.status_code == 200
        assert len(re.findall(r"<li><code>[a-z2-9]{5}-[a-z2-9]{5}</code></li>", done.text)) == 10
        assert web.get("/partners").status_code == 200

        web.post("/logout", data={"csrf_token": csrf("/partners")})
        web.cookies.clear()
        no_code = web.post("/login", data={"csrf_token": csrf("/login"), "username": "adm", "password": PASSWORD})
        assert no_code.status_code == 401 and "6-digit code" in no_code.text
        clock.step()
        bad = web.post("/login", data={"csrf_token": csrf("/login"), "username": "adm", "password": PASSWORD,
                                       "otp": "999999" if otp.code_at(secret, clock.now) != "999999" else "999998"})
        assert bad.status_code == 401 and "Wrong one-time code" in bad.text
        ok = web.post("/login", data={"csrf_token": csrf("/login"), "username": "adm", "password": PASSWORD,
                                      "otp": otp.code_at(secret, clock.now), "next": "/partners"})
        assert ok.status_code == 303 and ok.headers["location"] == "/partners"
        assert web.get("/partners").status_code == 200
        es = web.get("/account/totp", headers={"Accept-Language": "es"})
        assert "Segundo factor" in es.text


def test_the_seed_is_encrypted_at_rest_with_a_private_key_file(adm, home):
    node = adm
    uri, codes = second_factor.enrol(node, "adm", by="test")
    secret = secret_of(uri)
    with node.engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT secret FROM totp")).scalar_one()
        hashes = conn.execute(sa.text("SELECT code_hash FROM recovery_codes")).scalars().all()
    assert secret not in stored and stored.startswith("aesgcm1:")
    assert len(hashes) == 10 and all(h.startswith("$argon2") for h in hashes)
    key = home.path / "secrets.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    # A row altered in the database does not open: a clear refusal (audited), not a crash.
    with node.engine.begin() as conn:
        conn.execute(sa.text("UPDATE totp SET secret = :s"), {"s": stored[:-6] + ("AAAA" if stored[-6:-2] != "AAAA"
                                                                                   else "BBBB") + stored[-2:]})
    with pytest.raises(SecondFactorUnreadable, match="does not open"):
        accounts.login(node, "adm", PASSWORD, "api", None, otp="123456")
    with node.engine.begin() as conn:
        conn.execute(sa.text("UPDATE totp SET secret = :s"), {"s": stored})
    # Without the key file no code can be checked (and no new key is made in its place); recovery codes still work.
    key.rename(home.path / "secrets.key.moved")
    with pytest.raises(SecondFactorUnreadable, match="missing"):
        accounts.login(node, "adm", PASSWORD, "api", None, otp="123456")
    assert not key.exists()
    assert accounts.login(node, "adm", PASSWORD, "api", None, otp=codes[0])
    with pytest.raises(AuthError):
        accounts.login(node, "adm", "wrong-password-1", "api", None, otp="123456")
    reasons = [e["detail"]["reason"] for e in actions(node) if e["action"] == "login.otp_failed"]
    assert reasons == ["unreadable", "unreadable"]
