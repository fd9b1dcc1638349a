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
