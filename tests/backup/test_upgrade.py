"""A node made by an earlier release (tests/fixtures/upgrade_*, see make_upgrade_fixture.py) is migrated to this
release's schema, and its audit log, records and signatures still verify. SQLite upgrades the committed
database file itself; PostgreSQL loads the fixture's logical snapshot into a schema migrated to the fixture's
revisions, then upgrades it the same way."""

import json
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from conftest import actor

from vinculo.audit.checks import verify_node
from vinculo.audit.service import entries
from vinculo.node.context import open_node
from vinculo.node.home import resolve
from vinculo.node.upgrade import upgrade_node
from vinculo.records import service
from vinculo.records.query import build_filters
from vinculo.records.signatures import check_signatures
from vinculo.store.engine import make_engine, sqlite_url
from vinculo.store.migrate import alembic_config, upgrade

FIXTURES = sorted((Path(__file__).parent.parent / "fixtures").glob("upgrade_*"))


def heads() -> list[str]:
    return sorted(ScriptDirectory.from_config(alembic_config(None)).get_heads())


def copy_home(fixture: Path, tmp_path: Path) -> Path:
    home = tmp_path / "home"
    shutil.copytree(fixture / "home", home)
    home.chmod(0o700)
    for p in home.iterdir():
        p.chmod(0o600)  # git keeps 0644
    return home


def load_snapshot(fixture: Path, url: str) -> None:
    """Migrate an empty database to the fixture's revisions, then make its tables hold the fixture's rows
    (sequences moved past them)."""
    snap = json.loads((fixture / "snapshot.json").read_text())
    engine = make_engine(url)
    try:
        for revision in snap["revisions"]:
            upgrade(engine, revision)
        meta = sa.MetaData()
        meta.reflect(engine)
        with engine.begin() as conn:
            for table in reversed(meta.sorted_tables):  # rows the migrations seeded give way to the fixture's
                if table.name != "alembic_version":
                    conn.execute(table.delete())
            for table in meta.sorted_tables:
                data = snap["tables"].get(table.name)
                if table.name == "alembic_version" or not data or not data["rows"]:
                    continue
                conn.execute(table.insert(), [dict(zip(data["columns"], row, strict=True)) for row in data["rows"]])
                pk = list(table.primary_key.columns)
                if len(pk) == 1 and isinstance(pk[0].type, sa.Integer):
                    conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table.name}', '{pk[0].name}'), "
                                         f"(SELECT max({pk[0].name}) FROM {table.name}))"))
    finally:
        engine.dispose()


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.name for f in FIXTURES])
def test_a_node_from_an_earlier_release_upgrades_and_verifies(fixture, databases, tmp_path):
    home_path = copy_home(fixture, tmp_path)
    if databases.kind == "sqlite":
        url = sqlite_url(home_path / "vinculo.db")
    else:
        (home_path / "vinculo.db").unlink()
        url = databases.new("upgraded")
        load_snapshot(fixture, url)
    home = resolve(home_path, url)
    snap = json.loads((fixture / "snapshot.json").read_text())
    entries_before = len(snap["tables"]["audit_log"]["rows"])

    result = upgrade_node(home)
    assert result.before == snap["revisions"] and result.after == heads()
    assert result.ok, result.problem
    assert result.entries == entries_before and result.records == len(snap["tables"]["record_versions"]["rows"])

    node = open_node(home)
    try:
        with node.engine.connect() as conn:
            keys = {r.node_id: bytes.fromhex(r.public_key)
                    for r in conn.execute(sa.text("SELECT node_id, public_key FROM partners"))}
            signatures = check_signatures(conn, node.id, keys | {node.id: bytes.fromhex(node.public_key_hex)})
            upgraded = [e["action"] for e in entries(conn, after=entries_before - 1)]
        assert signatures.problem is None and signatures.checked >= 5
        assert upgraded == (["node.upgrade"] if result.before != result.after else [])
        sup = actor(node, "supervisor")
        held = service.list_records(node, sup, build_filters(), None, 100).items
        assert {r["type"] for r in held} >= {"seizure", "person", "lab", "shipment"}
        assert {r["origin"] for r in held} == {"us-dea", "mx-fgr"}
        person = next(r for r in held if r["type"] == "person")
        record, _ = service.get_record(node, sup, person["id"])
        assert record.body["full_name"] == "Juan Pérez López"
        # the upgraded node writes on: a new record and its audit entry verify with the old log
        service.create_record(node, actor(node, "analyst"), "lab", {"kind": "methamphetamine", "status": "active",
                                                                    "country": "US"})
        assert verify_node(node).ok
    finally:
        node.engine.dispose()
