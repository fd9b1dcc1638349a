"""`vinculo backup` and `vinculo restore` on real nodes (SQLite and PostgreSQL): a node backed up while it
serves and writes is restored into a new home and database and syncs with its partner both ways; a changed
archive, another key, a tampered node and a non-empty target are refused, and a refused restore leaves
nothing behind."""

import json
import stat
import threading

import pytest
import sqlalchemy as sa
from backup_helpers import Scratch, schema_of, tables_in
from conftest import SEIZURE, actor
from servers import serving

from vinculo.audit.checks import verify_node
from vinculo.audit.service import entries
from vinculo.federation import partners, sync
from vinculo.federation.agreements import update_agreement
from vinculo.node import pg_tools
from vinculo.node.backup import backup
from vinculo.node.context import open_node
from vinculo.node.home import resolve
from vinculo.node.restore import STAGING, RestoreError, restore
from vinculo.node.sealed import generate_key_file
from vinculo.records import service

TERMS = {"record_types": ["seizure", "person", "lab"], "max_tlp": "amber", "start": "2020-01-01"}
PERSON = {"full_name": "Juan Pérez López", "date_of_birth": "1980-02-03", "nationality": ["MX"]}
LAB = {"kind": "fentanyl-pressing", "status": "active", "country": "US"}


@pytest.fixture
def scratch():
    s = Scratch()
    yield s
    s.drop()


@pytest.fixture
def key(tmp_path):
    path = tmp_path / "backup.key"
    generate_key_file(path)
    return path


def target_db(databases, scratch, source_url):
    """Where a restore goes: SQLite in the new home; PostgreSQL in a new database, same schema name."""
    if databases.kind == "sqlite":
        return None
    return scratch.database(schema_of(source_url))


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_restored_node_syncs_with_its_partner(make_node, databases, scratch, key, tmp_path):
    us, mx = make_node("us-dea", "US"), make_node("mx-fgr", "MX")
    ana, mx_ana = actor(us, "analyst"), actor(mx, "analyst")
    service.create_record(us, ana, "seizure", SEIZURE, {"tlp": "amber"})
    service.create_record(us, ana, "person", PERSON, {"tlp": "green"})
    service.create_record(us, ana, "lab", LAB, {"tlp": "green"})
    service.create_record(mx, mx_ana, "seizure", SEIZURE | {"country": "MX"}, {"tlp": "green"})
    with serving(us) as us_url, serving(mx) as mx_url:
        us_port = int(us_url.rsplit(":", 1)[1])
        _, cred_for_mx = partners.add_partner(us, mx.id, "Mexico", mx.public_key_hex, mx_url, "MX")
        _, cred_for_us = partners.add_partner(mx, us.id, "United States", us.public_key_hex, us_url, "US")
        partners.store_pull_credential(mx, us.id, cred_for_mx)
        partners.store_pull_credential(us, mx.id, cred_for_us)
        update_agreement(us, mx.id, TERMS)
        update_agreement(mx, us.id, TERMS)
        assert sync.pull(mx, us.id).new == 3
        assert sync.pull(us, mx.id).new == 1  # us-dea now holds a version mx-fgr signed

        # back up while the node serves and an analyst keeps writing
        stop, written = threading.Event(), []

        def write():
            while not stop.is_set() and len(written) < 200:
                written.append(service.create_record(us, ana, "seizure", SEIZURE, {"tlp": "green"}).id)

        writer = threading.Thread(target=write)
        writer.start()
        try:
            made = backup(us, tmp_path / "backups", key)
        finally:
            stop.set()
            writer.join()
        assert mode(made.path) == 0o600 and mode(made.path.parent) == 0o700
        assert made.manifest["node"]["id"] == "us-dea" and made.manifest["audit"]["size"] > 0
        assert {p["name"] for p in made.manifest["parts"]} >= {"home/node_key.pem", "home/node.json",
                                                                "home/partners/mx-fgr.token"}
        with us.engine.connect() as conn:  # the live node audits the backup, with the archive's hash
            logged = entries(conn, action="node.backup")
        assert [e["detail"]["sha256"] for e in logged] == [made.sha256]

    # us-dea's machine is lost; its backup is restored into a new home and database
    us_home, us_db = us.home.path, us.home.db_url
    us.engine.dispose()
    new_home = tmp_path / "restored"
    result = restore(made.path, key, new_home, target_db(databases, scratch, us_db))
    restored = result.node
    assert restored.id == "us-dea" and restored.home.path == new_home and new_home != us_home
    assert result.entries == made.manifest["audit"]["size"] and result.records > 0 and result.signatures > 0
    assert not (new_home / STAGING).exists()
    assert mode(new_home) == 0o700
    assert all(mode(p) == 0o600 for p in new_home.rglob("*") if p.is_file())
    with restored.engine.connect() as conn:
        assert [e["action"] for e in entries(conn, after=result.entries - 1)] == ["node.restore"]

    with serving(restored, us_port), serving(mx, int(mx_url.rsplit(":", 1)[1])):
        service.create_record(restored, actor(restored, "analyst"), "lab", LAB, {"tlp": "green"})
        service.create_record(mx, mx_ana, "person", PERSON, {"tlp": "green"})
        from_restored = sync.pull(mx, "us-dea")  # the restored node serves with its old key and credentials
        assert from_restored.rejected == [] and from_restored.new >= 1
        from_mx = sync.pull(restored, "mx-fgr")  # and pulls with the credential mx-fgr issued to us-dea
        assert from_mx.rejected == [] and from_mx.new == 1
    for n in (restored, mx):
        check = verify_node(n)
        assert check.ok, check.problem
    restored.engine.dispose()


