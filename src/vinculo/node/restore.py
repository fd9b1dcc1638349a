"""`vinculo restore`: open a sealed backup into a new home and database, and accept it only once it verifies.

In order: the target home must be absent or empty and the target database empty; the archive is opened
with the operator's key (every chunk authenticated) and unpacked into a folder inside the new home, each
member checked against the manifest's size and SHA-256; the home files and the database are put in place;
migrations run to this release's heads (an archive from an older release is upgraded; one from a newer
release is refused); then the audit log is verified (every entry, every signed tree head, its size and root
equal to the manifest's), every record version against its hash and audit entry, and every stored signature
against its origin's key. If anything fails, everything the restore wrote is deleted (the home it made or
filled, the SQLite file, the PostgreSQL schema or the objects it created in it) and the error names the check.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import select, text

from vinculo.audit.events import AuditEvent
from vinculo.audit.verify import verify_log
from vinculo.node import key_periods, pg_tools
from vinculo.node.backup import FORMAT, HOME_PART, PG_PART, SQLITE_PART, VERSION
from vinculo.node.context import Node, NodeNotFound, open_node
from vinculo.node.home import SQLITE_COMPANIONS, Home, private_dir, resolve
from vinculo.node.keys import public_from_hex
from vinculo.node.sealed import SealedReader, SealError, load_key
from vinculo.records.integrity import check_records
from vinculo.records.signatures import check_signatures
from vinculo.store.engine import make_engine, sqlite_url
from vinculo.store.migrate import alembic_config, upgrade
from vinculo.store.tables import partners

STAGING = ".restore-staging"
MAX_MANIFEST = 1 << 20


class RestoreError(Exception):
    """The restore was refused; nothing it wrote is left. The message names the check that failed."""


@dataclass(frozen=True)
class RestoreResult:
    node: Node
    manifest: dict
    entries: int
    records: int
    signatures: int
    unsigned: int
    upgraded: bool


@dataclass
class _Written:
    """What a restore wrote, to delete it if the restore is refused."""
    home: Path | None = None
    home_created: bool = False
    files: list[Path] = field(default_factory=list)
    pg: tuple[str, str, bool] | None = None  # (url, schema, schema created)
    made: Path | None = None  # the topmost folder created for the home

    def undo(self) -> None:
        for path in reversed(self.files):
            path.unlink(missing_ok=True)
        if self.pg is not None:
            url, schema, created = self.pg
            engine = make_engine(url)
            try:
                with engine.begin() as conn:
                    pg_tools.empty_schema(conn, schema, created)
            finally:
                engine.dispose()
        if self.home is not None:
            if self.home_created:
                shutil.rmtree(self.made or self.home, ignore_errors=True)
            else:  # it was empty: empty it again
                for child in self.home.iterdir():
                    if child.is_dir() and not child.is_symlink():
                        shutil.rmtree(child, ignore_errors=True)
                    else:
                        child.unlink(missing_ok=True)


def _check_target(target: Home) -> None:
    if target.path.exists():
        if not target.path.is_dir():
            raise RestoreError(f"{target.path}: exists and is not a folder")
        if any(target.path.iterdir()):
            raise RestoreError(f"{target.path}: not empty; restore into a new (or empty) home, never over one")
    db = target.sqlite_file
    if db is not None:
        for path in [db] + [db.with_name(db.name + s) for s in SQLITE_COMPANIONS]:
            if path.exists() and path.stat().st_size > 0:
                raise RestoreError(f"{path}: not empty; restore into a new database, never over one")


def _manifest(data: bytes) -> dict:
    try:
        manifest = json.loads(data)
    except ValueError:
        raise RestoreError("manifest: not valid JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise RestoreError("manifest: not a Vinculo backup manifest")
    if manifest.get("version") != VERSION:
        raise RestoreError(f"manifest: format version {manifest.get('version')!r}; this release reads {VERSION}")
    parts = manifest.get("parts")
    if not isinstance(parts, list) or not parts:
        raise RestoreError("manifest: lists no parts")
    names = set()
    for p in parts:
        if not (isinstance(p, dict) and isinstance(p.get("name"), str) and type(p.get("size")) is int
                and isinstance(p.get("sha256"), str)):
            raise RestoreError(f"manifest: a part is malformed: {p!r:.100}")
        if p["name"] not in (SQLITE_PART, PG_PART) and not HOME_PART.fullmatch(p["name"]):
            raise RestoreError(f"manifest: part name {p['name']!r:.100} is not one a backup writes")
        names.add(p["name"])
    if len(names) != len(parts) or len(names & {SQLITE_PART, PG_PART}) != 1:
        raise RestoreError("manifest: parts must be distinct and hold exactly one database")
    return manifest


def _unpack(archive: Path, key: bytes, staging: Path) -> dict:
    """Open, authenticate and unpack `archive` into `staging`; check every member against the manifest."""
    with open(archive, "rb") as raw:
        reader = SealedReader(raw, key, str(archive))
        with gzip.GzipFile(fileobj=reader, mode="rb") as gz, tarfile.open(fileobj=gz, mode="r|") as tar:
            first = tar.next()
            if first is None or first.name != "manifest.json" or not first.isfile() or first.size > MAX_MANIFEST:
                raise RestoreError(f"{archive}: its first member is not the manifest")
            manifest = _manifest(tar.extractfile(first).read())
            expected = {p["name"]: p for p in manifest["parts"]}
            seen = set()
            while (member := tar.next()) is not None:
                part = expected.get(member.name)
                if part is None or member.name in seen or not member.isfile():
                    raise RestoreError(f"{archive}: member {member.name!r:.100} is not in the manifest")
                seen.add(member.name)
                out = staging / member.name
                out.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                digest, size = hashlib.sha256(), 0
                source = tar.extractfile(member)
                with open(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as fh:
                    while block := source.read(1 << 20):
                        digest.update(block)
                        size += len(block)
                        fh.write(block)
                if size != part["size"] or digest.hexdigest() != part["sha256"]:
                    raise RestoreError(f"manifest: part {member.name} does not match its SHA-256 "
                                       f"(the archive was changed)")
            missing = set(expected) - seen
            if missing:
                raise RestoreError(f"{archive}: parts missing: {', '.join(sorted(missing))}")
        reader.drain()
    return manifest


def _check_revisions(manifest: dict) -> None:
    revisions = manifest.get("schema", {}).get("revisions")
    if not isinstance(revisions, list) or not revisions:
        raise RestoreError("manifest: no schema revision")
    script = ScriptDirectory.from_config(alembic_config(None))  # reads the scripts only
    known = {r.revision for r in script.walk_revisions()}
    unknown = [r for r in revisions if r not in known]
    if unknown:
        raise RestoreError(f"schema: revision {', '.join(unknown)} is not one this release knows (the archive "
                           "was made by a newer release: restore it with that one)")


def _place_files(staging: Path, target: Home, written: _Written) -> None:
    for path in sorted((staging / "home").rglob("*")):
        rel = path.relative_to(staging / "home")
        dest = target.path / rel
        if path.is_dir():
            private_dir(dest)
            continue
        private_dir(dest.parent)
        os.replace(path, dest)
        os.chmod(dest, 0o600)
        written.files.append(dest)


def _place_sqlite(staging: Path, target: Home, written: _Written) -> None:
    db = target.sqlite_file
    if db is None:
        raise RestoreError(f"--db {target.db_url}: the archive holds a SQLite database; restore it to a "
                           "SQLite file (the default, in the home)")
    if not db.parent.exists():
        private_dir(db.parent)
    written.files.append(db)
    written.files.extend(db.with_name(db.name + s) for s in SQLITE_COMPANIONS)
    shutil.move(str(staging / SQLITE_PART), db)
    os.chmod(db, 0o600)


def _place_pg(staging: Path, manifest: dict, target: Home, written: _Written) -> None:
    if not target.db_url.startswith("postgresql"):
        raise RestoreError("--db: the archive holds a PostgreSQL database; pass --db postgresql://… (a new, "
                           "empty database)")
    schema = manifest["database"].get("schema")
    if not isinstance(schema, str) or not schema:
        raise RestoreError("manifest: no PostgreSQL schema")
    engine = make_engine(target.db_url)
    try:
        with engine.connect() as conn:
            into = pg_tools.node_schema(conn)
            state = pg_tools.schema_state(conn, schema)
            server = pg_tools.server_major(conn)
    finally:
        engine.dispose()
    if into != schema:
        raise RestoreError(f"--db: the archive's tables are in schema {schema!r}, this database's search_path "
                           f"puts them in {into!r}; pg_restore cannot rename a schema: restore into a new "
                           f"database (or one whose search_path starts with {schema})")
    if state == "used":
        raise RestoreError(f"--db: schema {schema!r} is not empty; restore into a new database, never over one")
    written.pg = (target.db_url, schema, state == "absent")
    try:
        pg_tools.restore(target.db_url, staging / PG_PART, state == "empty", server, staging)
    except pg_tools.PgToolError as exc:
        raise RestoreError(f"database: {exc}") from None


def _verify(node: Node, manifest: dict) -> tuple[int, int, int, int]:
    """(audit entries, record versions, signatures checked, own versions not signed yet)."""
    with node.engine.connect() as conn:
        older = key_periods.by_node(conn)  # keys rotated away from: what they signed before still verifies
        log = verify_log(conn, node.id, node.key.public_key(),
                         [(public_from_hex(raw.hex()), until) for raw, until in older.get(node.id, ())])
        if not log.ok:
            raise RestoreError(f"audit log: {log.problem}")
        audit = manifest.get("audit", {})
        if (log.entries, log.root) != (audit.get("size"), audit.get("root")):
            raise RestoreError(f"audit log: holds {log.entries} entries with root {log.root}, the manifest says "
                               f"{audit.get('size')} with root {audit.get('root')}")
        checked, problem = check_records(conn)
        if problem:
            raise RestoreError(f"records: {problem}")
        keys = {r.node_id: bytes.fromhex(r.public_key)
                for r in conn.execute(select(partners.c.node_id, partners.c.public_key))}
        keys[node.id] = bytes.fromhex(node.public_key_hex)
        sigs = check_signatures(conn, node.id, keys, older)
        if sigs.problem:
            raise RestoreError(f"record signatures: {sigs.problem}")
    return log.entries, checked, sigs.checked, sigs.unsigned_own


def restore(archive: Path, key_file: Path, home: Path, db_url: str | None = None, by: str = "cli") -> RestoreResult:
    try:
        key = load_key(key_file)
    except SealError as exc:
        raise RestoreError(str(exc)) from None
    if not archive.is_file():
        raise RestoreError(f"{archive}: no such archive")
    home = home.expanduser()
    # never VINCULO_DATABASE_URL (`resolve`'s fallback): that is the live node's database
    target = resolve(home, db_url or sqlite_url(home.resolve() / "vinculo.db"))
    _check_target(target)
    made = target.path.resolve()
    while not made.parent.exists():  # the first folder the restore creates: removed if it is refused
        made = made.parent
    written = _Written(home=target.path, home_created=not target.path.exists(), made=made)
    node = None
    try:
        private_dir(target.path)
        staging = private_dir(target.path / STAGING)
        try:
            manifest = _unpack(archive, key, staging)
        except (SealError, tarfile.TarError, EOFError, OSError, gzip.BadGzipFile) as exc:
            raise RestoreError(str(exc) if isinstance(exc, SealError) else f"{archive}: unreadable ({exc})") from None
        _check_revisions(manifest)
        _place_files(staging, target, written)
        if manifest.get("database", {}).get("kind") == "postgresql":
            _place_pg(staging, manifest, target, written)
        else:
            _place_sqlite(staging, target, written)
        shutil.rmtree(staging)
        try:
            node = open_node(target)
        except (NodeNotFound, PermissionError, ValueError, KeyError) as exc:
            raise RestoreError(f"node: {exc}") from None
        if (node.id, node.public_key_hex) != (manifest["node"].get("id"), manifest["node"].get("public_key")):
            raise RestoreError(f"node: the restored node is {node.id}, the manifest names "
                               f"{manifest['node'].get('id')} (or another key)")
        with node.engine.connect() as conn:
            before = sorted(r for (r,) in conn.execute(text("SELECT version_num FROM alembic_version")))
        upgrade(node.engine)
        with node.engine.connect() as conn:
            after = sorted(r for (r,) in conn.execute(text("SELECT version_num FROM alembic_version")))
        entries, records, signatures, unsigned = _verify(node, manifest)
        with node.uow() as uow:
            uow.audit(AuditEvent(by, "node.restore", node.id,
                                 {"archive": archive.name, "created": manifest.get("created"),
                                  "audit_size": entries, "schema": after, "upgraded_from": before}))
            uow.commit()
    except BaseException:
        if node is not None:
            node.engine.dispose()
        written.undo()
        raise
    return RestoreResult(node, manifest, entries, records, signatures, unsigned, before != after)
