"""Lab results and physical profiles validate; attachments are stored by hash (0600), metadata stripped
unless kept, thumbnailed, shown only with their record, refused past the cap with nothing stored, and
purged with their record."""

from __future__ import annotations

import hashlib
import stat

import httpx
import pytest
from conftest import SEIZURE, actor
from images import PDF, has_metadata, jpeg_with_gps, png_with_text
from servers import serving

from vinculo.accounts import service as accounts
from vinculo.audit.service import entries
from vinculo.deconfliction.normalise_exhibits import profile_bucket, profile_similarity
from vinculo.exhibits import service as exhibits
from vinculo.exhibits.files import FileRefused
from vinculo.records import service
from vinculo.records.model import RecordInvalid

TABLET = {"imprint_front": "M", "imprint_back": "30", "colour": "blue", "shape": "round", "diameter_mm": 7.1,
          "weight_mg": 100.5, "score_line": "none", "imitates": "oxycodone 30 mg"}


def lab_result(seizure_id: str, **extra) -> dict:
    return {"seizure_ref": seizure_id, "laboratory": "DEA Southwest Laboratory", "method": ["GC-MS", "FTIR"],
            "date": "2026-01-05", "sample_id": "S-1", "custody_ref": "COC-77",
            "analytes": [{"analyte": "fentanyl", "percent": 2.1}, {"analyte": "xylazine", "identified_only": True},
                         {"analyte": "mannitol", "percent": 60}], "route_class": "gupta", **extra}


def test_lab_result_and_profiles_validate(node):
    ana = actor(node, "analyst")
    seizure = service.create_record(node, ana, "seizure", SEIZURE | {"form": "tablet", "tablet": TABLET,
                                                                     "package": {"stamp": "Rolex"},
                                                                     "press": {"make": "TDP", "serial": "55-1"}})
    assert seizure.body["tablet"]["imprint_back"] == "30"
    lab = service.create_record(node, ana, "lab-result", lab_result(seizure.id))
    assert lab.id.startswith("lab-result--") and lab.body["analytes"][0] == {"analyte": "fentanyl", "percent": 2.1}
    with pytest.raises(RecordInvalid, match="analytes"):
        service.create_record(node, ana, "lab-result", lab_result(seizure.id, analytes=[{"analyte": "unobtainium"}]))
    with pytest.raises(RecordInvalid, match="more than 100"):
        service.create_record(node, ana, "lab-result", lab_result(
            seizure.id, analytes=[{"analyte": "fentanyl", "percent": 70}, {"analyte": "caffeine", "percent": 40}]))
    with pytest.raises(RecordInvalid, match="seizure_ref"):
        service.create_record(node, ana, "lab-result", lab_result(seizure.id.replace("seizure", "person")))
    with pytest.raises(RecordInvalid, match="method"):
        service.create_record(node, ana, "lab-result", lab_result(seizure.id, method=["sniff-test"]))
    with pytest.raises(RecordInvalid, match="tablet"):
        service.create_record(node, ana, "seizure", SEIZURE | {"tablet": {"shape": "blob"}})


def test_profile_bucket_and_similarity():
    a = [{"analyte": "fentanyl", "percent": 2.1}, {"analyte": "xylazine"}, {"analyte": "mannitol", "percent": 60}]
    b = [{"analyte": "fentanyl", "percent": 3.9}, {"analyte": "xylazine", "percent": 2}]
    c = [{"analyte": "fentanyl", "percent": 12}, {"analyte": "acetaminophen", "percent": 30}]
    assert profile_bucket(a) == profile_bucket(b) == "fentanyl+xylazine|fentanyl:1-5"
    assert profile_bucket(c) == "acetaminophen+fentanyl|fentanyl:10-25"
    assert profile_similarity(a, a) == 1.0 and profile_similarity(a, b) > 0.9 > profile_similarity(a, c)
    assert profile_bucket([{"analyte": "lactose"}]) is None


