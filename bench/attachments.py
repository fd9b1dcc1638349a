"""Benchmark: upload N photos of ~2 MB to a node over its API (magic-byte check, Pillow open, EXIF strip,
SHA-256, thumbnail, a signed record each), then a partner pulls the records over TAXII and fetches the
bytes from the origin (size and hash verified, thumbnail made).

    .venv/bin/python bench/attachments.py [--n 1000]

Same-run baselines: `cp` of the same N files (one `cp` process for the folder), and a bare HTTP transfer
on loopback: the same uvicorn server in the same process arrangement, serving a raw ASGI app that writes a
PUT body to a file and streams a GET back, the same httpx client with keep-alive. Prints seconds, MB/s and
ratios (bare time / Vinculo time; the goal is >= 0.5 of the bare transfer, upload and pull).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn
from PIL import Image

sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))

from fed_helpers import pair
from servers import free_port

from vinculo.accounts import service as accounts
from vinculo.accounts.model import Actor
from vinculo.exhibits import service as exhibits
from vinculo.exhibits import transfer
from vinculo.federation import sync
from vinculo.node.home import resolve
from vinculo.node.service import init_node
from vinculo.records import service

SEIZURE = {"date": "2025-06-01", "country": "US", "substance": "fentanyl", "form": "tablet",
           "quantity": {"amount": 12.5, "unit": "kg"}}
TERMS = {"record_types": ["seizure", "photo"], "max_tlp": "amber", "start": "2020-01-01"}


def base_jpeg(target: int = 2_000_000) -> bytes:
    """A camera-like JPEG of about `target` bytes (noise compresses badly) with EXIF and GPS."""
    rnd = random.Random(7)
    side = 900
    while True:
        img = Image.frombytes("RGB", (side, side), rnd.randbytes(side * side * 3))
        exif = Image.Exif()
        exif[0x010F] = "BenchCam"
        exif.get_ifd(0x8825).update({1: "N", 2: (32.0, 32.0, 42.0), 3: "W", 4: (117.0, 1.0, 43.0)})
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=92, exif=exif.tobytes())
        if buf.tell() >= target:
            return buf.getvalue()
        side += 100


def variants(base: bytes, n: int) -> list[bytes]:
    """N distinct files: a kept APP2 segment carrying the index after SOI (the pixels are the same)."""
    out = []
    for i in range(n):
        payload = b"BENCH\0" + i.to_bytes(4, "big")
        seg = b"\xff\xe2" + (len(payload) + 2).to_bytes(2, "big") + payload
        out.append(base[:2] + seg + base[2:])
    return out


def bare_app(folder: Path):
    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        name = folder / scope["path"].strip("/").replace("/", "_")
        if scope["method"] == "PUT":
            with open(name, "wb") as f:  # noqa: ASYNC230  (as the node's own upload face writes)
                more = True
                while more:
                    msg = await receive()
                    f.write(msg.get("body", b""))
                    more = msg.get("more_body", False)
            await send({"type": "http.response.start", "status": 201, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        data = name.read_bytes()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(len(data)).encode())]})
        await send({"type": "http.response.body", "body": data})
    return app


def serve_bare(folder: Path):
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(bare_app(folder), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        try:
            httpx.get(f"http://127.0.0.1:{port}/x", timeout=1)
        except httpx.HTTPError:
            time.sleep(0.05)
            continue
        break
    return server, thread, f"http://127.0.0.1:{port}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    args = ap.parse_args()
    n = args.n
    files = variants(base_jpeg(), n)
    total = sum(len(f) for f in files)
    mb = total / 1e6
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        src = tmp / "src"
        src.mkdir()
        for i, data in enumerate(files):
            (src / f"p{i}.jpg").write_bytes(data)
        t = time.perf_counter()
        subprocess.run(["cp", "-r", str(src), str(tmp / "cp")], check=True)
        cp_s = time.perf_counter() - t

        bare = tmp / "bare"
        bare.mkdir()
        server, thread, url = serve_bare(bare)
        with httpx.Client(timeout=60) as http:
            t = time.perf_counter()
            for i, data in enumerate(files):
                http.put(f"{url}/p{i}.jpg", content=data).raise_for_status()
            bare_up = time.perf_counter() - t
            t = time.perf_counter()
            for i in range(n):
                got = http.get(f"{url}/p{i}.jpg")
                (tmp / "bare_dl").mkdir(exist_ok=True)
                (tmp / "bare_dl" / f"p{i}.jpg").write_bytes(got.content)
            bare_down = time.perf_counter() - t
        server.should_exit = True
        thread.join(10)

        us = init_node(resolve(tmp / "us", None), "us-dea", "US bench", "US")
        mx = init_node(resolve(tmp / "mx", None), "mx-fgr", "MX bench", "MX")
        accounts.add_user(us, "ana", "analyst", "analyst-password-1")
        seizure = service.create_record(us, Actor("ana", "analyst", us.id), "seizure", SEIZURE, {"tlp": "amber"})
        with pair(us, mx, us_terms=TERMS) as (us_url, _mx, _c1, _c2), httpx.Client(timeout=60) as http:
            token = http.post(f"{us_url}/api/v1/auth/login",
                              json={"username": "ana", "password": "analyst-password-1"}).json()["token"]
            h = {"Authorization": f"Bearer {token}"}
            t = time.perf_counter()
            for i, data in enumerate(files):
                r = http.post(f"{us_url}/api/v1/records/{seizure.id}/attachments", params={"filename": f"p{i}.jpg"},
                              content=data, headers=h)
                r.raise_for_status()
            up_s = time.perf_counter() - t
            t = time.perf_counter()
            report = sync.pull(mx, "us-dea")
            pulled = time.perf_counter() - t
            got = transfer.fetch_from(mx, "us-dea")
            pull_s = time.perf_counter() - t
        assert report.new == n + 1 and len(got.fetched) == n and not got.rejected, (report.new, got.rejected[:3])
        stored = sum(p.stat().st_size for p in exhibits.store_of(mx).root.glob("files/*/*"))
        for node in (us, mx):
            node.engine.dispose()
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"attachments bench: N = {n} photos, {mb:.0f} MB ({total / n / 1e6:.2f} MB each; "
          f"{stored / 1e6:.0f} MB after EXIF strip)")
    print(f"  cp -r                      {cp_s:7.2f} s  {mb / cp_s:8.1f} MB/s")
    print(f"  bare HTTP upload (PUT)     {bare_up:7.2f} s  {mb / bare_up:8.1f} MB/s")
    print(f"  bare HTTP download (GET)   {bare_down:7.2f} s  {mb / bare_down:8.1f} MB/s")
    print(f"  vinculo upload (API)       {up_s:7.2f} s  {mb / up_s:8.1f} MB/s   ratio bare/vinculo {bare_up / up_s:.2f}"
          f"   vs cp {cp_s / up_s:.2f}")
    print(f"  vinculo pull (TAXII {pulled:.2f} s + bytes, verified)"
          f" {pull_s:7.2f} s  {mb / pull_s:8.1f} MB/s   ratio bare/vinculo {bare_down / pull_s:.2f}"
          f"   vs cp {cp_s / pull_s:.2f}")
    print("  goal: ratio bare/vinculo >= 0.5 for upload and for pull")


if __name__ == "__main__":
    os.environ.setdefault("VINCULO_EXHIBITS_MAX_BYTES", str(25 * 1024 * 1024))
    main()
