"""Web UI render times with the 311,038 UNODC seizures loaded, measured in Debian's Chromium.

    .venv/bin/python bench/ui.py [--runs 5] [--keep DIR]

Builds a node in a temp folder (`vinculo import unodc-ids examples/data/drug-trafficking-unodc.zip`),
serves it on loopback, logs in as an analyst and times, in the browser (navigation start to load event):
the dashboard (first render after the import, then warm) and a filtered record list. Baseline, same run:
the JSON API for the same list and the dashboard's JSON twin (plain HTTP). Goal: each page < 1 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "examples" / "data" / "drug-trafficking-unodc.zip"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LIST = "/records?type=seizure&substance=cocaine&country=CO&from=2014-01-01&to=2014-12-31"
PASSWORD = "bench-analyst-pass"


def build(home: Path) -> None:
    env = os.environ | {"VINCULO_HOME": str(home)}
    cli = str(Path(sys.executable).parent / "vinculo")
    subprocess.run([cli, "init", "--node-id", "us-bench", "--name", "Bench node", "--country", "US"], env=env,
                   check=True, capture_output=True)
    subprocess.run([cli, "user", "add", "ana", "--role", "analyst", "--password-stdin"], env=env, check=True,
                   input=PASSWORD + "\n", text=True, capture_output=True)
    t = time.perf_counter()
    subprocess.run([cli, "import", "unodc-ids", str(DATA), "--json"], env=env, check=True, capture_output=True)
    print(f"import of {DATA.name}: {time.perf_counter() - t:.1f} s")


def serve(home: Path) -> tuple[uvicorn.Server, str]:
    from vinculo.api.app import create_app
    from vinculo.node.context import open_node
    from vinculo.node.home import resolve

    node = open_node(resolve(home))
    server = uvicorn.Server(uvicorn.Config(create_app(node), host="127.0.0.1", port=0, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}"


def browser_time(page, path: str) -> float:
    page.goto(path, wait_until="load")
    return page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd") / 1000


def api_time(client: httpx.Client, path: str, headers: dict) -> float:
    t = time.perf_counter()
    r = client.get(path, headers=headers)
    r.raise_for_status()
    return time.perf_counter() - t


def fmt(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:7.0f} ms  (min {min(values) * 1000:.0f}, max {max(values) * 1000:.0f})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="build the node here and keep it (reused if present)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        home = args.keep or Path(tmp) / "home"
        if not (home / "node.json").exists():
            build(home)
        server, base = serve(home)
        with httpx.Client(base_url=base, timeout=60) as client, sync_playwright() as p:
            token = client.post("/api/v1/auth/login", json={"username": "ana", "password": PASSWORD}).json()["token"]
            headers = {"Authorization": f"Bearer {token}"}
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(base_url=base, viewport={"width": 1280, "height": 800})
            page.goto("/login?next=/records")
            page.get_by_label("User name").fill("ana")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url(lambda url: "/login" not in url)
            first = browser_time(page, "/")  # counts computed at server start (warm-up thread) or now
            dash = [browser_time(page, "/") for _ in range(args.runs)]
            client.post("/api/v1/records", headers=headers, json={"type": "seizure", "body": {
                "date": "2025-06-01", "country": "US", "substance": "fentanyl"}})
            cold = browser_time(page, "/")  # a write moved the change feed: counts recomputed in this request
            listing = [browser_time(page, LIST) for _ in range(args.runs)]
            api_query = LIST.replace("/records?", "/api/v1/records?") + "&limit=25"
            api_list = [api_time(client, api_query, headers) for _ in range(args.runs)]
            api_dash = [api_time(client, "/api/v1/dashboard", headers) for _ in range(args.runs)]
            shown = page.locator("table.records tbody tr").count()
            browser.close()
        server.should_exit = True
    print(f"dashboard, first page view after server start:      {first * 1000:.0f} ms")
    print(f"dashboard, first view after a write (counts recomputed): {cold * 1000:.0f} ms")
    print(f"dashboard page (browser, warm)       {fmt(dash)}")
    print(f"filtered record list page ({shown} rows) {fmt(listing)}")
    print(f"baseline: JSON API same list         {fmt(api_list)}")
    print(f"baseline: JSON API dashboard (warm)  {fmt(api_dash)}")
    print(f"ratio list page / JSON API list: {statistics.median(listing) / statistics.median(api_list):.1f}x; "
          f"goal < 1 s each: {'met' if max(first, cold, statistics.median(dash), statistics.median(listing)) < 1 else 'NOT met'}")


if __name__ == "__main__":
    main()
