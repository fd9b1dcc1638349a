"""`vinculo node rotate-key` and `vinculo partner repin` as an operator runs them (real subprocesses, both
databases), and a rotation that stopped between its commit and moving its key file."""

import json
import os
import stat
import subprocess
import sys

import pytest

from vinculo.audit.checks import verify_node
from vinculo.node import key_rotation
from vinculo.node.context import open_node
from vinculo.node.home import resolve
from vinculo.node.keys import fingerprint, generate, public_hex, save_private_key
from vinculo.node.service import init_node


def run(home, db_url, *args, check=True):
    env = os.environ | {"VINCULO_HOME": str(home), "VINCULO_DATABASE_URL": db_url}
    proc = subprocess.run([sys.executable, "-m", "vinculo.cli.main", *args], capture_output=True, text=True,
                          env=env, timeout=300, check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"{args} exited {proc.returncode}: {proc.stderr}")
    return proc


def test_rotate_key_and_repin_on_the_command_line(databases, tmp_path):
    us_home, us_db = tmp_path / "us", databases.new("us")
    mx_home, mx_db = tmp_path / "mx", databases.new("mx")
    run(us_home, us_db, "init", "--node-id", "us-dea", "--name", "DEA test", "--country", "US")
    run(mx_home, mx_db, "init", "--node-id", "mx-fgr", "--name", "FGR test", "--country", "MX")
    old = json.loads(run(us_home, us_db, "node", "keys", "--json").stdout)["public_key"]

    out = run(us_home, us_db, "node", "rotate-key").stdout
    assert "now signs with key" in out and "new fingerprint: SHA256:" in out
    shown = json.loads(run(us_home, us_db, "node", "keys", "--json").stdout)
    new = shown["public_key"]
    assert new != old and f"new fingerprint: {fingerprint(new)}" in out
    assert [(h["public_key"], h["valid_to"] is None) for h in shown["history"]] == [(old, False), (new, True)]
    assert stat.S_IMODE((us_home / "node_key.pem").stat().st_mode) == 0o600
    assert not (us_home / "node_key.pem.new").exists()
    assert run(us_home, us_db, "audit", "verify").stdout.startswith("ok:")  # heads before and after the rotation

    run(mx_home, mx_db, "partner", "add", "us-dea", "--key", old)
    wrong = run(mx_home, mx_db, "partner", "repin", "us-dea", "--key", new, "--fingerprint",
                fingerprint(public_hex(generate())), check=False)
    assert wrong.returncode != 0 and "--fingerprint does not match" in wrong.stderr
    assert fingerprint(new) not in wrong.stderr  # the operator must read it from the partner, not from us
    vague = run(mx_home, mx_db, "partner", "repin", "us-dea", "--key", new, "--fingerprint", fingerprint(new),
                "--compromised-since", "last tuesday", check=False)
    assert vague.returncode != 0 and "not an ISO 8601 time" in vague.stderr
    assert f"pinned:  {fingerprint(old)}" in run(mx_home, mx_db, "partner", "keys", "us-dea").stdout

    done = run(mx_home, mx_db, "partner", "repin", "us-dea", "--key", new, "--fingerprint", fingerprint(new),
               "--compromised-since", "2026-01-01T00:00:00Z").stdout
    assert "compromised since 2026-01-01T00:00:00.000000Z" in done and "0 held versions" in done
    keys = run(mx_home, mx_db, "partner", "keys", "us-dea").stdout
    assert f"pinned:  {fingerprint(new)}" in keys and "compromised since 2026-01-01" in keys
    log = json.loads(run(mx_home, mx_db, "audit", "log", "--json").stdout)
    assert [e["action"] for e in log if e["action"].startswith("partner.repin")] == \
        ["partner.repin_refused", "partner.repin"]


def test_a_rotation_stopped_after_its_commit_is_finished_when_the_node_opens(databases, tmp_path, monkeypatch):
    node = init_node(resolve(tmp_path / "n", databases.new("n")), "us-dea", "DEA", "US")
    old = node.public_key_hex

    def disk_error(src, dst):
        raise OSError(f"{dst}: no space left on device")

    with monkeypatch.context() as m:  # the file move fails once the database holds the new key
        m.setattr(key_rotation.os, "replace", disk_error)
        with pytest.raises(OSError, match="no space left"):
            key_rotation.rotate_key(node)
    assert node.home.pending_key_file.exists()
    node.engine.dispose()
    reopened = open_node(node.home)
    assert reopened.public_key_hex != old and not node.home.pending_key_file.exists()
    assert stat.S_IMODE(reopened.home.key_file.stat().st_mode) == 0o600
    assert verify_node(reopened).ok

    # A key left by a rotation that never committed matches nothing stored: ignored, then replaced.
    save_private_key(generate(), reopened.home.pending_key_file)
    again = open_node(reopened.home)
    assert again.public_key_hex == reopened.public_key_hex
    key_rotation.rotate_key(again)
    assert open_node(again.home).public_key_hex == again.public_key_hex != reopened.public_key_hex
    for n in (reopened, again):
        n.engine.dispose()
