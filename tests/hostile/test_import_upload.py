"""Hostile uploads against a real server: the check answers 4xx naming the reason (never 500), runs in a
worker process that stops when the client goes away or the deadline passes, and the staged files,
created 0600 in a 0700 folder, are gone on every outcome."""

from __future__ import annotations

import html
import json
import os
import re
import socket
import stat
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from hostile_imports import CSV_HEADER, HEADER, GiB, huge_line_zip, seizure_line, zipped
from servers import serving

from vinculo.accounts import service as accounts

PASSWORD = "analyst-password-1"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def site(node):
    accounts.add_user(node, "ana", "analyst", PASSWORD)
    with serving(node) as base:
        yield base


@contextmanager
def _web(base: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base, timeout=120, follow_redirects=True) as client:
        page = client.get("/login")
        client.post("/login", data={"csrf_token": CSRF.search(page.text).group(1), "username": "ana",
                                    "password": PASSWORD, "next": "/"})
        yield client


def _bearer(base: str) -> dict:
    token = httpx.post(base + "/api/v1/auth/login", json={"username": "ana", "password": PASSWORD}).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def _uploads(node) -> Path:
    return node.home.path / "uploads"


def _staged(node) -> list[Path]:
    folder = _uploads(node)
    return sorted(folder.iterdir()) if folder.exists() else []


def _workers(folder: Path) -> list[int]:
    """Import worker processes working on a file in `folder`."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes()
        except (FileNotFoundError, PermissionError, NotADirectoryError, ProcessLookupError):
            continue
        if b"vinculo.records.importers.worker" in cmdline and str(folder).encode() in cmdline:
            found.append(int(proc.name))
    return found


def _eventually(what, seconds: float = 60) -> bool:
    """Wait until `what()` is true (not a timing assertion: the bound is only there to end a failing test)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if what():
            return True
        time.sleep(0.05)
    return what()


UPLOADS = [
    ("bad-zip", "unodc-ids", "ids.zip", b"PK\x03\x04" + b"junk" * 100, "not a readable zip file"),
    ("zip-bomb", "unodc-ids", "ids.zip", None, "zip bomb"),
    ("deep-ndjson", "ndjson", "deep.ndjson", b"[" * 100_000 + b"]" * 100_000 + b"\n", "nested more than 32 deep"),
    ("big-int", "ndjson", "big.ndjson", json.dumps(seizure_line(quantity={"amount": 2**63 + 1})).encode() + b"\n",
     "is beyond"),
    ("csv-nul", "csv", "nul.csv", (CSV_HEADER + "2025-01-02,MX,AN\0PP,25,kg\n").encode(), "nul.csv:2: NUL byte"),
    ("csv-encoding", "csv", "latin.csv", (CSV_HEADER + "2025-01-02,México,ANPP,25,kg\n").encode("cp1252"),
     "latin.csv:2: not UTF-8 text"),
    ("long-line", "ndjson", "long.ndjson", json.dumps(seizure_line(place="x" * 2_000_000)).encode(),
     "long.ndjson:1: row longer than"),
]


def _content(tmp_path, name, data):
    if data is None:  # the bomb: 200 MB of zeros in about 200 KB
        return zipped(tmp_path / name, "ids.csv", [HEADER.encode() + b"\n"] + [b"\0" * (1 << 20)] * 200,
                      level=9).read_bytes()
    return data


@pytest.mark.parametrize("case", UPLOADS, ids=[c[0] for c in UPLOADS])
def test_a_hostile_upload_is_a_4xx_naming_the_reason_and_leaves_nothing(site, node, tmp_path, case):
    _, fmt, name, data, reason = case
    data = _content(tmp_path, name, data)
    with _web(site) as web:
        token = CSRF.search(web.get("/import").text).group(1)
        form = {"csrf_token": token, "format": fmt} | ({"record_type": "seizure"} if fmt == "csv" else {})
        r = web.post("/import/check", data=form, files={"file": (name, data)})
    assert r.status_code == 422, r.text[:500]
    assert reason in html.unescape(r.text)
    assert str(_uploads(node)) not in r.text  # the staged path is not shown: the uploaded name is
    api = httpx.post(site + "/api/v1/imports/check", headers=_bearer(site), data={"format": fmt, "record_type":
                     "seizure"} if fmt == "csv" else {"format": fmt}, files={"file": (name, data)}, timeout=120)
    assert 400 <= api.status_code < 500 or (api.status_code == 200 and api.json()["token"] is None), api.text
    assert reason in api.text
    assert _staged(node) == []
    assert _workers(_uploads(node)) == []


