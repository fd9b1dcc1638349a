"""Create a node: folder, key pair, migrated database, first audit entry."""

from __future__ import annotations

import json
import re

from sqlalchemy import insert, select

from vinculo.audit.events import AuditEvent
from vinculo.audit.service import empty_frontier
from vinculo.node import keys
from vinculo.node.context import Node, open_node
from vinculo.node.home import Home, prepare_database_file, private_dir, write_private
from vinculo.records import vocabulary
from vinculo.records.model import format_ts, utcnow
from vinculo.store.engine import make_engine
from vinculo.store.migrate import upgrade
from vinculo.store.tables import node as node_table
from vinculo.store.tables import node_state

NODE_ID_RE = re.compile(r"^[a-z][a-z0-9-]{1,62}$")


class NodeExists(RuntimeError):
    pass


def init_node(home: Home, node_id: str, name: str, country: str) -> Node:
    if not NODE_ID_RE.match(node_id):
        raise ValueError(f"node id {node_id!r}: use 2-63 lowercase letters, digits and '-', starting with a letter")
    found = vocabulary.country(country)
    if found is None:
        raise ValueError(f"country {country!r}: not an ISO 3166-1 country")
    if home.node_file.exists() or home.key_file.exists():
        raise NodeExists(f"{home.path} already holds a node; refusing to overwrite it")
    private_dir(home.path)
    prepare_database_file(home)
    engine = make_engine(home.db_url)
    upgrade(engine)
    with engine.connect() as conn:
        if conn.execute(select(node_table.c.id)).first() is not None:
            raise NodeExists(f"database {home.db_url} already holds a node; refusing to overwrite it")
    key = keys.generate()
    keys.save_private_key(key, home.key_file)
    with engine.begin() as conn:
        conn.execute(insert(node_table).values(id=node_id, name=name, country=found.alpha2,
                                               public_key=keys.public_hex(key), created=format_ts(utcnow())))
        conn.execute(insert(node_state).values(id=1, last_seq=0, audit_size=0, audit_frontier=empty_frontier()))
    write_private(home.node_file, json.dumps({"id": node_id, "name": name, "country": found.alpha2}, indent=2))
    engine.dispose()  # the node opens its own engine: this one's pooled connections would stay open
    node = open_node(home)
    with node.uow() as uow:
        uow.audit(AuditEvent("system", "node.init", node_id,
                             {"name": name, "country": found.alpha2, "public_key": node.public_key_hex}))
        uow.commit()
    return node
