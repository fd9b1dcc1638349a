"""Benchmark: an honest partner's pull while hostile partners are configured too, against the same pull alone.

    .venv/bin/python bench/hostile.py [--records 5000] [--page-size 1000] [--repeat 3]

One honest Vinculo node (`vinculo serve`, N seizures signed at rest) and, in another process, two hostile
fake TAXII partners (`tests/hostile/fake_partner.py`): `aa-endless` answers every page with 1,000 junk
objects and a `next` that never ends, `ab-huge` answers with a 200 MB body. Their ids sort first, so
`sync.run_all` meets them before the honest `zz-honest`. Each run is a fresh process with a fresh node:
the baseline pulls the honest partner alone (`run_all` with only it configured); the hostile case runs
`run_all` with all three, under the default limits (`federation/limits.py`). Baseline and hostile runs
alternate, `--repeat` times each, and medians are printed.

Printed: the honest pull's records/s (its own `SyncReport.seconds`) in both cases and their ratio (goal
>= 0.8), the whole `run_all` time of the hostile case (what the honest partner waits behind the hostile
ones: partners are pulled one after another, each bounded by its limits), and each process's peak RSS
(goal: the hostile case adds < 200 MB).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "hostile"))
sys.path.insert(0, str(HERE.parent / "tests"))

import httpx  # noqa: E402

from vinculo.accounts.model import operator  # noqa: E402
from vinculo.federation import partners  # noqa: E402
from vinculo.federation.agreements import update_agreement  # noqa: E402
from vinculo.federation.at_rest import sign_all  # noqa: E402
from vinculo.node.home import resolve  # noqa: E402
from vinculo.node.keys import generate, public_hex  # noqa: E402
from vinculo.node.service import init_node  # noqa: E402
from vinculo.records.importers.native import parse_ndjson  # noqa: E402
from vinculo.records.importers.service import import_rows  # noqa: E402

BODY = {"date": "2025-06-01", "country": "US", "admin_area": "California", "place": "San Ysidro",
        "substance": "fentanyl", "quantity": {"amount": 12.5, "unit": "kg"}, "form": "pill",
        "departure_country": "MX", "destination_country": "US"}
HOSTILE = ("aa-endless", "ab-huge")
HUGE = 200 * 1024 * 1024


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait(url: str, ready: bool = False) -> None:
    """Until `url` answers (with 200, if `ready`: `/api/v1/ready` says the warm-up is done)."""
    for _ in range(600):
        try:
            if not ready or httpx.get(url, timeout=5).status_code == 200:
                httpx.get(url, timeout=5)
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def serve_hostile(port_file: str) -> None:
    """(A child process) serve the two hostile partners until killed; write their URLs to `port_file`."""
    import orjson
    from fake_partner import FakePartner, Reply, padded

    junk = orjson.dumps([{"type": "vinculo-seizure", "id": f"vinculo-seizure--{i:036d}", "spec_version": "2.1",
                          "extensions": {"x": {"document": {"id": "seizure--x"}}}, "pad": "j" * 200}
                         for i in range(1_000)])

    def endless(token: str | None, _limit: int) -> Reply:
        n = int(token or 0) + 1
        return Reply(b'{"more": true, "next": "%d", "objects": ' % n + junk + b"}")

    fakes = [FakePartner(HOSTILE[0], endless), FakePartner(HOSTILE[1], lambda _t, _l: Reply(padded(HUGE, 1 << 20)))]
    for fake in fakes:
        fake.__enter__()
    Path(port_file).write_text(json.dumps({f.node_id: f.url for f in fakes}))
    while True:
        time.sleep(3600)


def pull_once(home: str) -> None:
    """(A child process) `run_all` on the node at `home`; print the honest pull's figures as JSON."""
    from vinculo.federation import sync
    from vinculo.node.context import open_node

    node = open_node(resolve(home))
    t0 = time.perf_counter()
    out = sync.run_all(node, page_size=int(os.environ.get("BENCH_PAGE", "1000")))
    total = time.perf_counter() - t0
    honest = next(o for o in out if not isinstance(o, str) and o.partner == "zz-honest")
    print(json.dumps({"rate": honest.new / honest.seconds, "new": honest.new, "total": total,
                      "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "lines": [o if isinstance(o, str) else o.line() for o in out]}))


def make_puller(tmp: Path, k: int, us, us_url: str, hostile: dict[str, str] | None) -> Path:  # noqa: ANN001
    """A fresh pulling node `mx-k`, known to the honest node and (if `hostile`) to the hostile partners."""
    mx = init_node(resolve(tmp / f"mx{k}"), f"mx-{k}", "MX bench", "MX")
    _, cred = partners.add_partner(us, mx.id, "MX", mx.public_key_hex, None)
    update_agreement(us, mx.id, {"record_types": ["seizure"], "max_tlp": "amber", "start": "2020-01-01"})
    partners.add_partner(mx, "zz-honest", "US", us.public_key_hex, us_url)
    partners.store_pull_credential(mx, "zz-honest", cred)
    for pid, url in (hostile or {}).items():
        partners.add_partner(mx, pid, pid, public_hex(generate()), url)
        partners.store_pull_credential(mx, pid, partners.PREFIX + "hostile")
    mx.engine.dispose()
    return mx.home.path


def run_puller(home: Path, page: int) -> dict:
    env = os.environ | {"BENCH_PAGE": str(page)}
    done = subprocess.run([sys.executable, __file__, "--pull", str(home)], env=env, capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=5000)
    ap.add_argument("--page-size", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--pull", help=argparse.SUPPRESS)
    ap.add_argument("--serve-hostile", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.pull:
        return pull_once(args.pull)
    if args.serve_hostile:
        return serve_hostile(args.serve_hostile)

    with tempfile.TemporaryDirectory(prefix="vinculo-bench-hostile-") as t:
        tmp = Path(t)
        us = init_node(resolve(tmp / "us"), "zz-honest", "US bench", "US")
        data = tmp / "records.ndjson"
        with open(data, "w") as fh:
            for i in range(args.records):
                fh.write(json.dumps({"type": "seizure", "key": f"k{i}", "markings": {"tlp": "green"},
                                     "body": BODY | {"place": f"p{i}"}}) + "\n")
        import_rows(us, operator(us.id), str(data), parse_ndjson(data))
        sign_all(us)
        port = free_port()
        env = os.environ | {"VINCULO_HOME": str(us.home.path)}
        server = subprocess.Popen([sys.executable, "-m", "vinculo.cli.main", "serve", "--port", str(port),
                                   "--sync-interval", "0"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = tmp / "hostile.json"
        fakes = subprocess.Popen([sys.executable, __file__, "--serve-hostile", str(port_file)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            us_url = f"http://127.0.0.1:{port}"
            wait(us_url + "/api/v1/node")
            wait(us_url + "/api/v1/ready", ready=True)
            for _ in range(300):
                if port_file.exists() and port_file.read_text():
                    break
                time.sleep(0.1)
            hostile = json.loads(port_file.read_text())
            run_puller(make_puller(tmp, 0, us, us_url, None), args.page_size)  # warm the server up; not counted
            alone, beset = [], []
            for r in range(args.repeat):
                alone.append(run_puller(make_puller(tmp, 2 * r + 1, us, us_url, None), args.page_size))
                beset.append(run_puller(make_puller(tmp, 2 * r + 2, us, us_url, hostile), args.page_size))
                assert alone[-1]["new"] == beset[-1]["new"] == args.records, (alone[-1], beset[-1])
        finally:
            server.terminate()
            fakes.terminate()
            server.wait(10)
            fakes.wait(10)

    def med(runs: list[dict], key: str) -> float:
        return statistics.median(run[key] for run in runs)

    ratios = [b["rate"] / a["rate"] for a, b in zip(alone, beset)]
    print(f"N = {args.records:,}, page {args.page_size:,}, {args.repeat} runs of each, alternating")
    def runs(values: list[dict], key: str) -> str:
        return ", ".join(format(v[key], ",.0f") for v in values)

    print(f"honest pull alone: {med(alone, 'rate'):,.0f} records/s (runs: {runs(alone, 'rate')}); "
          f"peak RSS {med(alone, 'rss_mb'):,.0f} MB (runs: {runs(alone, 'rss_mb')})")
    print(f"honest pull with {', '.join(HOSTILE)} configured: {med(beset, 'rate'):,.0f} records/s (runs: "
          f"{runs(beset, 'rate')}); peak RSS {med(beset, 'rss_mb'):,.0f} MB (runs: {runs(beset, 'rss_mb')})")
    print(f"ratio with/without hostile partners: {statistics.median(ratios):.2f} (runs: "
          f"{', '.join(f'{x:.2f}' for x in ratios)}) (goal >= 0.8)")
    print(f"peak RSS added by the hostile partners: {med(beset, 'rss_mb') - med(alone, 'rss_mb'):+,.0f} MB "
          "(goal < 200 MB)")
    print(f"whole run_all with them: {med(beset, 'total'):,.1f} s against {med(alone, 'total'):,.1f} s alone "
          "(the hostile pulls run first, each within its limits)")
    for line in beset[-1]["lines"]:
        print("  " + line[:200])


if __name__ == "__main__":
    main()
