"""Where a node keeps its files: the home folder and the database URL."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from vinculo.store.engine import sqlite_url


@dataclass(frozen=True)
class Home:
    path: Path
    db_url: str

    @property
    def key_file(self) -> Path:
        return self.path / "node_key.pem"

    @property
    def node_file(self) -> Path:
        return self.path / "node.json"


def resolve(home: str | Path | None = None, db_url: str | None = None) -> Home:
    """--home, else VINCULO_HOME, else the per-user data folder; --db, else VINCULO_DATABASE_URL, else SQLite."""
    path = Path(home or os.environ.get("VINCULO_HOME") or platformdirs.user_data_dir("vinculo")).expanduser()
    url = db_url or os.environ.get("VINCULO_DATABASE_URL") or sqlite_url(path.resolve() / "vinculo.db")
    return Home(path, url)
