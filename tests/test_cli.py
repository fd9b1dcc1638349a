"""The `vinculo` command as a user runs it (real subprocesses, SQLite and PostgreSQL)."""

import json
import os
import stat
import subprocess
import sys

import pytest
from test_imports import GOOD_ROW, unodc_sample


def run(home, db_url, *args, input=None, check=True):
    env = os.environ | {"VINCULO_HOME": str(home), "VINCULO_DATABASE_URL": db_url}
    proc = subprocess.run([sys.executable, "-m", "vinculo.cli.main", *args], capture_output=True, text=True,
                          env=env, input=input, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"{args} exited {proc.returncode}: {proc.stderr}")
    return proc


@pytest.fixture
def cli_home(tmp_path, db_url):
    home = tmp_path / "home"
    out = run(home, db_url, "init", "--node-id", "mx-fgr", "--name", "FGR test", "--country", "MX").stdout
    assert "node mx-fgr" in out and "fingerprint: SHA256:" in out
    return home


def test_init_refuses_to_overwrite_and_key_is_private(cli_home, db_url):
    again = run(cli_home, db_url, "init", "--node-id", "mx-fgr", "--name", "x", "--country", "MX", check=False)
    assert again.returncode != 0 and "refusing to overwrite" in again.stderr
    assert stat.S_IMODE((cli_home / "node_key.pem").stat().st_mode) == 0o600


def test_users_tokens_import_list_verify(cli_home, db_url, tmp_path):
    run(cli_home, db_url, "user", "add", "ana", "--role", "analyst", "--password-stdin", input="long-password-1\n")
    bad_role = run(cli_home, db_url, "user", "add", "bob", "--role", "king", "--password-stdin", input="x" * 14 + "\n",
                   check=False)
    assert bad_role.returncode == 2 and "role 'king'" in bad_role.stderr
    token = run(cli_home, db_url, "token", "create", "ana").stdout.strip()
    assert token.startswith("vn_")
    path = unodc_sample(tmp_path, 30, [GOOD_ROW])
    out = run(cli_home, db_url, "import", "unodc-ids", str(path)).stdout
    assert "31 imported" in out
    assert "0 imported, 31 already held" in run(cli_home, db_url, "import", "unodc-ids", str(path)).stdout
    count = run(cli_home, db_url, "records", "count", "--country", "MX", "--json").stdout
    assert json.loads(count) == {"count": 1}
    listed = json.loads(run(cli_home, db_url, "records", "list", "--substance", "fentanyl", "--json").stdout)
    rid = listed["items"][0]["id"]
    shown = json.loads(run(cli_home, db_url, "records", "show", rid, "--json").stdout)
    assert shown["body"]["place"] == "Tijuana"
    verify = run(cli_home, db_url, "audit", "verify").stdout
    assert verify.startswith("ok: ") and "root " in verify


def test_bad_file_exits_nonzero_and_writes_nothing(cli_home, db_url, tmp_path):
    path = unodc_sample(tmp_path, 10, [GOOD_ROW.replace("2014-03-02", "2014-02-30")])
    proc = run(cli_home, db_url, "import", "unodc-ids", str(path), check=False)
    assert proc.returncode == 2
    assert f"{path}:12: SEIZURE_DATE: not a date" in proc.stderr
    assert run(cli_home, db_url, "records", "count").stdout.strip() == "0"
    skipped = run(cli_home, db_url, "import", "unodc-ids", str(path), "--skip-invalid").stdout
    assert "10 imported" in skipped and "1 rejected" in skipped
    assert (tmp_path / "ids.csv.rejects.csv").exists()


def test_no_node_is_a_clear_error(tmp_path, db_url):
    proc = run(tmp_path / "empty", db_url, "records", "count", check=False)
    assert proc.returncode == 1 and "vinculo init" in proc.stderr
