"""Real nodes for the backup tests: served on a port of our choosing, partnered over real HTTP, and PostgreSQL
databases made (and dropped) for a restore."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from conftest import PG_URL


class Scratch:
    """New PostgreSQL databases for restores (pg_restore keeps the schema's name, so a restore of a node
    whose schema lives in the test database goes into a database of its own); dropped afterwards."""

    def __init__(self):
        self.names: list[str] = []

    def database(self, schema: str | None = None) -> str:
        name = "vinculo_restore_" + uuid.uuid4().hex[:10]
        engine = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(f"CREATE DATABASE {name}"))
        engine.dispose()
        self.names.append(name)
        url = sa.engine.make_url(PG_URL).set(database=name)
        text = url.render_as_string(hide_password=False)
        return f"{text}?options=-csearch_path%3D{schema}" if schema else text

    def drop(self) -> None:
        engine = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            for name in self.names:
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        engine.dispose()


def schema_of(url: str) -> str:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        schema = conn.execute(sa.text("SELECT current_schema()")).scalar_one()
    engine.dispose()
    return schema


def tables_in(url: str, schema: str) -> list[str]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        names = sorted(sa.inspect(conn).get_table_names(schema=schema)) \
            if sa.inspect(conn).has_schema(schema) else []
    engine.dispose()
    return names
