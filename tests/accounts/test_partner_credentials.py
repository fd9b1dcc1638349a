"""Partner credentials: listed with their last use, revoked one by one or all at once, and a revoked one is
refused (401) on the very next request over real HTTP, on TAXII and on the partner API."""

from __future__ import annotations

import datetime as dt
import json

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from servers import serving
from typer.testing import CliRunner

from vinculo.audit.service import entries
from vinculo.cli.main import app as cli
from vinculo.federation import credentials, partners
from vinculo.node.keys import public_hex
from vinculo.records.model import parse_ts
from vinculo.sharing import service as sharing

TAXII = {"Accept": "application/taxii+json;version=2.1"}


@pytest.fixture
def mx(node):
    _, first = partners.add_partner(node, "mx-fgr", "FGR", public_hex(Ed25519PrivateKey.generate()), None, "MX")
    second = partners.issue_credential(node, "mx-fgr")
    sharing.set_agreement(node, "mx-fgr", {"record_types": ["seizure"], "max_tlp": "amber", "start": "2020-01-01"})
    return first, second


@pytest.fixture
def cli_env(home, db_url, monkeypatch):
    monkeypatch.setenv("VINCULO_HOME", str(home.path))
    monkeypatch.setenv("VINCULO_DATABASE_URL", db_url)
    return CliRunner()


def _get(client, credential: str, path: str = "/taxii2/api/collections/") -> int:
    return client.get(path, headers=TAXII | {"Authorization": f"Bearer {credential}"}).status_code


def test_a_revoked_credential_is_refused_at_once_over_http(node, mx, cli_env):
    first, second = mx
    with serving(node) as base, httpx.Client(base_url=base, timeout=30) as client:
        assert _get(client, first) == 200 and _get(client, second) == 200
        receipts = client.post("/api/v1/federation/receipts", content=b"{}",
                               headers={"Authorization": f"Bearer {first}", "Content-Type": "application/json"})
        assert receipts.status_code != 401

        listed = json.loads(cli_env.invoke(cli, ["partner", "credentials", "mx-fgr", "--json"]).output)
        assert [c["revoked"] for c in listed] == [False, False]
        assert all(c["last_used"] for c in listed)  # both authenticated a request just now
        first_id = listed[0]["id"]

        out = cli_env.invoke(cli, ["partner", "revoke-credential", "mx-fgr", str(first_id)])
        assert out.exit_code == 0 and "revoked 1 credential" in out.output, out.output
        assert _get(client, first) == 401  # the very next request, no restart
        assert _get(client, first, "/taxii2/") == 401
        refused = client.post("/api/v1/federation/receipts", content=b"{}",
                              headers={"Authorization": f"Bearer {first}", "Content-Type": "application/json"})
        assert refused.status_code == 401
        assert _get(client, second) == 200  # the other credential still works

        again = cli_env.invoke(cli, ["partner", "revoke-credential", "mx-fgr", str(first_id)])
        assert again.exit_code == 2 and "already revoked" in again.output
        missing = cli_env.invoke(cli, ["partner", "revoke-credential", "mx-fgr", "9999"])
        assert missing.exit_code == 2 and "no credential 9999" in missing.output

        everything = cli_env.invoke(cli, ["partner", "revoke-credential", "mx-fgr"])
        assert everything.exit_code == 0 and "revoked 1 credential" in everything.output
        assert _get(client, second) == 401

    table = cli_env.invoke(cli, ["partner", "credentials", "mx-fgr"]).output
    assert table.count("revoked 20") == 2  # both revoked, with the time
    with node.engine.connect() as conn:
        revocations = [e for e in entries(conn, limit=10_000) if e["action"] == "partner.credential.revoke"]
    assert [r["detail"]["credential_ids"] for r in revocations] == [[first_id], [listed[1]["id"]]]
    assert cli_env.invoke(cli, ["partner", "credentials", "nobody"]).exit_code == 2


def test_last_use_is_written_at_most_once_a_minute(node, mx):
    first, _ = mx
    partners.authenticate_partner(node, first)
    row = credentials.list_credentials(node, "mx-fgr")[0]
    used = parse_ts(row["last_used"])
    # Within the minute: nothing is written (the request's own read of last_used decides it).
    assert not credentials.touch(node.engine, row["id"], row["last_used"], now=used + dt.timedelta(seconds=59))
    # A caller that read an old value while another process already wrote a fresh one writes nothing either.
    assert not credentials.touch(node.engine, row["id"], None, now=used + dt.timedelta(seconds=30))
    assert credentials.list_credentials(node, "mx-fgr")[0]["last_used"] == row["last_used"]
    later = used + credentials.LAST_USED_EVERY + dt.timedelta(seconds=1)
    assert credentials.touch(node.engine, row["id"], row["last_used"], now=later)
    assert parse_ts(credentials.list_credentials(node, "mx-fgr")[0]["last_used"]) == later
