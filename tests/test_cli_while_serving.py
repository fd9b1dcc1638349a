"""CLI commands that write while `vinculo serve` runs (its scheduler, signer and retention loops too) never
fail or log "database is locked" on SQLite (issue 25, item 11). A real server process, real CLI processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import httpx
import pytest
from conftest import SEIZURE
from servers import free_port

CLI = [sys.executable, "-m", "vinculo.cli.main"]


def test_writing_cli_loop_while_the_server_and_its_loops_run(node, tmp_path):
    if not node.home.db_url.startswith("sqlite"):
        pytest.skip("SQLite's single writer is what this is about")
    env = os.environ | {"VINCULO_HOME": str(node.home.path), "VINCULO_DATABASE_URL": node.home.db_url}
    port = free_port()
    log = (tmp_path / "serve.log").open("w+")
    server = subprocess.Popen([*CLI, "serve", "--port", str(port), "--sync-interval", "1", "--retention-interval",
                               "1"], stdout=log, stderr=subprocess.STDOUT, env=env)
    outputs = []
    try:
        for _ in range(300):
            try:
                httpx.get(f"http://127.0.0.1:{port}/api/v1/node", timeout=1)
                break
            except httpx.HTTPError:
                assert server.poll() is None
                subprocess.run(["sleep", "0.1"], check=True)
        for k in range(8):
            path = tmp_path / f"batch{k}.ndjson"
            path.write_text("".join(json.dumps({"type": "seizure", "body": SEIZURE | {"place": f"pier {k}-{i}"}})
                                    + "\n" for i in range(300)))
            for args in (["import", "records", str(path)], ["records", "sign"],
                         ["user", "add", f"user{k}", "--role", "analyst", "--password-stdin"]):
                done = subprocess.run([*CLI, *args], capture_output=True, text=True, env=env, timeout=300,
                                      input="long-password-123\n", check=False)
                outputs.append(done.stdout + done.stderr)
                assert done.returncode == 0, (args, done.stderr)
            # the server keeps answering, and its loops keep writing (the signer signs each batch)
            assert httpx.get(f"http://127.0.0.1:{port}/api/v1/node", timeout=30).status_code == 200
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(60)
    log.seek(0)
    served = log.read()
    for text in (served, *outputs):
        assert "database is locked" not in text and "Traceback" not in text, text[-3000:]


def test_a_writer_holding_the_database_longer_than_the_wait(node, tmp_path):
    """Another process holds SQLite's write lock (as a long import does) past the wait: the server's loops
    say so in one line and go on, a CLI command with a short wait fails in one line (exit 6, nothing
    written), one with the default wait (VINCULO_SQLITE_BUSY_SECONDS, 600 s) waits and succeeds."""
    if not node.home.db_url.startswith("sqlite"):
        pytest.skip("SQLite's single writer is what this is about")
    import sqlite3
    import threading

    env = os.environ | {"VINCULO_HOME": str(node.home.path), "VINCULO_DATABASE_URL": node.home.db_url}
    short = env | {"VINCULO_SQLITE_BUSY_SECONDS": "1"}
    port = free_port()
    log = (tmp_path / "serve.log").open("w+")
    server = subprocess.Popen([*CLI, "serve", "--port", str(port), "--sync-interval", "1", "--retention-interval",
                               "1"], stdout=log, stderr=subprocess.STDOUT, env=short)
    holder = sqlite3.connect(node.home.db_url.removeprefix("sqlite:///"), isolation_level=None,
                             check_same_thread=False)
    try:
        for _ in range(300):
            try:
                httpx.get(f"http://127.0.0.1:{port}/api/v1/node", timeout=1)
                break
            except httpx.HTTPError:
                subprocess.run(["sleep", "0.1"], check=True)
        holder.execute("BEGIN IMMEDIATE")
        released = threading.Timer(6, holder.execute, ("COMMIT",))
        waiting = subprocess.Popen([*CLI, "user", "add", "patient", "--role", "analyst", "--password-stdin"],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   env=env)
        hurried = subprocess.run([*CLI, "user", "add", "hurried", "--role", "analyst", "--password-stdin"],
                                 capture_output=True, text=True, env=short, input="long-password-123\n",
                                 timeout=120, check=False)
        released.start()
        _, err = waiting.communicate("long-password-123\n", timeout=120)
        assert hurried.returncode == 6 and len(hurried.stderr.strip().splitlines()) == 1, hurried.stderr
        assert "busy with another writer" in hurried.stderr and "Traceback" not in hurried.stderr
        assert waiting.returncode == 0, err
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/node", timeout=30).status_code == 200
    finally:
        holder.close()
        server.send_signal(signal.SIGTERM)
        server.wait(60)
    log.seek(0)
    served = log.read()
    assert "database is locked" not in served and "Traceback" not in served, served[-3000:]
    names = subprocess.run([*CLI, "user", "list"], capture_output=True, text=True, env=env, check=True).stdout
    assert "patient" in names and "hurried" not in names
