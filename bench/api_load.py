"""Audited reads at load: 50 concurrent clients against one node holding the 311,038 UNODC seizures.

    .venv/bin/python bench/api_load.py [--db postgresql+psycopg://postgres@127.0.0.1:5432/test]
                                       [--clients 50] [--seconds 10] [--keep DIR]

Builds a node (`vinculo import unodc-ids examples/data/drug-trafficking-unodc.zip`, then `vinculo records
sign` so the background signer does not run during the load), serves it with `vinculo serve` in its own
process, and drives it from this process with `--clients` concurrent HTTP/1.1 clients (httpx, asyncio), each
request after the previous one's answer, for `--seconds` per endpoint. Every record read is audited (one entry
each, durable before the response). Baseline, same run and same load: `GET /api/v1/ready`, which reads no
record and writes no audit entry. Goal (issue 18): GET record p99 <= 2x the baseline's p99, and its throughput
>= 0.5x the baseline's. Also reported: list, search and the dashboard's JSON twin.
With `--db`, the node lives in a fresh schema of that PostgreSQL database (dropped afterwards).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "examples" / "data" / "drug-trafficking-unodc.zip"
PASSWORD = "bench-analyst-pass"
CLI = str(Path(sys.executable).parent / "vinculo")


def run(args: list[str], env: dict, stdin: str | None = None) -> None:
    subprocess.run([CLI, *args], env=env, check=True, input=stdin, text=True, capture_output=True)


def build(env: dict) -> None:
    run(["init", "--node-id", "us-load", "--name", "Load bench node", "--country", "US"], env)
    run(["user", "add", "ana", "--role", "analyst", "--password-stdin"], env, PASSWORD + "\n")
    t = time.perf_counter()
    run(["import", "unodc-ids", str(DATA), "--json"], env)
    print(f"import of {DATA.name}: {time.perf_counter() - t:.1f} s", flush=True)
    t = time.perf_counter()
    run(["records", "sign"], env)
    print(f"signing the imported versions: {time.perf_counter() - t:.1f} s", flush=True)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env: dict) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([CLI, "serve", "--port", str(port), "--sync-interval", "0"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/api/v1/ready", timeout=2).status_code == 200:  # warm-up done
                return proc, base
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise SystemExit(f"vinculo serve exited: {proc.stderr.read().decode()[-2000:]}")
        time.sleep(0.2)
    raise SystemExit("vinculo serve did not become ready in 300 s")


async def load(base: str, headers: dict, paths: list[str], clients: int, seconds: float) -> dict:
    """`clients` loops, each sending the next request when the last one answered, for `seconds`."""
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=60) as client:
        end = time.perf_counter() + seconds

        async def one(rng: random.Random) -> None:
            nonlocal errors
            while time.perf_counter() < end:
                t = time.perf_counter()
                r = await client.get(rng.choice(paths))
                latencies.append(time.perf_counter() - t)
                errors += r.status_code >= 400

        start = time.perf_counter()
        await asyncio.gather(*(one(random.Random(i)) for i in range(clients)))
        took = time.perf_counter() - start
    latencies.sort()
    return {"n": len(latencies), "rps": len(latencies) / took, "p50": statistics.median(latencies),
            "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], "errors": errors}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default=None, help="PostgreSQL URL (default: SQLite in a temporary folder)")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--keep", type=Path, help="build the node here and keep it (reused if present; SQLite only)")
    args = ap.parse_args()
    schema = None
    with tempfile.TemporaryDirectory() as tmp:
        home = args.keep or Path(tmp) / "home"
        env = os.environ | {"VINCULO_HOME": str(home)}
        if args.db:
            import sqlalchemy as sa

            schema = "bench_" + uuid.uuid4().hex[:10]
            engine = sa.create_engine(args.db)
            with engine.begin() as conn:
                conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
            engine.dispose()
            sep = "&" if "?" in args.db else "?"
            env["VINCULO_DATABASE_URL"] = f"{args.db}{sep}options=-csearch_path%3D{schema}"
        try:
            if not (home / "node.json").exists():
                build(env)
            proc, base = start_server(env)
            try:
                measure(base, args)
            finally:
                proc.terminate()
                proc.wait(30)
        finally:
            if schema:
                engine = sa.create_engine(args.db)
                with engine.begin() as conn:
                    conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
                engine.dispose()


def measure(base: str, args: argparse.Namespace) -> None:
    with httpx.Client(base_url=base, timeout=60) as c:
        token = c.post("/api/v1/auth/login", json={"username": "ana", "password": PASSWORD}).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        ids: list[str] = []
        cursor = None
        while len(ids) < 2000:
            page = c.get("/api/v1/records", params={"limit": 500} | ({"cursor": cursor} if cursor else {}),
                         headers=headers).json()
            ids += [i["id"] for i in page["items"]]
            cursor = page.get("next_cursor")
            if not cursor:
                break
    endpoints = {
        "baseline: GET /api/v1/ready": ["/api/v1/ready"],
        "GET /api/v1/records/<id>": [f"/api/v1/records/{i}" for i in ids],
        "list (country, type, 25)": [f"/api/v1/records?country={c}&type=seizure&limit=25" for c in
                                     ("CO", "MX", "US", "PE", "EC", "BR")],
        "search (text=, 25)": [f"/api/v1/records?text={w}&limit=25" for w in ("cocaine", "heroin", "port")],
        "dashboard (JSON twin)": ["/api/v1/dashboard"],
    }
    print(f"{args.clients} concurrent clients, {args.seconds:g} s per endpoint, {len(ids)} record ids "
          f"({'PostgreSQL' if args.db else 'SQLite'})", flush=True)
    results = {}
    for name, paths in endpoints.items():
        results[name] = r = asyncio.run(load(base, headers, paths, args.clients, args.seconds))
        print(f"{name:32} {r['rps']:8.0f} req/s   p50 {r['p50'] * 1000:7.1f} ms   p99 {r['p99'] * 1000:7.1f} ms"
              f"   ({r['n']} requests, {r['errors']} errors)", flush=True)
    base_r, rec = results["baseline: GET /api/v1/ready"], results["GET /api/v1/records/<id>"]
    p99_ratio, rps_ratio = rec["p99"] / base_r["p99"], rec["rps"] / base_r["rps"]
    print(f"GET record vs baseline: p99 {p99_ratio:.2f}x (goal <= 2), throughput {rps_ratio:.2f}x (goal >= 0.5): "
          f"{'met' if p99_ratio <= 2 and rps_ratio >= 0.5 else 'NOT met'}")


if __name__ == "__main__":
    main()
