"""`vinculo db migrate-to URL`: a SQLite node copied into PostgreSQL verifies there, and keeps serving."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import SEIZURE, Databases, actor
from sqlalchemy import func, select

from vinculo.audit.service import entries
from vinculo.jobs import service as jobs
from vinculo.node.context import open_node
from vinculo.node.home import resolve
from vinculo.node.migrate_to import MigrateError, migrate_to
from vinculo.records import service
from vinculo.store.tables import record_versions

CLI = [sys.executable, "-m", "vinculo.cli.main"]


@pytest.fixture
def pg(tmp_path):
    dbs = Databases("postgresql", tmp_path)
    yield dbs
    dbs.drop()


@pytest.mark.parametrize("databases", ["sqlite"], indirect=True)
def test_a_sqlite_node_moves_into_postgresql_and_verifies_there(node, pg):
    ana = actor(node, "analyst")
    made = [service.create_record(node, ana, "seizure", SEIZURE, {"tlp": "green"}) for _ in range(3)]
    service.update_record(node, ana, made[0].id, SEIZURE | {"form": "powder"})
    jobs.enqueue(node, "records.sign", key="records.sign:before-the-move")
    url = pg.new("moved")
    done = migrate_to(node, url)
    assert done.ok, done.problem
    assert done.rows["record_versions"] == 4 and done.rows["jobs"] == 1 and done.entries > 4
    moved = open_node(resolve(node.home.path, url))
    try:
        with moved.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(record_versions)).scalar_one() == 4
            assert [e["action"] for e in entries(conn, action="node.migrated", limit=5)] == ["node.migrated"]
        got, _ = service.get_record(moved, ana, made[0].id)
        assert got.version == 2 and got.body["form"] == "powder"
        again = service.create_record(moved, ana, "seizure", SEIZURE, {"tlp": "green"})  # sequences moved on
        assert again.id not in {m.id for m in made}
        assert jobs.enqueue(moved, "records.sign")  # the jobs table's ids too
        with pytest.raises(MigrateError, match="not empty"):
            migrate_to(node, url)
    finally:
        moved.engine.dispose()
    with pytest.raises(MigrateError, match="PostgreSQL URL"):
        migrate_to(node, "sqlite:////tmp/x.db")


@pytest.mark.parametrize("databases", ["sqlite"], indirect=True)
def test_the_cli_says_in_one_line_what_is_wrong(node):
    env = os.environ | {"VINCULO_HOME": str(node.home.path), "VINCULO_DATABASE_URL": node.home.db_url}
    done = subprocess.run([*CLI, "db", "migrate-to", "mysql://x"], env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1 and "PostgreSQL URL" in done.stderr
