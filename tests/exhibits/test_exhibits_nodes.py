"""Between two real nodes: a seizure with a lab result and photos travels to the partner, the photos'
bytes are fetched from the origin and their hashes verified, EXIF stays stripped, what the agreement leaves
out (PDFs here) is neither sent nor served; the same tablet imprint at both nodes is a local correlation
alert and a PSI hit."""

from __future__ import annotations

import hashlib

import httpx
import pytest
from conftest import SEIZURE, actor
from fed_helpers import pair
from images import PDF, has_metadata, jpeg_with_gps, png_with_text
from test_exhibits_local import TABLET, lab_result

from vinculo.audit.checks import verify_node
from vinculo.audit.service import entries
from vinculo.deconfliction import alerts, psi_service
from vinculo.exhibits import service as exhibits
from vinculo.exhibits import transfer
from vinculo.federation import sync
from vinculo.records import service

TERMS = {"record_types": ["seizure", "lab-result", "photo"], "max_tlp": "amber", "start": "2020-01-01"}


@pytest.fixture
def nodes(make_node):
    return make_node("us-dea", "US", "DEA test node"), make_node("mx-fgr", "MX", "FGR test node")


def test_seizure_with_lab_result_and_photos_travels_hashes_verified(nodes):
    us, mx = nodes
    ana = actor(us, "analyst")
    seizure = service.create_record(us, ana, "seizure", SEIZURE | {"form": "tablet", "tablet": TABLET},
                                    {"tlp": "amber"})
    lab = service.create_record(us, ana, "lab-result", lab_result(seizure.id), {"tlp": "amber"})
    photos = [exhibits.upload(us, ana, seizure.id, [jpeg_with_gps()], filename="front.jpg"),
              exhibits.upload(us, ana, seizure.id, [png_with_text()], filename="back.png")]
    pdf = exhibits.upload(us, ana, lab.id, [PDF], filename="report.pdf")
    secret = service.create_record(us, ana, "seizure", SEIZURE, {"tlp": "amber+strict"})
    hidden = exhibits.upload(us, ana, secret.id, [jpeg_with_gps(colour=(1, 2, 3))])
    with pair(us, mx, us_terms=TERMS) as (us_url, _mx_url, cred_for_mx, _):
        report = sync.pull(mx, "us-dea")
        assert report.rejected == [] and report.new == 4  # seizure, lab result, two photos
        got = transfer.fetch_from(mx, "us-dea")
        assert sorted(got.fetched) == sorted(p.body["sha256"] for p in photos) and got.rejected == []
        mx_files = exhibits.store_of(mx)
        for p in photos:
            data = mx_files.path(p.body["sha256"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == p.body["sha256"] and not has_metadata(data)
            assert mx_files.thumb_path(p.body["sha256"]).is_file()
        assert transfer.fetch_from(mx, "us-dea").fetched == []  # nothing left to fetch
        mx_ana = actor(mx, "analyst")
        shown = exhibits.attachments_of(mx, mx_ana, seizure.id)
        assert {a["id"] for a in shown} == {p.id for p in photos} and all(a["has_file"] for a in shown)
        assert exhibits.attachments_of(mx, mx_ana, lab.id) == []  # the PDF stays at home
        # the origin serves bytes only for what is released to the asker, with its record
        h = {"Authorization": f"Bearer {cred_for_mx}"}
        for withheld in (pdf.body["sha256"], hidden.body["sha256"]):
            r = httpx.get(f"{us_url}/api/v1/partner/attachments/{withheld}", headers=h)
            assert r.status_code == 404
        ok = httpx.get(f"{us_url}/api/v1/partner/attachments/{photos[0].body['sha256']}", headers=h)
        assert ok.status_code == 200
        assert httpx.get(f"{us_url}/api/v1/partner/attachments/{photos[0].body['sha256']}").status_code == 401
        with us.engine.connect() as c:
            assert {e["detail"]["partner"] for e in entries(c, action="attachment.sent", limit=10)} == {"mx-fgr"}
        # a partner file that does not match its signed hash is refused and not stored
        mx_files.delete(photos[1].body["sha256"])
        original = exhibits.store_of(us).path(photos[1].body["sha256"])
        good = original.read_bytes()
        original.write_bytes(good[:-1] + bytes([good[-1] ^ 1]))
        bad = transfer.fetch_from(mx, "us-dea")
        assert bad.fetched == [] and "do not match" in bad.rejected[0]
        assert not mx_files.has(photos[1].body["sha256"])
        original.write_bytes(good)
        # revoked at the origin: the tombstone comes, and the file goes with the record
        service.revoke_record(us, actor(us, "supervisor"), photos[0].id, "wrong photo")
        sync.pull(mx, "us-dea")
        assert exhibits.purge_unreferenced(mx) == [photos[0].body["sha256"]]
    for n in (us, mx):
        result = verify_node(n)
        assert result.ok, result.problem


def test_same_imprint_at_two_nodes_alerts_and_psi_hit(nodes):
    us, mx = nodes
    us_seizure = service.create_record(us, actor(us, "analyst"), "seizure",
                                       SEIZURE | {"form": "tablet", "tablet": TABLET}, {"tlp": "amber"})
    mx_seizure = service.create_record(mx, actor(mx, "analyst"), "seizure",
                                       SEIZURE | {"country": "MX", "form": "tablet",
                                                  "tablet": {"imprint_front": "30", "imprint_back": " m ",
                                                             "colour": "blue", "shape": "round"}})
    service.create_record(mx, actor(mx, "analyst"), "seizure",
                          SEIZURE | {"tablet": {"imprint_front": "M", "imprint_back": "30", "colour": "green",
                                                "shape": "round"}})
    terms = {"record_types": ["seizure"], "max_tlp": "amber", "start": "2020-01-01"}
    sup = actor(us, "supervisor")
    with pair(us, mx, us_terms=terms, mx_terms=terms):
        run = psi_service.start_run(us, actor(us, "analyst"), "mx-fgr", "tablet-mark")
        assert run["result"]["kinds"]["tablet-mark"]["overlap"] == 1
        done = psi_service.approve_run(us, sup, run["id"])
        assert done["status"] == "done"
        assert {n["record"]["id"] for n in alerts.list_notices(us, sup)} == {us_seizure.id}
        assert {n["record"]["id"] for n in alerts.list_notices(mx, actor(mx, "supervisor"))} == {mx_seizure.id}
        sync.pull(mx, "us-dea")
    found, _ = alerts.list_alerts(mx, actor(mx, "analyst"))
    pairs = {(a["kind"], frozenset(r["id"] for r in a["records"])) for a in found}
    assert ("tablet-mark", frozenset({us_seizure.id, mx_seizure.id})) in pairs
