"""The node's files are the owner's only: db (and -wal/-shm), key, node file 0600, the home folder 0700,
whatever the umask and whatever the mode of a home folder that already existed."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from vinculo.accounts.model import Actor
from vinculo.node.home import resolve
from vinculo.node.service import init_node
from vinculo.records import service as records


def sqlite_file(db_url: str):
    return Path(db_url.removeprefix("sqlite:///")) if db_url.startswith("sqlite:///") else None


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(params=[0o022, 0o000], ids=["umask-022", "umask-000"])
def umask(request):
    old = os.umask(request.param)
    yield request.param
    os.umask(old)


def test_node_files_are_private(tmp_path, db_url, umask):
    home_dir = tmp_path / "existing-home"
    home_dir.mkdir(mode=0o755)
    os.chmod(home_dir, 0o755)  # a folder that already existed, readable by everyone
    home = resolve(home_dir, db_url)
    node = init_node(home, "us-dea", "US test agency", "US")
    try:
        records.create_record(node, Actor("sup", "supervisor", node.id), "person", {"full_name": "Juan Perez"})
        assert mode(home_dir) == 0o700
        assert mode(home.key_file) == 0o600
        assert mode(home.node_file) == 0o600
        db = sqlite_file(db_url)
        if db is not None:  # SQLite: the database and the WAL files SQLite made beside it while writing
            assert mode(db) == 0o600
            companions = [db.with_name(db.name + s) for s in ("-wal", "-shm")]
            assert [p for p in companions if p.exists()], "WAL mode leaves -wal/-shm while the engine is open"
            assert {p.name: mode(p) for p in companions if p.exists()} == {p.name: 0o600 for p in companions
                                                                            if p.exists()}
        assert not [p for p in home_dir.rglob("*") if mode(p) & 0o077], "nothing in the home is group/other-readable"
    finally:
        node.engine.dispose()


def test_default_sqlite_database_lives_in_the_home_and_is_private(tmp_path, umask, monkeypatch):
    monkeypatch.delenv("VINCULO_DATABASE_URL", raising=False)
    home = resolve(tmp_path / "new" / "home")
    node = init_node(home, "mx-fgr", "FGR", "MX")
    try:
        db = (tmp_path / "new" / "home").resolve() / "vinculo.db"
        assert sqlite_file(home.db_url) == db
        assert mode(db) == 0o600 and mode(home.path) == 0o700 and mode(home.node_file) == 0o600
    finally:
        node.engine.dispose()
