"""The release-aware read layer: counts, searches and filters answer only about what the audience may read."""

from __future__ import annotations

import httpx
import pytest
from conftest import SEIZURE
from servers import serving

from vinculo.accounts import service as accounts
from vinculo.audit import service as audit
from vinculo.records import reads, service
from vinculo.records.links import linked_records
from vinculo.records.model import RecordInvalid
from vinculo.records.query import build_filters

SECRET = "the informant meets at the Hotel Palenque on Tuesday"


def _all(node, who, filters) -> list[dict]:
    items, cursor = [], None
    while True:
        page = service.list_records(node, who, filters, cursor, 3)
        items += page.items
        if page.next_cursor is None:
            return items
        cursor = page.next_cursor


def _red_note(node, supervisor):
    about = service.create_record(node, supervisor, "seizure", SEIZURE, {"tlp": "green"}).id
    service.create_record(
        node,
        supervisor,
        "note",
        {"kind": "note", "text": "routine liaison call", "about_refs": [about]},
        {"tlp": "amber"},
    )
    return service.create_record(
        node, supervisor, "note", {"kind": "note", "text": SECRET, "about_refs": [about]}, {"tlp": "red"}
    )


def test_red_text_is_no_count_oracle(node, analyst, supervisor):
    """An analyst may not read a TLP:RED note, so counting by its words tells nothing (it was 1 per word)."""
    _red_note(node, supervisor)
    for word in ("informant", "palenque", "tuesday"):
        f = build_filters(text=word)
        assert service.count_records(node, analyst, f) == 0 == len(_all(node, analyst, f))
        assert service.count_records(node, analyst, build_filters(text=word, tlp="red")) == 0
        assert service.count_records(node, supervisor, f) == 1  # the supervisor reads it
    assert service.count_records(node, analyst, build_filters(type_="note")) == 1
    assert service.count_records(node, supervisor, build_filters(type_="note")) == 2


def test_red_text_count_over_http(node, supervisor):
    _red_note(node, supervisor)
    accounts.add_user(node, "ana", "analyst", "analyst-password-1")
    with serving(node) as base, httpx.Client(base_url=base, timeout=30) as api:
        token = api.post(
            "/api/v1/auth/login", json={"username": "ana", "password": "analyst-password-1"}
        ).json()
        h = {"Authorization": f"Bearer {token['token']}"}
        got = api.get("/api/v1/records/count", params={"text": "palenque", "tlp": "red"}, headers=h)
        assert got.status_code == 200 and got.json() == {"count": 0}


def test_count_is_audited_with_its_filters(node, analyst):
    service.create_record(node, analyst, "seizure", SEIZURE, {"tlp": "green"})
    assert service.count_records(node, analyst, build_filters(type_="seizure", text="otay")) == 0
    with node.engine.connect() as conn:
        counted = [e for e in audit.entries(conn, action="record.count", after=-1, limit=10)]
    assert len(counted) == 1 and counted[0]["actor"] == "user:analyst"
    assert (
        counted[0]["detail"]["filters"]["text"] == "otay"
        and counted[0]["detail"]["filters"]["type"] == "seizure"
    )
    assert counted[0]["detail"]["count"] == 0


@pytest.mark.parametrize(
    "given",
    [
        {"text": "palenque"},
        {"country": "MX"},
        {"substance": "fentanyl"},
        {"date_from": "2025-01-01"},
        {"date_to": "2025-12-31"},
    ],
)
def test_auditor_may_not_filter_on_content(node, supervisor, auditor, given):
    """Auditors see the envelope only: a filter that reads the body is refused, naming the field."""
    _red_note(node, supervisor)
    f = build_filters(**{"type_" if k == "type" else k: v for k, v in given.items()})
    name = {"date_from": "from", "date_to": "to"}.get(next(iter(given)), next(iter(given)))
    for read in (service.count_records, lambda n, a, f: service.list_records(n, a, f)):
        with pytest.raises(RecordInvalid) as exc:
            read(node, auditor, f)
        assert [e.field for e in exc.value.errors] == [name] and "envelope" in exc.value.errors[0].reason


def test_auditor_envelope_filters_still_work(node, supervisor, auditor):
    _red_note(node, supervisor)
    assert service.count_records(node, auditor, build_filters(type_="note", tlp="red")) == 1
    listed = _all(node, auditor, build_filters(type_="note"))
    assert len(listed) == 2 and all(v["body"] == {} for v in listed)
    assert linked_records(node, auditor, listed[0]["id"]) == []  # finding links searches content


def test_auditor_text_filter_over_http_is_a_422(node, supervisor):
    _red_note(node, supervisor)
    accounts.add_user(node, "aud", "auditor", "auditor-password-1")
    with serving(node) as base, httpx.Client(base_url=base, timeout=30) as api:
        token = api.post(
            "/api/v1/auth/login", json={"username": "aud", "password": "auditor-password-1"}
        ).json()
        h = {"Authorization": f"Bearer {token['token']}"}
        for path in ("/api/v1/records/count", "/api/v1/records"):
            got = api.get(path, params={"text": "palenque"}, headers=h)
            assert got.status_code == 422 and got.headers["content-type"].startswith(
                "application/problem+json"
            )
            assert "text" in got.text
        assert api.get("/api/v1/records/count", params={"tlp": "red"}, headers=h).json() == {"count": 1}


def test_rule_is_release_itself():
    """The prefilter is what release() answers for probe records, role by role."""
    assert reads.read_rule("admin").reads_nothing
    auditor = reads.read_rule("auditor")
    assert len(auditor.readable) == 20 and not auditor.reads_content
    analyst = reads.read_rule("analyst")
    assert ("red", "H0") not in analyst.readable and ("amber", "H3") not in analyst.readable
    assert ("amber", "H1") in analyst.whole and analyst.whole == analyst.readable
    red = {("red", h) for h in ("H0", "H1", "H2", "H3")}
    supervisor = reads.read_rule("supervisor")
    assert supervisor.whole == auditor.readable - red  # TLP:RED: named people only, whatever their role
    for rule in (analyst, supervisor):
        assert rule.named_readable == rule.named_whole == red
    assert not auditor.named_readable and not reads.read_rule("admin").named_readable
