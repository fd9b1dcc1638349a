"""Fixtures: every node test runs on SQLite and on PostgreSQL (a fresh schema per test).

PostgreSQL comes from VINCULO_TEST_PG_URL (default: the server on 127.0.0.1:5432, database test).
Locally the PostgreSQL half is skipped when no server answers; in CI (CI=true) that is an error.
"""

from __future__ import annotations

import os
import uuid

import pytest
import sqlalchemy as sa

from vinculo.accounts.model import Actor
from vinculo.node.home import resolve
from vinculo.node.service import init_node
from vinculo.store.engine import sqlite_url

# Test nodes log their admins in with a password only; the second-factor tests turn enforcement on per node
# (node.settings["totp_roles"]), and test the default ("admin") explicitly.
os.environ.setdefault("VINCULO_TOTP_ROLES", "none")
PG_URL = os.environ.get("VINCULO_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
DATABASES = os.environ.get("VINCULO_TEST_DATABASES", "sqlite,postgresql").split(",")
_pg_state: dict = {}


def _pg_available() -> str | None:
    if "error" not in _pg_state:
        try:
            engine = sa.create_engine(PG_URL)
            with engine.connect() as conn:
                conn.execute(sa.text("select 1"))
            engine.dispose()
            _pg_state["error"] = None
        except Exception as exc:  # noqa: BLE001
            _pg_state["error"] = f"{type(exc).__name__}: {exc}".splitlines()[0]
    return _pg_state["error"]


class Databases:
    """Fresh databases of one kind: SQLite files, or PostgreSQL schemas dropped afterwards."""

    def __init__(self, kind: str, tmp_path):
        self.kind, self.tmp_path, self.schemas = kind, tmp_path, []
        if kind == "postgresql":
            error = _pg_available()
            if error:
                if os.environ.get("CI"):
                    pytest.fail(f"PostgreSQL is required in CI and is not reachable at {PG_URL}: {error}")
                pytest.skip(f"PostgreSQL not reachable: {error}")

    def new(self, name: str = "node") -> str:
        if self.kind == "sqlite":
            return sqlite_url(self.tmp_path / f"{name}.db")
        schema = "t_" + uuid.uuid4().hex[:12]
        engine = sa.create_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        engine.dispose()
        self.schemas.append(schema)
        sep = "&" if "?" in PG_URL else "?"
        return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"

    def drop(self) -> None:
        if self.schemas:
            engine = sa.create_engine(PG_URL)
            with engine.begin() as conn:
                for schema in self.schemas:
                    conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
            engine.dispose()


@pytest.fixture(params=DATABASES)
def databases(request, tmp_path):
    dbs = Databases(request.param, tmp_path)
    yield dbs
    dbs.drop()


@pytest.fixture
def db_url(databases):
    return databases.new()


@pytest.fixture
def make_node(databases, tmp_path):
    """Create more nodes, each with its own home and database: make_node("mx-fgr", "MX")."""
    made = []

    def make(node_id: str, country: str, name: str | None = None):
        n = init_node(resolve(tmp_path / node_id, databases.new(node_id)), node_id, name or node_id, country)
        made.append(n)
        return n

    yield make
    for n in made:
        n.engine.dispose()


@pytest.fixture
def home(tmp_path, db_url):
    return resolve(tmp_path / "home", db_url)


@pytest.fixture
def node(home):
    n = init_node(home, "us-dea", "US test agency", "US")
    yield n
    n.engine.dispose()


def actor(node, role: str, name: str | None = None) -> Actor:
    return Actor(name or role, role, node.id)


@pytest.fixture
def analyst(node):
    return actor(node, "analyst")


@pytest.fixture
def supervisor(node):
    return actor(node, "supervisor")


@pytest.fixture
def auditor(node):
    return actor(node, "auditor")


@pytest.fixture
def admin(node):
    return actor(node, "admin")


SEIZURE = {
    "date": "2025-06-01",
    "country": "US",
    "admin_area": "California",
    "place": "San Ysidro port of entry",
    "substance": "fentanyl",
    "quantity": {"amount": 12.5, "unit": "kg"},
    "form": "pill",
    "concealment": "vehicle",
    "transport": "road-private",
    "departure_country": "MX",
    "destination_country": "US",
}
