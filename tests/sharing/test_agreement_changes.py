"""Agreements change by intent: `vinculo agreement set` changes only the terms given; a change that would
withdraw records the partner holds says how many (counted by `release()`) and needs them acknowledged, in
the CLI (a terminal prompt, --yes, refused without either), the API (409 until `confirm_withdrawn` is the
count) and the web editor (the count and a box to tick). Real nodes, a real pull, real servers, real
subprocesses; SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func
from sqlalchemy import select as sql_select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "web"))

from conftest import SEIZURE, actor
from fed_helpers import pair
from servers import serving
from web_helpers import MX_KEY, PASSWORDS, add_users, login, post_form

from vinculo.federation import sync
from vinculo.federation.agreements import WithdrawalsUnconfirmed, update_agreement
from vinculo.federation.preview import preview_agreement
from vinculo.records import service
from vinculo.sharing import service as sharing
from vinculo.store.tables_federation import withdrawals

TERMS = {"record_types": ["seizure", "person"], "max_tlp": "amber", "start": "2020-01-01",
         "withheld_fields": {"person": ["date_of_birth"]}, "purpose": "Counter-fentanyl cooperation",
         "retention_days": 730}
PERSON = {"full_name": "Juan Pérez López", "date_of_birth": "1980-02-03", "nationality": ["MX"]}


@pytest.fixture
def held(make_node):
    """us-dea, whose partner mx-fgr has pulled 3 AMBER and 2 GREEN seizures and 1 AMBER person."""
    us, mx = make_node("us-dea", "US"), make_node("mx-fgr", "MX")
    ana = actor(us, "analyst")
    for tlp in ("amber", "amber", "amber", "green", "green"):
        service.create_record(us, ana, "seizure", SEIZURE, {"tlp": tlp})
    service.create_record(us, ana, "person", PERSON, {"tlp": "amber"})
    with pair(us, mx, us_terms=TERMS):
        assert sync.pull(mx, "us-dea").new == 6
    return us


def version(node, partner: str = "mx-fgr") -> int | None:
    with node.engine.connect() as conn:
        a = sharing.current_agreement(conn, partner)
    return a.version if a else None


def queued(node) -> int:
    with node.engine.connect() as conn:
        return conn.execute(sql_select(func.count()).select_from(withdrawals)).scalar()


def cli_env(node) -> dict:
    return os.environ | {"VINCULO_HOME": str(node.home.path), "VINCULO_DATABASE_URL": node.home.db_url}


def cli(node, *args: str) -> subprocess.CompletedProcess:
    """The command with no terminal (stdin a pipe, as in a script)."""
    return subprocess.run([sys.executable, "-m", "vinculo.cli.main", *args], check=False, capture_output=True,
                          text=True, env=cli_env(node), stdin=subprocess.PIPE, timeout=300)


def cli_in_terminal(node, answer: str, *args: str) -> tuple[int, str]:
    """The command in a pseudo-terminal; `answer` is typed when it asks [y/N]."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "vinculo.cli.main", *args], stdin=slave, stdout=slave,
                            stderr=slave, env=cli_env(node), close_fds=True)
    os.close(slave)
    out, answered, give_up = b"", False, time.monotonic() + 300
    try:
        while time.monotonic() < give_up:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # the command exited and closed the terminal
                    break
                if not chunk:
                    break
                out += chunk
                if not answered and b"[y/N]" in out:
                    os.write(master, answer.encode() + b"\n")
                    answered = True
            elif proc.poll() is not None:
                break
    finally:
        os.close(master)
    return proc.wait(timeout=60), out.decode(errors="replace")


