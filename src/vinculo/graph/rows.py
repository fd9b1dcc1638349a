"""SQL helpers for reading relationship rows in bulk: fields extracted from the JSON body by the database,
rows fetched as plain tuples."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import Connection

from vinculo.records.projection import json_text as _json_text


def relationship_columns(conn: Connection) -> tuple:
    """``source_ref``, ``target_ref`` and ``relationship_type`` of a relationship row, extracted in SQL."""
    return (_json_text(conn, "source_ref").label("src"), _json_text(conn, "target_ref").label("dst"),
            _json_text(conn, "relationship_type").label("rtype"))


def raw(conn: Connection, stmt: sa.Select) -> list[tuple]:
    """Rows as plain tuples straight from the driver (no Row objects: this reads millions of rows), in the
    connection's transaction."""
    compiled = stmt.compile(dialect=conn.dialect)
    params = compiled.construct_params()
    args = tuple(params[k] for k in compiled.positiontup or ()) if compiled.positional else params
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(str(compiled), args)
        return cursor.fetchall()
    finally:
        cursor.close()
