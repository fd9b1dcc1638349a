"""`vinculo backup`: a consistent copy of a running node (database and home) in one sealed archive.

The database is copied while the node serves: SQLite through its online backup API (one step, inside one
read transaction, so the copy is one committed state); PostgreSQL by pg_dump from a snapshot exported by a
repeatable-read transaction, which also reads the manifest's audit size, root and schema revision, so the
manifest describes exactly the state dumped. The home (key, node.json, partner credentials) is copied beside
it, less the SQLite files and staged uploads. The archive (`sealed`) holds a gzip'd tar whose first member is
`manifest.json`: node, time, schema revision, audit size and root with its signed tree head, and the size and
SHA-256 of every other member.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, create_engine, select, text

from vinculo.audit.events import AuditEvent
from vinculo.node import pg_tools
from vinculo.node.context import Node
from vinculo.node.home import SQLITE_COMPANIONS, private_dir, private_file
from vinculo.node.sealed import SealedWriter, key_id, load_key
from vinculo.records.model import format_ts
from vinculo.store.engine import make_engine
from vinculo.store.tables import node_state, tree_heads

FORMAT = "vinculo-backup"
VERSION = 1
SQLITE_PART = "database/vinculo.sqlite"
PG_PART = "database/vinculo.pgdump"
SKIPPED_DIRS = {"uploads"}  # staged imports: transient, deleted after a day anyway
_COMPONENT = r"(?!\.\.?(?:/|$))[A-Za-z0-9._-]{1,255}"
HOME_PART = re.compile(rf"home/{_COMPONENT}(?:/{_COMPONENT})*")
"""The names a backup gives home files, and the only ones a restore accepts (no '.', '..', nothing absolute)."""


class BackupError(Exception):
    pass


@dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest: dict
    sha256: str
    skipped: list[str]


def _sha256(path: Path) -> tuple[int, str]:
    h, size = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
            size += len(block)
    return size, h.hexdigest()


def _state(conn: Connection) -> dict:
    """Schema revisions, audit size, root and tree head, in the connection's current snapshot."""
    revisions = sorted(r for (r,) in conn.execute(text("SELECT version_num FROM alembic_version")))
    size = conn.execute(select(node_state.c.audit_size).where(node_state.c.id == 1)).scalar_one()
    head = conn.execute(select(tree_heads).where(tree_heads.c.size == size)).one_or_none()
    audit = {"size": size, "root": head.root if head else None,
             "tree_head": {"ts": head.ts, "signature": head.signature} if head else None}
    return {"schema": {"revisions": revisions}, "audit": audit}


def _sqlite_snapshot(source: Path, out: Path) -> dict:
    private_file(out)
    src = sqlite3.connect(str(source), timeout=60)  # reads only
    dst = sqlite3.connect(out)
    try:
        src.backup(dst)  # pages=-1: the whole database in one step, one read transaction
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    finally:
        dst.close()
        src.close()
    engine = create_engine(f"sqlite:///{out}")
    try:
        with engine.connect() as conn:
            return _state(conn) | {"database": {"kind": "sqlite"}}
    finally:
        engine.dispose()


def _pg_snapshot(url: str, out: Path) -> dict:
    engine = make_engine(url)
    try:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
            conn.execute(text("SET TRANSACTION READ ONLY"))
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            schema = pg_tools.node_schema(conn)
            state = _state(conn)
            pg_tools.dump(url, conn, snapshot, schema, out)  # while this transaction holds the snapshot
            server = pg_tools.server_major(conn)
            conn.rollback()
    finally:
        engine.dispose()
    return state | {"database": {"kind": "postgresql", "schema": schema, "server": server}}