def test_set_changes_only_the_terms_given(held):
    us = held
    out = cli(us, "agreement", "set", "mx-fgr", "--retention-days", "90")
    assert out.returncode == 0, out.stderr
    assert "retention_days: 730 -> 90" in out.stdout and "is now v2" in out.stdout
    with us.engine.connect() as conn:
        now = sharing.current_agreement(conn, "mx-fgr")
    assert now.version == 2 and now.retention_days == 90
    assert now.record_types == {"seizure", "person"} and now.max_tlp.value == "amber"
    assert now.withheld_fields == {"person": {"date_of_birth"}} and now.purpose == TERMS["purpose"]
    assert str(now.start) == "2020-01-01" and now.end is None and queued(us) == 0
    again = cli(us, "agreement", "set", "mx-fgr", "--retention-days", "90")
    assert again.returncode == 0 and "unchanged (v2)" in again.stdout and version(us) == 2
    ended = cli(us, "agreement", "set", "mx-fgr", "--end", "2030-12-31")
    assert ended.returncode == 0 and version(us) == 3
    opened = cli(us, "agreement", "set", "mx-fgr", "--end", "")
    assert opened.returncode == 0 and "end: 2030-12-31 -> none" in opened.stdout
    shown = json.loads(cli(us, "agreement", "show", "mx-fgr").stdout)
    assert shown["version"] == 4 and shown["end"] is None and shown["retention_days"] == 90


def test_a_first_agreement_states_the_required_terms(held):
    us = held
    sharing.add_partner(us, "co-dijin", "DIJIN Colombia", MX_KEY, country="CO")
    out = cli(us, "agreement", "set", "co-dijin", "--max-tlp", "green")
    assert out.returncode != 0 and version(us, "co-dijin") is None
    assert "record_types: missing" in out.stderr and "start: missing" in out.stderr
    assert "max_tlp: missing" not in out.stderr and len(out.stderr.strip().splitlines()) == 1
    ok = cli(us, "agreement", "set", "co-dijin", "--max-tlp", "green", "--types", "seizure", "--start", "2026-01-01")
    assert ok.returncode == 0, ok.stderr
    assert version(us, "co-dijin") == 1


def test_a_change_that_withdraws_asks_first(held):
    us = held
    refused = cli(us, "agreement", "set", "mx-fgr", "--max-tlp", "green")  # no terminal, no --yes
    assert refused.returncode != 0
    assert "this change withdraws 4 records from mx-fgr (3 seizure, 1 person)" in refused.stderr
    assert "--yes" in refused.stderr and version(us) == 1 and queued(us) == 0

    code, out = cli_in_terminal(us, "n", "agreement", "set", "mx-fgr", "--max-tlp", "green")
    assert "this change withdraws 4 records from mx-fgr (3 seizure, 1 person); go on? [y/N]" in out
    assert code != 0 and version(us) == 1 and queued(us) == 0

    code, out = cli_in_terminal(us, "y", "agreement", "set", "mx-fgr", "--max-tlp", "green")
    assert code == 0, out
    assert "is now v2; 4 records it holds will be withdrawn" in out
    assert version(us) == 2 and queued(us) == 4

    # the 4 are still to be withdrawn (mx-fgr has not synced): the next change counts only the 2 it adds
    scripted = cli(us, "agreement", "set", "mx-fgr", "--types", "person", "--yes")
    assert scripted.returncode == 0, scripted.stderr
    assert "is now v3; 2 records it holds will be withdrawn" in scripted.stdout
    assert version(us) == 3 and queued(us) == 6


def test_the_count_is_what_is_queued_and_must_be_acknowledged(held):
    us = held
    adm = actor(us, "admin")
    preview = preview_agreement(us, adm, "mx-fgr", {"max_tlp": "green"}, merge=True)
    assert preview["withdrawn"] == 4 and preview["withdrawn_by_type"] == {"seizure": 3, "person": 1}
    with pytest.raises(WithdrawalsUnconfirmed, match="withdraws 4 records from mx-fgr"):
        update_agreement(us, "mx-fgr", {"max_tlp": "green"}, merge=True, confirm_withdrawn=3)
    assert version(us) == 1 and queued(us) == 0
    agreement, count = update_agreement(us, "mx-fgr", {"max_tlp": "green"}, merge=True, confirm_withdrawn=4)
    assert count == preview["withdrawn"] == queued(us) == 4
    assert agreement.version == 2 and agreement.record_types == {"seizure", "person"}


