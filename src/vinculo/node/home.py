"""Where a node keeps its files: the home folder and the database URL, and how they are kept private.

Everything the node writes in its home is the owner's only: folders 0700, files 0600, whatever the umask or
the mode of a folder that already existed. A SQLite database file is created 0600 before SQLite opens it;
SQLite gives its -wal and -shm files the mode of the database file, so they follow.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs
from sqlalchemy.engine import make_url

from vinculo.store.engine import sqlite_url

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


@dataclass(frozen=True)
class Home:
    path: Path
    db_url: str

    @property
    def key_file(self) -> Path:
        return self.path / "node_key.pem"

    @property
    def pending_key_file(self) -> Path:
        """A new key while a rotation commits (`node.key_rotation`); moved over `key_file` once it has."""
        return self.path / "node_key.pem.new"

    @property
    def node_file(self) -> Path:
        return self.path / "node.json"

    @property
    def sqlite_file(self) -> Path | None:
        """The SQLite database file, or None (PostgreSQL, in-memory)."""
        url = make_url(self.db_url)
        if not url.drivername.startswith("sqlite") or not url.database or url.database == ":memory:":
            return None
        return Path(url.database)


def resolve(home: str | Path | None = None, db_url: str | None = None) -> Home:
    """--home, else VINCULO_HOME, else the per-user data folder; --db, else VINCULO_DATABASE_URL, else SQLite."""
    path = Path(home or os.environ.get("VINCULO_HOME") or platformdirs.user_data_dir("vinculo")).expanduser()
    url = db_url or os.environ.get("VINCULO_DATABASE_URL") or sqlite_url(path.resolve() / "vinculo.db")
    return Home(path, url)


def private_dir(path: Path) -> Path:
    """Create `path` (and parents) if needed; the folder itself ends 0700 even if it existed."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    os.chmod(path, PRIVATE_DIR)
    return path


def private_file(path: Path) -> Path:
    """Create `path` empty if missing; either way it ends 0600 (owner read/write only)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)
    finally:
        os.close(fd)
    return path


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path` (replacing it), 0600 whatever the umask or the mode of an old file."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    os.fchmod(fd, PRIVATE_FILE)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


def prepare_database_file(home: Home) -> None:
    """For SQLite: the database file exists 0600 before SQLite opens it (so -wal/-shm are 0600 too), and a
    companion file left by an earlier run is tightened. Folders SQLite would need are created 0700."""
    db = home.sqlite_file
    if db is None:
        return
    if not db.parent.exists():
        private_dir(db.parent)
    private_file(db)
    for suffix in SQLITE_COMPANIONS:
        companion = db.with_name(db.name + suffix)
        if companion.exists():
            os.chmod(companion, PRIVATE_FILE)
