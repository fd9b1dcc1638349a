"""Bulk writes for SQLite and PostgreSQL: plain inserts of many rows (COPY on PostgreSQL) and
INSERT ... ON CONFLICT DO UPDATE (both speak the same clause)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert


def placeholders(conn: Connection, n: int) -> str:
    """`n` bind markers for a plain-SQL statement, in the driver's style (sqlite3 `?`, psycopg `%s`)."""
    return ", ".join(["?" if conn.dialect.paramstyle == "qmark" else "%s"] * n)


def insert_many(conn: Connection, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
    """Insert many rows given as tuples in `columns` order, inside the connection's transaction.

    On PostgreSQL through `COPY ... FROM STDIN` (psycopg 3's `Cursor.copy`), what PostgreSQL is built for:
    one statement streams the rows, where an executemany sends one INSERT a row (psycopg pipelines them,
    but the server still plans and executes each). On SQLite one executemany of plain SQL. Either way a
    constraint violation fails the whole call, and the caller's transaction with it."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection  # the psycopg connection, in SQLAlchemy's transaction
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        conn.exec_driver_sql(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders(conn, len(columns))})",
                             rows)


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