def test_the_api_needs_the_count_acknowledged(held):
    us = held
    add_users(us)
    with serving(us) as base, httpx.Client(base_url=base, timeout=30) as api:
        token = api.post("/api/v1/auth/login", json={"username": "adm", "password": PASSWORDS["adm"]}).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        url = "/api/v1/partners/mx-fgr/agreement"
        preview = api.post(f"{url}/preview", params={"merge": "true"}, json={"max_tlp": "green"}, headers=auth)
        assert preview.status_code == 200 and preview.json()["withdrawn"] == 4
        refused = api.patch(url, json={"max_tlp": "green"}, headers=auth)
        assert refused.status_code == 409 and refused.headers["content-type"].startswith("application/problem+json")
        problem = refused.json()
        assert problem["withdrawn"] == 4 and problem["withdrawn_by_type"] == {"seizure": 3, "person": 1}
        assert "confirm_withdrawn=4" in problem["detail"]
        wrong = api.patch(url, params={"confirm_withdrawn": 3}, json={"max_tlp": "green"}, headers=auth)
        assert wrong.status_code == 409 and version(us) == 1 and queued(us) == 0
        whole = api.put(url, json=TERMS | {"max_tlp": "green"}, headers=auth)  # a whole agreement: the same rule
        assert whole.status_code == 409 and version(us) == 1
        done = api.patch(url, params={"confirm_withdrawn": 4}, json={"max_tlp": "green"}, headers=auth)
        assert done.status_code == 200, done.text
        body = done.json()
        assert body["withdrawn"] == 4 and sorted(body["agreement"]["record_types"]) == ["person", "seizure"]
        assert body["agreement"]["retention_days"] == 730 and version(us) == 2 and queued(us) == 4
        nothing = api.patch(url, json={"retention_days": 700}, headers=auth)  # withdraws nothing: no question
        assert nothing.status_code == 200 and nothing.json()["withdrawn"] == 0


def _form(**over) -> dict:
    base = {"record_types": ["seizure", "person"], "max_tlp": "amber", "retention_days": "730",
            "start": "2020-01-01", "end": "", "purpose": TERMS["purpose"], "withheld.person": ["date_of_birth"]}
    return base | over


def test_the_web_editor_shows_the_count_before_saving(held):
    us = held
    add_users(us)
    page, action = "/partners/mx-fgr/agreement", "/partners/mx-fgr/agreement"
    with serving(us) as base, httpx.Client(base_url=base, timeout=30, follow_redirects=True) as web:
        login(web, "adm")
        preview = post_form(web, page, f"{action}/preview", _form(max_tlp="green"), headers={"HX-Request": "true"})
        assert "4 records the partner holds would be withdrawn." in preview.text
        assert "3 Seizure, 1 Person" in preview.text
        assert 'name="confirm_withdrawn" value="4"' in preview.text and " checked" not in preview.text.split(
            'name="confirm_withdrawn"')[1].split(">")[0]
        unconfirmed = post_form(web, page, action, _form(max_tlp="green"))
        assert unconfirmed.status_code == 409
        assert "This change withdraws 4 records from mx-fgr." in unconfirmed.text
        assert 'name="confirm_withdrawn" value="4"' in unconfirmed.text
        assert version(us) == 1 and queued(us) == 0
        stale = post_form(web, page, action, _form(max_tlp="green", confirm_withdrawn="3"))
        assert stale.status_code == 409 and version(us) == 1
        saved = post_form(web, page, action, _form(max_tlp="green", confirm_withdrawn="4"))
        assert saved.status_code == 200 and "Agreement version 2 saved." in saved.text
        assert "4 records the partner holds will be withdrawn at its next sync." in saved.text
        assert version(us) == 2 and queued(us) == 4


def test_the_web_editor_keeps_the_terms_it_does_not_show(held):
    us = held
    add_users(us)
    update_agreement(us, "mx-fgr", {"psi_runs_per_day": 1, "psi_max_set_size": 500}, merge=True)
    page = action = "/partners/mx-fgr/agreement"
    with serving(us) as base, httpx.Client(base_url=base, timeout=30, follow_redirects=True) as web:
        login(web, "adm")
        saved = post_form(web, page, action, _form(retention_days="700"))
        assert saved.status_code == 200 and "Agreement version 3 saved." in saved.text
    with us.engine.connect() as conn:
        now = sharing.current_agreement(conn, "mx-fgr")
    assert now.retention_days == 700 and (now.psi_runs_per_day, now.psi_max_set_size) == (1, 500)
