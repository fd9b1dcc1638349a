"""Start and stop real `vinculo` processes for the multi-process tests."""

from __future__ import annotations

import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

CLI = [sys.executable, "-m", "vinculo.cli.main"]


def start(env: dict, *args: str, out: Path) -> subprocess.Popen:
    with out.open("ab") as f:
        return subprocess.Popen([*CLI, *args], env=env, stdout=f, stderr=subprocess.STDOUT)


def until(check, what: str, tries: int = 600):
    for _ in range(tries):
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what}")


def wait_http(url: str) -> None:
    def up() -> bool:
        try:
            return httpx.get(url + "/api/v1/node", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    until(up, url)


@contextmanager
def processes():
    procs: list[subprocess.Popen] = []
    try:
        yield procs
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()


