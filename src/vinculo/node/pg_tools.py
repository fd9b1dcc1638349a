"""PostgreSQL's own tools for backups: pg_dump (custom format) from an exported snapshot, and pg_restore.

The password never goes on a command line (others can read those): it is handed to the tools in PGPASSWORD.
A node's tables live in one schema (the first of its search_path); the dump holds that schema only, and
pg_restore recreates it under the same name, so a restore goes into a database where that name is free or
an empty schema (pg_restore cannot rename a schema).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url


class PgToolError(Exception):
    pass


def _major(version_text: str) -> int:
    m = re.search(r"(\d+)(?:\.\d+)?", version_text)
    if not m:
        raise PgToolError(f"cannot read a version in {version_text!r}")
    return int(m.group(1))


def server_major(conn: Connection) -> int:
    return int(conn.execute(text("SHOW server_version_num")).scalar_one()) // 10000


def tool(name: str, major: int) -> str:
    """The path of `name` (pg_dump, pg_restore) at least as new as the server: VINCULO_<NAME> if set, else the
    one on PATH, else Debian's /usr/lib/postgresql/<major>/bin."""
    candidates = [os.environ.get(f"VINCULO_{name.upper()}"), shutil.which(name),
                  f"/usr/lib/postgresql/{major}/bin/{name}"]
    found = []
    for path in filter(None, candidates):
        if not os.access(path, os.X_OK):
            continue
        out = subprocess.run([path, "--version"], capture_output=True, text=True, check=False).stdout
        version = _major(out)
        if version >= major:
            return path
        found.append(f"{path} is {version}")
    raise PgToolError(f"{name} {major} or newer is needed for this PostgreSQL {major} server "
                      f"({'; '.join(found) or 'none found'}); install postgresql-client-{major} or set "
                      f"VINCULO_{name.upper()}")


def libpq(url: str) -> tuple[str, dict]:
    """A libpq connection URI for a SQLAlchemy URL, without its password, and the environment to run with."""
    u = make_url(url)
    env = os.environ.copy()
    if u.password is not None:
        env["PGPASSWORD"] = str(u.password)
    return u._replace(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def node_schema(conn: Connection) -> str | None:
    """The schema a connection creates tables in (the first existing one of its search_path), else the first
    one named in the search_path (not created yet)."""
    current = conn.execute(text("SELECT current_schema()")).scalar()
    if current:
        return current
    path = conn.execute(text("SHOW search_path")).scalar_one()
    names = [p.strip().strip('"') for p in path.split(",") if p.strip() and p.strip() != '"$user"']
    return names[0] if names else None


def _run(args: list[str], env: dict, what: str) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        detail = (done.stderr.strip() or done.stdout.strip()).splitlines()
        raise PgToolError(f"{what} failed: {' / '.join(detail[:5]) or f'exit code {done.returncode}'}")


def dump(url: str, conn: Connection, snapshot: str, schema: str, out: Path) -> None:
    """pg_dump `schema` as of the exported `snapshot` (held open by `conn`'s transaction) into `out`."""
    dsn, env = libpq(url)
    pg_dump = tool("pg_dump", server_major(conn))
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)
    pattern = '"' + schema.replace('"', '""') + '"'
    _run([pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--schema={pattern}",
          f"--file={out}", f"--dbname={dsn}"], env, "pg_dump")


def schema_state(conn: Connection, schema: str) -> str:
    """'absent', 'empty' or 'used' (it holds tables, sequences, views, types or functions)."""
    oid = conn.execute(text("SELECT oid FROM pg_namespace WHERE nspname = :s"), {"s": schema}).scalar()
    if oid is None:
        return "absent"
    used = conn.execute(text(
        "SELECT EXISTS (SELECT 1 FROM pg_class WHERE relnamespace = :o) "
        "OR EXISTS (SELECT 1 FROM pg_type WHERE typnamespace = :o) "
        "OR EXISTS (SELECT 1 FROM pg_proc WHERE pronamespace = :o)"), {"o": oid}).scalar()
    return "used" if used else "empty"


def restore(url: str, archive: Path, schema_exists: bool, server: int, workdir: Path) -> None:
    """pg_restore `archive` into `url`'s database in one transaction; when its schema already exists (empty),
    without the entries that would create it again."""
    dsn, env = libpq(url)
    pg_restore = tool("pg_restore", server)
    args = [pg_restore, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
    if schema_exists:
        listing = subprocess.run([pg_restore, "--list", str(archive)], capture_output=True, text=True,
                                 env=env, check=False)
        if listing.returncode != 0:
            raise PgToolError(f"pg_restore --list failed: {listing.stderr.strip()}")
        keep = [line for line in listing.stdout.splitlines()
                if not re.match(r"\d+; \d+ \d+ (SCHEMA|COMMENT) - ", line)]
        toc = workdir / "restore.list"
        toc.write_text("\n".join(keep) + "\n")
        os.chmod(toc, 0o600)
        args.append(f"--use-list={toc}")
    _run([*args, f"--dbname={dsn}", str(archive)], env, "pg_restore")


def empty_schema(conn: Connection, schema: str, created: bool) -> None:
    """Undo a restore: drop the schema it created, or everything in the (empty before) schema it filled."""
    q = conn.dialect.identifier_preparer.quote
    if created:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {q(schema)} CASCADE"))
        return
    for kind, name in conn.execute(text(
            "SELECT CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' "
            "WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END, c.relname FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = :s AND c.relkind IN ('r', 'p', 'S', 'v', 'm', 'f')"), {"s": schema}).all():
        conn.execute(text(f"DROP {kind} IF EXISTS {q(schema)}.{q(name)} CASCADE"))
    for (name,) in conn.execute(text(
            "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
            "WHERE n.nspname = :s AND t.typtype IN ('e', 'd', 'c', 'r') AND t.typelem = 0"), {"s": schema}).all():
        conn.execute(text(f"DROP TYPE IF EXISTS {q(schema)}.{q(name)} CASCADE"))