def _home_files(node: Node, skip: set[Path]) -> tuple[list[tuple[str, Path]], list[str]]:
    """(name in the archive, path) of the regular files in the home worth keeping, and the files left out
    because their names are not ones a restore accepts."""
    home = node.home.path.resolve()
    db = node.home.sqlite_file
    skip = {p.resolve() for p in skip}
    if db is not None:
        skip |= {db.resolve()} | {db.resolve().with_name(db.name + s) for s in SQLITE_COMPANIONS}
    found, odd = [], []
    for root, dirs, files in os.walk(home):
        here = Path(root)
        dirs[:] = sorted(d for d in dirs if (here / d).resolve() not in skip and not (here / d).is_symlink()
                         and not (here == home and d in SKIPPED_DIRS))
        for f in sorted(files):
            path = here / f
            if path.resolve() in skip or path.is_symlink() or not path.is_file():
                continue
            name = "home/" + path.relative_to(home).as_posix()
            (found if HOME_PART.fullmatch(name) else odd).append((name, path))
    return found, [str(p) for _, p in odd]


def _archive_name(node_id: str, at: dt.datetime) -> str:
    return f"vinculo-{node_id}-{at.strftime('%Y%m%dT%H%M%S%fZ')}.vbk"


def backup(node: Node, out_dir: Path, key_file: Path, by: str = "cli") -> BackupResult:
    key = load_key(key_file)
    out_dir = out_dir.expanduser()
    if out_dir.exists() and not out_dir.is_dir():
        raise BackupError(f"{out_dir}: not a folder")
    private_dir(out_dir)
    at = dt.datetime.now(dt.UTC)
    final = out_dir / _archive_name(node.id, at)
    work = Path(tempfile.mkdtemp(prefix=".vinculo-backup-", dir=out_dir))  # 0700, on the archive's disk
    try:
        if node.home.sqlite_file is not None:
            part, db_file = SQLITE_PART, work / "vinculo.sqlite"
            state = _sqlite_snapshot(node.home.sqlite_file, db_file)
        elif node.engine.dialect.name == "postgresql":
            part, db_file = PG_PART, work / "vinculo.pgdump"
            try:
                state = _pg_snapshot(node.home.db_url, db_file)
            except pg_tools.PgToolError as exc:
                raise BackupError(str(exc)) from None
        else:
            raise BackupError(f"{node.home.db_url}: only SQLite files and PostgreSQL can be backed up")
        copies = [(part, db_file)]
        files, skipped = _home_files(node, {out_dir, work})
        for name, path in files:
            copy = work / "home" / name
            copy.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            shutil.copyfile(path, copy)
            os.chmod(copy, 0o600)
            copies.append((name, copy))
        parts = []
        for name, path in copies:
            size, digest = _sha256(path)
            parts.append({"name": name, "size": size, "sha256": digest})
        manifest = {"format": FORMAT, "version": VERSION, "created": format_ts(at),
                    "node": {"id": node.id, "name": node.name, "country": node.country,
                             "public_key": node.public_key_hex},
                    **state, "key_id": key_id(key).hex(), "parts": parts}
        partial = work / "archive.partial"
        with open(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as raw:
            sealed = SealedWriter(raw, key)
            with gzip.GzipFile(fileobj=sealed, mode="wb", compresslevel=6, mtime=0) as gz, \
                    tarfile.open(fileobj=gz, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                _add(tar, "manifest.json", io.BytesIO(json.dumps(manifest, indent=2).encode()))
                for name, path in copies:
                    with open(path, "rb") as fh:
                        _add(tar, name, fh, path.stat().st_size)
            sealed.close()
            raw.flush()
            os.fsync(raw.fileno())
        _, archive_hash = _sha256(partial)
        os.replace(partial, final)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    with node.uow() as uow:
        uow.audit(AuditEvent(by, "node.backup", node.id,
                             {"archive": final.name, "sha256": archive_hash, "audit_size": state["audit"]["size"],
                              "schema": state["schema"]["revisions"]}))
        uow.commit()
    return BackupResult(final, manifest, archive_hash, skipped)


def _add(tar: tarfile.TarFile, name: str, fh, size: int | None = None) -> None:
    info = tarfile.TarInfo(name)
    info.size = size if size is not None else len(fh.getbuffer())
    info.mode, info.mtime = 0o600, 0
    tar.addfile(info, fh)
