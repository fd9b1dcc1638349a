"""Kill the receiving node with SIGKILL at random points during a large sync, many times: afterwards
every record is there exactly once, at its latest version, and both audit logs verify."""

import json
import os
import random
import signal
import subprocess
import sys
import time

import sqlalchemy as sa

from conftest import SEIZURE, actor
from fed_helpers import pair
from vinculo.audit.checks import verify_node
from vinculo.records import service
from vinculo.records.importers.native import parse_ndjson
from vinculo.records.importers.service import import_rows
from vinculo.store.tables import record_versions as rv

TERMS = {"record_types": ["seizure"], "max_tlp": "green", "start": "2020-01-01"}


def test_sigkill_during_sync_loses_and_duplicates_nothing(make_node, tmp_path):
    us, mx = make_node("us-dea", "US"), make_node("mx-fgr", "MX")
    path = tmp_path / "many.ndjson"
    path.write_text("\n".join(json.dumps({"type": "seizure", "key": f"k{i}", "markings": {"tlp": "green"},
                                          "body": SEIZURE | {"place": f"p{i}"}}) for i in range(3000)))
    import_rows(us, actor(us, "analyst"), str(path), parse_ndjson(path))
    rng = random.Random(7)
    env = os.environ | {"VINCULO_HOME": str(mx.home.path), "VINCULO_DATABASE_URL": mx.home.db_url}
    cmd = [sys.executable, "-m", "vinculo.cli.main", "sync", "pull", "us-dea", "--page-size", "40"]
    with pair(us, mx, us_terms=TERMS):
        kills = 0
        for round_ in range(10):
            proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.8, 2.5))
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                kills += 1
            proc.wait()
            if round_ == 4:  # the origin moves on while the receiver keeps crashing
                for item in service.list_records(us, actor(us, "analyst"), __import__(
                        "vinculo.records.query", fromlist=["x"]).build_filters(), None, 5).items:
                    service.update_record(us, actor(us, "analyst"), item["id"], SEIZURE | {"place": "moved"})
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
    assert kills >= 3
    with mx.engine.connect() as conn:
        per_id = conn.execute(sa.select(rv.c.id, sa.func.count()).where(rv.c.current.is_(True))
                              .group_by(rv.c.id)).all()
        versions = dict(conn.execute(sa.select(rv.c.id, rv.c.version).where(rv.c.current.is_(True))).all())
    assert len(per_id) == 3000 and all(n == 1 for _, n in per_id)
    with us.engine.connect() as conn:
        latest = dict(conn.execute(sa.select(rv.c.id, rv.c.version).where(rv.c.current.is_(True))).all())
    assert versions == latest and sum(v == 2 for v in latest.values()) == 5
    assert verify_node(mx).ok and verify_node(us).ok
