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
from vinculo.records.query import build_filters
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
    cmd = [sys.executable, "-m", "vinculo.cli.main", "sync", "pull", "us-dea", "--page-size", "20"]
    total = 3000
    with pair(us, mx, us_terms=TERMS):
        kills = rounds = 0
        while kills < 5 and rounds < 25:
            rounds += 1
            more = tmp_path / f"more{rounds}.ndjson"  # the origin keeps adding while the receiver crashes
            more.write_text("\n".join(json.dumps({"type": "seizure", "key": f"r{rounds}-{i}",
                                                  "markings": {"tlp": "green"}, "body": SEIZURE | {"place": f"r{i}"}})
                                      for i in range(300)))
            import_rows(us, actor(us, "analyst"), str(more), parse_ndjson(more))
            total += 300
            proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.5, 3.0))
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                kills += 1
            proc.wait()
            if rounds == 3:  # and changes records the receiver already holds
                for item in service.list_records(us, actor(us, "analyst"), build_filters(), None, 5).items:
                    service.update_record(us, actor(us, "analyst"), item["id"], SEIZURE | {"place": "moved"})
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
    assert kills >= 5, f"only {kills} kills landed mid-sync in {rounds} rounds"
    with mx.engine.connect() as conn:
        per_id = conn.execute(sa.select(rv.c.id, sa.func.count()).where(rv.c.current.is_(True))
                              .group_by(rv.c.id)).all()
        versions = dict(conn.execute(sa.select(rv.c.id, rv.c.version).where(rv.c.current.is_(True))).all())
    assert len(per_id) == total and all(n == 1 for _, n in per_id)
    with us.engine.connect() as conn:
        latest = dict(conn.execute(sa.select(rv.c.id, rv.c.version).where(rv.c.current.is_(True))).all())
    assert versions == latest and sum(v == 2 for v in latest.values()) == 5
    assert verify_node(mx).ok and verify_node(us).ok
