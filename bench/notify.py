"""Benchmark (issue 21): from the end of a pull's last page transaction to the notification at a connected
SSE client and at a webhook receiver, with many subscriptions and many held records; and what matching
them adds to the pull, against the same pull with every subscription switched off, in the same run.

    .venv/bin/python bench/notify.py [--held 20000] [--subscriptions 1000] [--page 200] [--repeat 5]

The serving node (`vinculo serve` in a subprocess) gets `--page` new seizures before each pull; the pulling
node holds `--held` records of its own (one bulk import, indexed for correlation before timing), runs its
notification threads as `vinculo serve` does (in-process `uvicorn`, tests/servers.py), and has
`--subscriptions` subscriptions over 50 users with mixed filters (a third match the pulled records). One
watching user has an SSE stream open and a webhook on loopback. Pulls alternate: subscriptions on, off,
on... For each pull: its wall time; for each record the watcher is told of: the delay from the commit of
the page that stored it (timestamped by wrapping `inbox.store_page`) to its arrival on the SSE stream and
at the webhook receiver. Prints p50/p99 and the pull-time ratio (on/off). Goals: ratio <= 1.10, p99 <= 1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).parent.parent / "tests" / "notify"))

from receivers import webhook_server
from servers import serving
from sqlalchemy import update

from vinculo.accounts.model import Actor, operator
from vinculo.accounts.service import add_user, create_token
from vinculo.federation import inbox, partners, sync
from vinculo.federation.agreements import update_agreement
from vinculo.node.home import resolve
from vinculo.node.service import init_node
from vinculo.notify import engine, live, service
from vinculo.records.importers.native import parse_ndjson
from vinculo.records.importers.service import import_rows
from vinculo.store.tables_notify import notify_subscriptions

BODY = {"date": "2025-06-01", "country": "US", "admin_area": "California", "place": "San Ysidro",
        "substance": "fentanyl", "quantity": {"amount": 12.5, "unit": "kg"}, "form": "pill"}
FILTERS = [{"type": ["seizure"], "origin": ["partner"]}, {"substance": ["cocaine"]}, {"country": ["CO", "PE"]},
           {"type": ["person"]}, {"substance": ["fentanyl"], "country": ["US"]}, {"origin": ["us-dea"]}]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait(url: str) -> None:
    for _ in range(600):
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


def ndjson(path: Path, n: int, tag: str, body: dict) -> Path:
    with open(path, "w") as fh:
        fh.writelines(json.dumps({"type": "seizure", "key": f"{tag}{i}", "markings": {"tlp": "green"},
                                 "body": body | {"place": f"{tag}{i}"}}) + "\n" for i in range(n))
    return path


class Stream:
    def __init__(self, url: str, token: str) -> None:
        self.arrived: dict[str, float] = {}
        self.ready = threading.Event()
        self.client = httpx.Client(timeout=httpx.Timeout(30, read=None))
        threading.Thread(target=self._read, args=(url, token), daemon=True).start()

    def _read(self, url: str, token: str) -> None:
        try:
            with self.client.stream("GET", url, headers={"Authorization": f"Bearer {token}"}) as r:
                for line in r.iter_lines():
                    if line.startswith("data: "):
                        now = time.perf_counter()
                        data = json.loads(line[6:])
                        self.ready.set()
                        rid = (data.get("payload") or {}).get("id")
                        if rid:
                            self.arrived.setdefault(rid, now)
        except httpx.HTTPError:
            pass


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--held", type=int, default=20000)
    ap.add_argument("--subscriptions", type=int, default=1000)
    ap.add_argument("--page", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="vinculo-bench-notify-"))
    us = init_node(resolve(tmp / "us"), "us-dea", "US bench", "US")
    mx = init_node(resolve(tmp / "mx"), "mx-fgr", "MX bench", "MX")
    t0 = time.perf_counter()
    import_rows(mx, operator(mx.id), "held", parse_ndjson(ndjson(tmp / "held.ndjson", args.held, "h",
                                                                 BODY | {"country": "MX"})))
    engine.run(mx)  # index the held records for correlation, place the matcher
    print(f"held {args.held:,} records at mx-fgr ({time.perf_counter() - t0:.1f} s to import and index)")
    users = [f"user{i:02d}" for i in range(50)]
    for u in users + ["watch"]:
        add_user(mx, u, "analyst", None)
    for k in range(args.subscriptions - 1):
        user = users[k % len(users)]
        service.subscribe(mx, Actor(user, "analyst", mx.id), {"kind": "records", "filter": FILTERS[k % len(FILTERS)]})
    watcher = Actor("watch", "analyst", mx.id)
    port = free_port()
    env = os.environ | {"VINCULO_HOME": str(us.home.path)}
    server = subprocess.Popen([sys.executable, "-m", "vinculo.cli.main", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    committed: dict[str, float] = {}
    original = inbox.store_page

    def timed_store_page(node, partner, page, verdicts, cursor):
        result = original(node, partner, page, verdicts, cursor)
        now = time.perf_counter()  # the page's transaction has committed (the hook has only poked)
        for doc, *_ in page.candidates:
            committed.setdefault(doc["id"], now)
        return result

    inbox.store_page = timed_store_page
    mx.settings.update({"webhook_allow_private": "1"})
    pulls: dict[bool, list[float]] = {True: [], False: []}
    sse_delays: list[float] = []
    hook_delays: list[float] = []
    seen: set[str] = set()
    try:
        url = f"http://127.0.0.1:{port}"
        wait(url + "/api/v1/ready")
        _, cred = partners.add_partner(us, "mx-fgr", "MX", mx.public_key_hex, None)
        partners.add_partner(mx, "us-dea", "US", us.public_key_hex, url)
        partners.store_pull_credential(mx, "us-dea", cred)
        update_agreement(us, "mx-fgr", {"record_types": ["seizure"], "max_tlp": "amber", "start": "2020-01-01"})
        with webhook_server() as (hooks, hook_url), serving(mx) as mx_url:
            hook = service.add_webhook(mx, watcher, hook_url)
            service.subscribe(mx, watcher, {"kind": "records", "filter": {"origin": ["partner"]},
                                            "channels": ["inapp", "webhook"], "webhook_id": hook["id"]})
            stream = Stream(f"{mx_url}/api/v1/notifications/stream", create_token(mx, "watch"))
            stream.ready.wait(30)
            sync.pull(mx, "us-dea")  # warm: the first pull pays for the serving node's first page
            for run in range(args.repeat * 2):
                on = run % 2 == 0
                with mx.engine.begin() as conn:
                    conn.execute(update(notify_subscriptions).values(active=on))
                engine.run(mx)
                page = import_rows(us, operator(us.id), f"page{run}",
                                   parse_ndjson(ndjson(tmp / f"p{run}.ndjson", args.page, f"r{run}-", BODY)))
                assert page.imported == args.page
                seen.update(committed)
                t0 = time.perf_counter()
                report = sync.pull(mx, "us-dea", page_size=1000)
                pulls[on].append(time.perf_counter() - t0)
                assert report.new == args.page, report.line()
                if not on:
                    continue
                ids = [i for i in committed if i not in seen]
                deadline = time.perf_counter() + 30
                while time.perf_counter() < deadline and not (
                        all(i in stream.arrived for i in ids) and len(hooks.received) >= (run // 2 + 1) * args.page):
                    time.sleep(0.01)
                sse_delays += [stream.arrived[i] - committed[i] for i in ids if i in stream.arrived]
            time.sleep(2)
            first: dict[str, float] = {}
            for h in hooks.received:
                for n in h["json"]["notifications"]:
                    first.setdefault(n["payload"]["id"], h["at"])
            hook_delays += [at - committed[rid] for rid, at in first.items() if rid in committed]
            print(f"webhook POSTs received: {len(hooks.received)}, distinct records: {len(first)}")
            live.hub_for(mx.id).close_all()
    finally:
        inbox.store_page = original
        server.terminate()
        server.wait(10)
    on, off = statistics.median(pulls[True]), statistics.median(pulls[False])
    print(f"pull of {args.page} records, median of {args.repeat}: {on * 1000:.0f} ms with "
          f"{args.subscriptions:,} subscriptions, {off * 1000:.0f} ms with none: ratio {on / off:.2f} (goal <= 1.10)")
    print(f"  runs with: {', '.join(f'{x * 1000:.0f}' for x in pulls[True])} ms; "
          f"without: {', '.join(f'{x * 1000:.0f}' for x in pulls[False])} ms")
    for name, d in (("SSE client", sse_delays), ("webhook receiver", hook_delays)):
        print(f"commit -> {name}: {len(d)} notifications, p50 {pct(d, 0.5) * 1000:.0f} ms, "
              f"p99 {pct(d, 0.99) * 1000:.0f} ms (goal p99 <= 1000 ms)")


if __name__ == "__main__":
    main()