def test_a_good_upload_is_staged_privately_then_removed_when_imported(site, node):
    line = json.dumps(seizure_line()).encode() + b"\n"
    with _web(site) as web:
        token = CSRF.search(web.get("/import").text).group(1)
        r = web.post("/import/check", data={"csrf_token": token, "format": "ndjson"},
                     files={"file": ("ok.ndjson", line)})
        assert r.status_code == 200, r.text[:500]
        staged = _staged(node)
        assert len(staged) == 2  # the file and its note
        assert stat.S_IMODE(_uploads(node).stat().st_mode) == 0o700
        assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in staged)
        upload = re.search(r'name="token" value="([^"]+)"', r.text).group(1)
        done = web.post("/import/confirm", data={"csrf_token": token, "token": upload})
        assert done.status_code == 200 and "Imported 1 records" in done.text
    assert _staged(node) == []


def _slow_upload(tmp_path) -> bytes:
    """An NDJSON file whose check takes a while: 300,000 valid rows."""
    lines = (json.dumps(seizure_line(place=f"p{i}")) for i in range(300_000))
    return ("\n".join(lines) + "\n").encode()


@contextmanager
def _raw_upload(site: str, tmp_path) -> Iterator[None]:
    """POST a slow check over a plain socket, held open while the block runs, then closed (the client goes)."""
    request = httpx.Client(base_url=site).build_request(
        "POST", "/api/v1/imports/check", headers=_bearer(site), data={"format": "ndjson"},
        files={"file": ("slow.ndjson", _slow_upload(tmp_path))})
    body = request.read()
    host, port = site.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as sock:
        head = [f"POST {request.url.raw_path.decode()} HTTP/1.1", f"Host: {host}:{port}",
                f"Content-Length: {len(body)}", "Connection: close"]
        head += [f"{k}: {v}" for k, v in request.headers.items() if k.lower() not in ("host", "content-length")]
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        yield


def test_a_client_that_goes_away_stops_the_check_and_its_files_are_removed(site, node, tmp_path):
    with _raw_upload(site, tmp_path):
        assert _eventually(lambda: _workers(_uploads(node)) != [])  # the check runs, in a worker process
        staged = _staged(node)
        assert staged and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in staged)
    # the client is gone: the worker is killed and the staged files removed
    assert _eventually(lambda: _workers(_uploads(node)) == [] and _staged(node) == [])


def test_checks_at_once_are_bounded(site, node, tmp_path, monkeypatch):
    monkeypatch.setenv("VINCULO_IMPORT_MAX_CHECKS", "1")
    with _raw_upload(site, tmp_path):
        assert _eventually(lambda: _workers(_uploads(node)) != [])
        running = _staged(node)
        r = httpx.post(site + "/api/v1/imports/check", headers=_bearer(site), data={"format": "ndjson"},
                       files={"file": ("ok.ndjson", json.dumps(seizure_line()).encode())}, timeout=120)
        assert r.status_code == 422 and "1 checks are running already" in r.text, r.text[:500]
        assert _staged(node) == running  # the refused upload left nothing
    assert _eventually(lambda: _workers(_uploads(node)) == [] and _staged(node) == [])


def test_a_check_past_its_deadline_is_stopped_with_a_4xx(site, node, tmp_path, monkeypatch):
    monkeypatch.setenv("VINCULO_IMPORT_CHECK_SECONDS", "1")
    r = httpx.post(site + "/api/v1/imports/check", headers=_bearer(site), data={"format": "ndjson"},
                   files={"file": ("slow.ndjson", _slow_upload(tmp_path))}, timeout=120)
    assert r.status_code == 422 and "checking took longer than 1 s" in r.text, r.text[:500]
    assert r.headers["content-type"].startswith("application/problem+json")
    assert _staged(node) == [] and _workers(_uploads(node)) == []


def _rss_mb() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // (1 << 20)


def test_the_server_never_holds_the_file_while_checking_it(site, node, tmp_path, monkeypatch):
    """A 1 GiB line in a 1 MB zip (let past the ratio check): the server process (this one: the server
    runs in a thread here) stays within 200 MB of where it started, sampled all through the request."""
    monkeypatch.setenv("VINCULO_IMPORT_MAX_RATIO", "1000000")
    data = huge_line_zip(tmp_path / "ids.zip", GiB).read_bytes()
    start, peak, done = _rss_mb(), [0], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _rss_mb())
            time.sleep(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        r = httpx.post(site + "/api/v1/imports/check", headers=_bearer(site), data={"format": "unodc-ids"},
                       files={"file": ("ids.zip", data)}, timeout=300)
    finally:
        done.set()
        sampler.join()
    assert r.status_code == 422 and "ids.zip:2: row longer than 1048576 bytes" in r.text, r.text[:500]
    assert peak[0] - start < 200, f"{start} MB before, {peak[0]} MB at most during the check"
    assert _staged(node) == []
