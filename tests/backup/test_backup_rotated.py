"""A node that rotated its key, and holds versions a partner signed with a key it later rotated away from,
is backed up and restored: the restore's checks (tree heads, record signatures) use the retired keys for
what they signed before their retirement (both databases)."""

import pytest
from backup_helpers import Scratch, schema_of
from conftest import SEIZURE, actor
from fed_helpers import pair

from vinculo.audit.checks import verify_node
from vinculo.federation import sync
from vinculo.node.backup import backup
from vinculo.node.key_rotation import rotate_key
from vinculo.node.restore import restore
from vinculo.node.sealed import generate_key_file
from vinculo.records import service

TERMS = {"record_types": ["seizure"], "max_tlp": "amber", "start": "2020-01-01"}


@pytest.fixture
def scratch():
    s = Scratch()
    yield s
    s.drop()


def test_a_rotated_node_is_restored(make_node, databases, scratch, tmp_path):
    us, mx = make_node("us-dea", "US"), make_node("mx-fgr", "MX")
    service.create_record(us, actor(us, "analyst"), "seizure", SEIZURE, {"tlp": "green"})  # the old key's
    service.create_record(mx, actor(mx, "analyst"), "seizure", SEIZURE | {"country": "MX"}, {"tlp": "green"})
    with pair(us, mx, us_terms=TERMS, mx_terms=TERMS):
        assert sync.pull(us, "mx-fgr").new == 1  # signed by mx-fgr's first key
        rotate_key(mx)
        service.create_record(mx, actor(mx, "analyst"), "seizure", SEIZURE | {"date": "2025-06-02"}, {"tlp": "green"})
        assert sync.pull(us, "mx-fgr").new == 1  # mx-fgr's new key followed and pinned
    rotate_key(us)
    service.create_record(us, actor(us, "analyst"), "seizure", SEIZURE | {"date": "2025-06-03"}, {"tlp": "green"})
    assert verify_node(us).ok

    key = tmp_path / "backup.key"
    generate_key_file(key)
    made = backup(us, tmp_path / "backups", key)
    target = None if databases.kind == "sqlite" else scratch.database(schema_of(us.home.db_url))
    restored = restore(made.path, key, tmp_path / "restored", target)
    try:
        assert restored.node.public_key_hex == us.public_key_hex
        assert restored.signatures == 4 and restored.unsigned == 0  # two of ours, two of mx-fgr's, every key
        assert verify_node(restored.node).ok
    finally:
        restored.node.engine.dispose()
