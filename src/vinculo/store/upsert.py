"""INSERT ... ON CONFLICT DO UPDATE for SQLite and PostgreSQL (both speak the same clause)."""

from __future__ import annotations

from sqlalchemy import Connection, Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert


def placeholders(conn: Connection, n: int) -> str:
    """`n` bind markers for a plain-SQL statement, in the driver's style (sqlite3 `?`, psycopg `%s`)."""
    return ", ".join(["?" if conn.dialect.paramstyle == "qmark" else "%s"] * n)


def upsert_tuples(conn: Connection, table: Table, columns: list[str], keys: list[str], update: list[str],
                  rows: list[tuple]) -> None:
    """`upsert` for many rows given as tuples in `columns` order: one executemany of plain SQL, without
    building a dict and binding through SQLAlchemy per row (feed pages and receipts come 1,000s at a time)."""
    if rows:
        sets = ", ".join(f"{c} = excluded.{c}" for c in update)
        sql = (f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({placeholders(conn, len(columns))}) "
               f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sets}")
        conn.exec_driver_sql(sql, rows)


def upsert(conn: Connection, table: Table, rows: list[dict], keys: list[str], update: list[str]) -> None:
    if not rows:
        return
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(table)
    stmt = stmt.on_conflict_do_update(index_elements=keys, set_={c: stmt.excluded[c] for c in update})
    conn.execute(stmt, rows)
