"""Stopping `vinculo demo` (Ctrl-C or SIGTERM) stops both servers it started; `vinculo serve` on a port in use
fails with one line and a non-zero exit before it says "serving on" (issue 25, item 11). Real processes."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from servers import free_port

CLI = [sys.executable, "-m", "vinculo.cli.main"]


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _gone(pid: int, waits: int = 300) -> bool:
    for _ in range(waits):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return True
        if stat.rsplit(")", 1)[1].split()[0] == "Z":  # a zombie has stopped; its parent has not reaped it
            return True
        threading.Event().wait(0.1)
    return False


def _lines(proc: subprocess.Popen) -> queue.Queue:
    out: queue.Queue = queue.Queue()

    def pump() -> None:
        for line in proc.stdout:
            out.put(line)
        out.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return out


def _refused(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.parametrize("how", ["sigterm", "ctrl-c"])
def test_stopping_the_demo_stops_both_servers(tmp_path, how):
    us, mx = free_port(), free_port()
    env = os.environ | {"VINCULO_TOTP_ROLES": "none"}
    env.pop("VINCULO_HOME", None)
    env.pop("VINCULO_DATABASE_URL", None)
    proc = subprocess.Popen([*CLI, "demo", "--dir", str(tmp_path / "demo"), "--us-port", str(us), "--mx-port", str(mx),
                             "--sync-interval", "2"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env, start_new_session=True)
    lines, seen = _lines(proc), []
    try:
        while True:
            line = lines.get(timeout=600)
            assert line is not None, "".join(seen)
            seen.append(line)
            if "Ctrl-C stops them" in line:
                break
        servers = _children(proc.pid)
        assert len(servers) == 2, servers
        if how == "ctrl-c":
            os.killpg(proc.pid, signal.SIGINT)  # a terminal's Ctrl-C reaches the whole foreground group
        else:
            proc.send_signal(signal.SIGTERM)  # only the demo: it must stop what it started
        assert proc.wait(120) == 0 or how == "sigterm"
        assert all(_gone(pid) for pid in servers), servers
        assert _refused(us) and _refused(mx)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        for pid in _children(proc.pid):
            os.kill(pid, signal.SIGKILL)


def test_serve_on_a_taken_port_fails_before_announcing(node):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        env = os.environ | {"VINCULO_HOME": str(node.home.path), "VINCULO_DATABASE_URL": node.home.db_url}
        done = subprocess.run([*CLI, "serve", "--port", str(port), "--sync-interval", "0"], capture_output=True,
                              text=True, env=env, timeout=120, check=False)
    assert done.returncode != 0
    assert "serving on" not in done.stdout
    assert done.stderr.strip().splitlines() == [f"error: cannot serve on 127.0.0.1:{port}: the port is already in use"]
