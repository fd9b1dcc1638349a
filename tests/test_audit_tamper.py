"""`audit verify` passes on an honest node and names what was changed by hand in the database."""

import json

import sqlalchemy as sa
from conftest import SEIZURE

from vinculo.audit.checks import verify_node
from vinculo.records import service
from vinculo.records.importers.native import parse_ndjson
from vinculo.records.importers.service import import_rows
from vinculo.store.tables import audit_log, record_versions


def _populate(node, analyst, tmp_path):
    records = [service.create_record(node, analyst, "seizure", SEIZURE | {"place": f"p{i}"}) for i in range(3)]
    lines = [json.dumps({"type": "seizure", "key": f"k{i}", "body": SEIZURE | {"place": f"imported {i}"}})
             for i in range(5)]
    path = tmp_path / "batch.ndjson"
    path.write_text("\n".join(lines))
    import_rows(node, analyst, str(path), parse_ndjson(path))
    return records


def test_honest_node_verifies(node, analyst, tmp_path):
    _populate(node, analyst, tmp_path)
    result = verify_node(node)
    assert result.ok, result.problem
    assert result.records == 8 and result.entries >= 5 and len(result.root) == 64


def test_changed_audit_entry_is_named(node, analyst, tmp_path):
    _populate(node, analyst, tmp_path)
    with node.engine.begin() as conn:
        conn.execute(audit_log.update().where(audit_log.c.idx == 2).values(actor="user:someone-else"))
    result = verify_node(node)
    assert not result.ok and result.problem.startswith("entry 2:")


def test_changed_entry_with_recomputed_leaf_is_caught_by_tree_head(node, analyst, tmp_path):
    from vinculo.audit.events import entry_bytes
    from vinculo.audit.merkle import leaf_hash

    _populate(node, analyst, tmp_path)
    with node.engine.begin() as conn:
        e = conn.execute(sa.select(audit_log).where(audit_log.c.idx == 1)).one()
        leaf = leaf_hash(entry_bytes(1, e.ts, "user:forger", e.action, e.target, json.loads(e.detail))).hex()
        conn.execute(audit_log.update().where(audit_log.c.idx == 1).values(actor="user:forger", leaf_hash=leaf))
    result = verify_node(node)
    assert not result.ok and "entry 1..1" in result.problem and "tree head" in result.problem


def test_changed_record_version_is_named(node, analyst, tmp_path):
    records = _populate(node, analyst, tmp_path)
    target = records[1]
    with node.engine.begin() as conn:
        row = conn.execute(sa.select(record_versions).where(record_versions.c.id == target.id)).one()
        body = json.loads(row.body) | {"place": "somewhere else"}
        conn.execute(record_versions.update().where(record_versions.c.id == target.id).values(body=json.dumps(body)))
    result = verify_node(node)
    assert not result.ok and target.id in result.problem


def test_changed_record_with_recomputed_hash_is_caught(node, analyst, tmp_path):
    from vinculo.canonical import content_hash
    from vinculo.records.model import version_document

    _populate(node, analyst, tmp_path)
    for which in ("create", "import"):
        with node.engine.begin() as conn:
            q = sa.select(record_versions).order_by(record_versions.c.seq)
            rows = conn.execute(q).all()
            row = rows[0] if which == "create" else rows[-1]
            body = json.loads(row.body) | {"place": "forged"}
            doc = version_document(row.id, row.type, row.origin, row.version, row.created, row.modified, row.revoked,
                                   json.loads(row.markings), body)
            conn.execute(record_versions.update().where(record_versions.c.seq == row.seq)
                         .values(body=json.dumps(body), content_hash=content_hash(doc)))
        result = verify_node(node)
        assert not result.ok
        if which == "create":
            assert row.id in result.problem and "audit entry" in result.problem
        else:
            assert "(import)" in result.problem
        with node.engine.begin() as conn:  # restore for the next round
            conn.execute(record_versions.update().where(record_versions.c.seq == row.seq)
                         .values(body=row.body, content_hash=row.content_hash))
    assert verify_node(node).ok


def test_deleted_entry_is_named(node, analyst, tmp_path):
    _populate(node, analyst, tmp_path)
    with node.engine.begin() as conn:
        conn.execute(audit_log.delete().where(audit_log.c.idx == 3))
    result = verify_node(node)
    assert not result.ok and "entry 3" in result.problem