def test_changed_archive_or_other_key_is_refused(node, databases, scratch, key, tmp_path):
    service.create_record(node, actor(node, "analyst"), "seizure", SEIZURE, {"tlp": "green"})
    made = backup(node, tmp_path / "backups", key)
    data = bytearray(made.path.read_bytes())
    target = target_db(databases, scratch, node.home.db_url)

    changed = tmp_path / "changed.vbk"
    data[len(data) // 2] ^= 0x01
    changed.write_bytes(bytes(data))
    with pytest.raises(RestoreError, match="fails authentication; the archive was changed"):
        restore(changed, key, tmp_path / "a" / "deep" / "home", target)
    assert not (tmp_path / "a").exists()  # nor the folders made for the home

    truncated = tmp_path / "truncated.vbk"
    truncated.write_bytes(made.path.read_bytes()[:-40])
    with pytest.raises(RestoreError, match="truncated|fails authentication"):
        restore(truncated, key, tmp_path / "b", target)
    assert not (tmp_path / "b").exists()

    other = tmp_path / "other.key"
    generate_key_file(other)
    with pytest.raises(RestoreError, match="sealed with another backup key"):
        restore(made.path, other, tmp_path / "c", target)
    assert not (tmp_path / "c").exists()
    if target:
        assert tables_in(target, schema_of(node.home.db_url)) == []


def test_non_empty_home_or_database_is_never_overwritten(node, databases, scratch, key, tmp_path):
    made = backup(node, tmp_path / "backups", key)
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    with pytest.raises(RestoreError, match="not empty"):
        restore(made.path, key, busy)
    assert [p.name for p in busy.iterdir()] == ["notes.txt"]
    # the node's own database, as the target: refused, untouched
    with pytest.raises(RestoreError, match="not empty"):
        restore(made.path, key, tmp_path / "fresh", node.home.db_url)
    assert not (tmp_path / "fresh").exists()
    assert verify_node(node).ok


@pytest.mark.parametrize("tamper, check", [
    ("UPDATE audit_log SET detail = '{\"name\": \"someone else\"}' WHERE idx = 0", "audit log: entry 0"),
    ("UPDATE record_versions SET signature = :sig WHERE seq = (SELECT max(seq) FROM record_versions)",
     "record signatures: record .* signature does not verify"),
])
def test_a_node_that_does_not_verify_is_not_restored(node, databases, scratch, key, tmp_path, tamper, check):
    service.create_record(node, actor(node, "analyst"), "seizure", SEIZURE, {"tlp": "green"})
    with node.engine.begin() as conn:  # an intruder edits the database behind the node's back
        conn.execute(sa.text(tamper), {"sig": "ab" * 64} if ":sig" in tamper else {})
    made = backup(node, tmp_path / "backups", key)  # the backup copies what is there
    target = target_db(databases, scratch, node.home.db_url)
    with pytest.raises(RestoreError, match=check):
        restore(made.path, key, tmp_path / "restored", target)
    assert not (tmp_path / "restored").exists()
    if target:  # the schema pg_restore created is gone
        assert tables_in(target, schema_of(node.home.db_url)) == []


@pytest.mark.parametrize("databases", ["postgresql"], indirect=True)
def test_postgresql_restore_into_an_empty_schema_and_refusals(node, databases, scratch, key, tmp_path):
    made = backup(node, tmp_path / "backups", key)
    assert made.manifest["database"]["kind"] == "postgresql"
    schema = schema_of(node.home.db_url)
    # a fresh schema of another name in the same database: pg_restore cannot rename the schema
    other = databases.new("other")
    with pytest.raises(RestoreError, match="cannot rename a schema"):
        restore(made.path, key, tmp_path / "a", other)
    assert not (tmp_path / "a").exists() and tables_in(other, schema_of(other)) == []
    # an existing, empty schema of the right name in a new database: filled, then verified
    target = scratch.database(schema)
    engine = sa.create_engine(target)
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    # a node that does not verify, restored into that empty schema: refused, the schema left empty
    with node.engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_log SET actor = 'someone else' WHERE idx = 0"))
    tampered = backup(node, tmp_path / "tampered", key)
    with pytest.raises(RestoreError, match="audit log: entry 0"):
        restore(tampered.path, key, tmp_path / "b", target)
    assert not (tmp_path / "b").exists()
    engine = sa.create_engine(target)
    with engine.connect() as conn:  # no table, sequence, type or function of the refused restore is left
        assert pg_tools.schema_state(conn, schema) == "empty"
    engine.dispose()
    result = restore(made.path, key, tmp_path / "b", target)
    assert result.node.id == node.id and "record_versions" in tables_in(target, schema)
    result.node.engine.dispose()


def test_cli_keygen_backup_restore(node, databases, scratch, tmp_path):
    from typer.testing import CliRunner

    from vinculo.cli.main import app

    service.create_record(node, actor(node, "analyst"), "seizure", SEIZURE, {"tlp": "green"})
    runner = CliRunner()
    key = tmp_path / "k"
    env = {"VINCULO_HOME": str(node.home.path), "VINCULO_DATABASE_URL": node.home.db_url}
    made = runner.invoke(app, ["backup", "keygen", str(key)], env=env)
    assert made.exit_code == 0 and mode(key) == 0o600
    again = runner.invoke(app, ["backup", "keygen", str(key)], env=env)
    assert again.exit_code == 1 and "refusing to overwrite" in again.output
    out = runner.invoke(app, ["backup", str(tmp_path / "out"), "--key", str(key)], env=env)
    assert out.exit_code == 0, out.output
    archive = next((tmp_path / "out").glob("*.vbk"))
    args = ["restore", str(archive), "--key", str(key), "--dir", str(tmp_path / "new")]
    target = target_db(databases, scratch, node.home.db_url)
    bad = tmp_path / "bad.vbk"
    data = bytearray(archive.read_bytes())
    data[-5] ^= 0xFF
    bad.write_bytes(bytes(data))
    refused = runner.invoke(app, ["restore", str(bad), *args[2:]] + (["--db", target] if target else []), env=env)
    assert refused.exit_code == 1 and "restore refused" in refused.output and "fails authentication" in refused.output
    done = runner.invoke(app, args + (["--db", target] if target else []), env=env)
    assert done.exit_code == 0, done.output
    assert "restored node us-dea" in done.output and "verified: audit log" in done.output
    restored = open_node(resolve(tmp_path / "new", target))
    assert json.loads((tmp_path / "new" / "node.json").read_text())["id"] == "us-dea"
    assert verify_node(restored).ok
    restored.engine.dispose()


def test_backup_while_vinculo_serve_runs_in_another_process(node, databases, scratch, tmp_path):
    import os
    import subprocess
    import sys
    import time

    import httpx
    from servers import free_port

    service.create_record(node, actor(node, "analyst"), "seizure", SEIZURE, {"tlp": "green"})
    env = os.environ | {"VINCULO_HOME": str(node.home.path), "VINCULO_DATABASE_URL": node.home.db_url}
    cli = [sys.executable, "-m", "vinculo.cli.main"]
    port = free_port()
    server = subprocess.Popen([*cli, "serve", "--port", str(port), "--sync-interval", "0"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                httpx.get(f"http://127.0.0.1:{port}/api/v1/node", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        key = tmp_path / "k"
        generate_key_file(key)
        made = subprocess.run([*cli, "backup", str(tmp_path / "out"), "--key", str(key)], env=env,
                              capture_output=True, text=True, timeout=300, check=False)
        assert made.returncode == 0, made.stderr
        assert server.poll() is None  # still serving
    finally:
        server.terminate()
        server.wait(30)
    archive = next((tmp_path / "out").glob("*.vbk"))
    target = target_db(databases, scratch, node.home.db_url)
    done = subprocess.run([*cli, "restore", str(archive), "--key", str(key), "--dir", str(tmp_path / "new")]
                          + (["--db", target] if target else []), env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert "verified: audit log" in done.stdout
