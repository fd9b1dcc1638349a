"""Benchmark: what purging costs a receiver on SQLite, and what counting a change's withdrawals costs.

    .venv/bin/python bench/purge.py [--n 20000] [--page-size 1000]

A node serves N GREEN seizures (each with a unique marker in its description) to a partner on loopback; the
partner pulls them; the server's agreement narrows to CLEAR, which withdraws all N; the partner pulls the N
tombstones. That last pull is timed three ways in the same run, on fresh nodes each time:

- as shipped: `secure_delete=ON` and `after_purge` (WAL checkpoint TRUNCATE) after the pull commits;
- baseline 1: `after_purge` a no-op (secure_delete still on);
- baseline 2: `after_purge` a no-op and `secure_delete=OFF` (what the node did before);

and for each, whether any marker is still in the receiver's database file or WAL. It also times counting
what the narrowing withdraws (`plan_change`, the count the CLI, API and editor show), against the per-record
reads the count used before (`repository.current` once per held record).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import event, select

sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))

from servers import serving

from vinculo.accounts.model import operator
from vinculo.federation import inbox, partners, sync
from vinculo.federation.agreements import plan_change, update_agreement
from vinculo.federation.at_rest import sign_all
from vinculo.node.home import resolve
from vinculo.node.service import init_node
from vinculo.records import repository as repo
from vinculo.records.importers.native import parse_ndjson
from vinculo.records.importers.service import import_rows
from vinculo.sharing.markings import TLP
from vinculo.sharing.release import PartnerNode, release
from vinculo.store.purge import after_purge
from vinculo.store.tables_federation import holdings

BODY = {"date": "2025-06-01", "country": "US", "admin_area": "California", "place": "San Ysidro",
        "substance": "fentanyl", "quantity": {"amount": 12.5, "unit": "kg"}, "form": "pill"}
TERMS = {"record_types": ["seizure"], "max_tlp": "amber", "start": "2020-01-01"}


def on_disk(node) -> bytes:
    db = Path(node.engine.url.database)
    wal = db.with_name(db.name + "-wal")
    return db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def old_count(us) -> tuple[int, float]:
    """The count as it was read before: one `repository.current` per held record."""
    with us.engine.connect() as conn:
        from vinculo.sharing import service as sharing

        agreement = sharing.current_agreement(conn, "mx-fgr").model_copy(update={"max_tlp": TLP.CLEAR})
        audience = PartnerNode("mx-fgr", us.id, agreement, agreement.start.today())
        t0 = time.perf_counter()
        held = conn.execute(select(holdings.c.record_id).where(holdings.c.partner == "mx-fgr",
                                                               holdings.c.withdrawn.is_(False))).scalars().all()
        denied = sum(1 for rid in held if not release(repo.current(conn, rid), audience).allowed)
        return denied, time.perf_counter() - t0


def run(mode: str, n: int, page: int, tmp: Path) -> dict:
    us = init_node(resolve(tmp / "us"), "us-dea", "US bench", "US")
    mx = init_node(resolve(tmp / "mx"), "mx-fgr", "MX bench", "MX")
    if mode == "secure_delete off, no checkpoint":
        event.listen(mx.engine, "connect", lambda c, _r: c.execute("PRAGMA secure_delete=OFF"))
        mx.engine.dispose()
    markers = [f"PURGE-{uuid.uuid4().hex}" for _ in range(n)]
    data = tmp / "records.ndjson"
    with open(data, "w") as fh:
        fh.writelines(json.dumps({"type": "seizure", "key": f"k{i}", "markings": {"tlp": "green"},
                                 "body": BODY | {"description": m}}) + "\n" for i, m in enumerate(markers))
    import_rows(us, operator(us.id), str(data), parse_ndjson(data))
    sign_all(us)
    out: dict = {"mode": mode}
    with serving(us) as url:
        _, cred = partners.add_partner(us, "mx-fgr", "MX", mx.public_key_hex, None)
        partners.add_partner(mx, "us-dea", "US", us.public_key_hex, url)
        partners.store_pull_credential(mx, "us-dea", cred)
        update_agreement(us, "mx-fgr", TERMS)
        assert sync.pull(mx, "us-dea", page_size=page).new == n
        t0 = time.perf_counter()
        change = plan_change(us, "mx-fgr", {"max_tlp": "clear"}, merge=True)
        out["count_s"] = time.perf_counter() - t0
        out["old_count"], out["old_count_s"] = old_count(us)
        assert change.withdrawals.count == n == out["old_count"]
        update_agreement(us, "mx-fgr", {"max_tlp": "clear"}, merge=True, confirm_withdrawn=n)
        shipped = inbox.after_purge
        if mode != "as shipped":
            inbox.after_purge = lambda engine, tables: None
        try:
            t0 = time.perf_counter()
            report = sync.pull(mx, "us-dea", page_size=page)
            out["pull_s"] = time.perf_counter() - t0
        finally:
            inbox.after_purge = shipped
        assert report.retracted == n, report.line()
    disk = on_disk(mx)
    out["markers_on_disk"] = sum(1 for m in markers[:: max(1, n // 500)] if m.encode() in disk)
    out["sampled"] = len(markers[:: max(1, n // 500)])
    t0 = time.perf_counter()
    after_purge(mx.engine, ["record_versions"])
    out["checkpoint_after_s"] = time.perf_counter() - t0
    for node in (us, mx):
        node.engine.dispose()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--page-size", type=int, default=1000)
    args = ap.parse_args()
    results = []
    for mode in ("as shipped", "no checkpoint", "secure_delete off, no checkpoint"):
        with tempfile.TemporaryDirectory() as tmp:
            results.append(run(mode, args.n, args.page_size, Path(tmp)))
    base = results[2]["pull_s"]
    for r in results:
        print(f"{r['mode']:<34} tombstone pull {r['pull_s']:.2f}s ({args.n / r['pull_s']:,.0f}/s, "
              f"{r['pull_s'] / base:.2f}x the old node)  markers still on disk: {r['markers_on_disk']} of "
              f"{r['sampled']} sampled; a checkpoint afterwards took {r['checkpoint_after_s']:.2f}s")
    for r in results:
        print(f"count of {args.n:,} withdrawals ({r['mode']}): {r['count_s']:.2f}s; per-record reads as before: "
              f"{r['old_count_s']:.2f}s ({r['old_count_s'] / r['count_s']:.2f}x)")


if __name__ == "__main__":
    main()