def test_upload_strips_metadata_stores_by_hash_and_purges(node):
    ana = actor(node, "analyst")
    seizure = service.create_record(node, ana, "seizure", SEIZURE, {"tlp": "amber"})
    raw = jpeg_with_gps()
    assert has_metadata(raw)
    photo = exhibits.upload(node, ana, seizure.id, [raw[:1000], raw[1000:]], filename="pills.jpg")
    files = exhibits.store_of(node)
    path = files.path(photo.body["sha256"])
    stored = path.read_bytes()
    assert photo.type == "photo" and hashlib.sha256(stored).hexdigest() == photo.body["sha256"]
    assert photo.body["size"] == len(stored) < len(raw) and not has_metadata(stored)
    assert b"TestCam" not in stored and b"shot at the port" not in stored
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and files.thumb_path(photo.body["sha256"]).is_file()
    assert photo.markings == seizure.markings  # covered by the record's markings
    kept = exhibits.upload(node, ana, seizure.id, [raw], keep_metadata=True)
    assert has_metadata(files.path(kept.body["sha256"]).read_bytes()) and kept.body["metadata_kept"] is True
    png = exhibits.upload(node, ana, seizure.id, [png_with_text()])
    assert not has_metadata(files.path(png.body["sha256"]).read_bytes())
    pdf = exhibits.upload(node, ana, seizure.id, [PDF], filename="lab report.pdf")
    assert pdf.type == "pdf" and pdf.body["media_type"] == "application/pdf"
    listed = exhibits.attachments_of(node, ana, seizure.id)
    assert [a["id"] for a in listed] == [photo.id, kept.id, png.id, pdf.id] and all(a["has_file"] for a in listed)
    got, media, name = exhibits.open_for(node, ana, photo.id)
    assert got == path and media == "image/jpeg" and name == "pills.jpg"
    with node.engine.connect() as c:
        assert [e["target"] for e in entries(c, action="attachment.download", limit=5)] == [photo.id]
    with pytest.raises(FileRefused, match="not allowed"):
        exhibits.upload(node, ana, seizure.id, [b"GIF89a" + b"\0" * 100])
    with pytest.raises(FileRefused, match="not a readable image"):
        exhibits.upload(node, ana, seizure.id, [b"\xff\xd8\xff\xe0" + b"\0" * 100])
    # purged with the record: revoking the seizure (or the attachment) lets the files go
    service.revoke_record(node, actor(node, "supervisor"), pdf.id, "wrong file")
    assert exhibits.purge_unreferenced(node) == [pdf.body["sha256"]]
    service.revoke_record(node, actor(node, "supervisor"), seizure.id, "duplicate")
    assert set(exhibits.purge_unreferenced(node)) == {photo.body["sha256"], kept.body["sha256"], png.body["sha256"]}
    assert files.all_hashes() == [] and not list((files.root / "tmp").iterdir())


def test_api_upload_cap_refuses_50_mb_and_stores_nothing(node):
    accounts.add_user(node, "ana", "analyst", "analyst-password-1")
    ana = actor(node, "analyst", "ana")
    seizure = service.create_record(node, ana, "seizure", SEIZURE)
    with serving(node) as base, httpx.Client(base_url=base, timeout=60) as api:
        token = api.post("/api/v1/auth/login", json={"username": "ana", "password": "analyst-password-1"})
        h = {"Authorization": f"Bearer {token.json()['token']}"}
        url = f"/api/v1/records/{seizure.id}/attachments"
        big = b"\xff\xd8\xff" + b"\0" * (50 * 1024 * 1024)
        r = api.post(url, content=big, headers=h)  # declared length: refused before it is read
        assert r.status_code == 413 and "limit" in r.json()["detail"]
        assert r.headers["content-type"].startswith("application/problem+json")

        def chunks():  # no declared length: refused once the stream passes the cap
            for _ in range(50):
                yield b"\0" * (1024 * 1024)
        r = api.post(url, content=chunks(), headers=h)
        assert r.status_code == 413, r.text
        files = exhibits.store_of(node)
        assert files.all_hashes() == [] and not list((files.root / "tmp").iterdir())
        assert exhibits.attachments_of(node, ana, seizure.id) == []
        ok = api.post(url, params={"filename": "p.jpg"}, content=jpeg_with_gps(), headers=h)
        assert ok.status_code == 201, ok.text
        att = ok.json()["id"]
        listed = api.get(url, headers=h).json()["items"]
        assert [a["id"] for a in listed] == [att]
        img = api.get(f"/api/v1/attachments/{att}/content", headers=h)
        assert img.status_code == 200 and hashlib.sha256(img.content).hexdigest() == ok.json()["body"]["sha256"]
        assert img.headers["x-content-type-options"] == "nosniff"
        assert api.get(f"/api/v1/attachments/{att}/thumbnail", headers=h).content[:3] == b"\xff\xd8\xff"
        assert api.get(f"/api/v1/attachments/{att}/content").status_code == 401
        bad = api.post(url, content=b"hello world", headers=h)
        assert bad.status_code == 415 and "not allowed" in bad.json()["detail"]
        assert api.get(f"/api/v1/partner/attachments/{'0' * 64}", headers=h).status_code == 401
