"""Interoperability with real STIX/TAXII tools: OASIS taxii2-client, stix2-validator and medallion."""

import json
import subprocess
import sys
import time
import uuid

import httpx
import pytest
from conftest import SEIZURE, actor
from fed_helpers import pair
from servers import free_port
from stix2validator import ValidationOptions, validate_instance
from taxii2client.v21 import Server, as_pages

from vinculo.federation import inbox
from vinculo.federation.client import TaxiiClient
from vinculo.records import service

TERMS = {"record_types": ["seizure", "person", "organization", "relationship", "note", "location", "lab"],
         "max_tlp": "amber", "start": "2020-01-01", "withheld_fields": {"person": ["date_of_birth"]}}
# Strict where the spec is strict: every MUST. Two SHOULDs are off, on purpose: 103 (ids of imported rows
# and of nodes are name-based UUIDv5 so re-imports are idempotent), 202 (our relationship vocabulary).
STRICT = ValidationOptions(version="2.1", strict=True, disabled=["103", "202"])
LOOSE = ValidationOptions(version="2.1")


def populate(node, n=23):
    ana = actor(node, "analyst")
    made = []
    for i in range(n):
        made.append(service.create_record(node, ana, "seizure", SEIZURE | {"date": f"2025-01-{i % 28 + 1:02d}"},
                                          {"tlp": "green"}).id)
    p = service.create_record(node, ana, "person", {"full_name": "Ana Ruiz", "date_of_birth": "1990-01-01"})
    o = service.create_record(node, ana, "organization", {"name": "Química Ejemplo S.A. de C.V.", "kind": "company"})
    service.create_record(node, ana, "relationship", {"relationship_type": "member-of", "source_ref": p.id,
                                                      "target_ref": o.id})
    service.create_record(node, ana, "note", {"text": "confirmed by field office", "about_refs": [made[0]]})
    service.create_record(node, ana, "location", {"country": "MX", "admin_area": "Sinaloa", "place": "Culiacán"})
    service.create_record(node, ana, "lab", {"kind": "fentanyl-pressing", "status": "dismantled", "country": "MX"})
    return n + 6


@pytest.mark.parametrize("databases", ["sqlite"], indirect=True)
def test_taxii2_client_pulls_every_collection_and_objects_validate(make_node):
    us, mx = make_node("us-dea", "US"), make_node("mx-fgr", "MX")
    total = populate(us)
    with pair(us, mx, us_terms=TERMS) as (us_url, _, cred_for_mx, _):
        server = Server(f"{us_url}/taxii2/", user="mx-fgr", password=cred_for_mx)
        root = server.api_roots[0]
        by_alias = {c.alias if hasattr(c, "alias") else c._raw.get("alias"): c for c in root.collections}
        assert {"all", "definitions", "seizure", "person"} <= set(by_alias)
        seen = {}
        for coll in root.collections:
            pages = list(as_pages(coll.get_objects, per_request=7))
            objs = [o for page in pages for o in page.get("objects", [])]
            seen[coll._raw["alias"]] = objs
            for obj in objs:
                loose, strict = validate_instance(obj, LOOSE), validate_instance(obj, STRICT)
                assert loose.is_valid and strict.is_valid, (obj["id"], [str(e) for e in strict.errors])
        assert len(seen["all"]) == total and len({o["id"] for o in seen["all"]}) == total
        assert len(seen["seizure"]) == 23 and len(pages) >= 1
        assert all("date_of_birth" not in json.dumps(o) for o in seen["person"])
        assert {o["type"] for o in seen["definitions"]} == {"identity", "marking-definition", "extension-definition"}
        manifest = by_alias["seizure"].get_manifest()
        assert len(manifest["objects"]) == 23 and all("date_added" in m for m in manifest["objects"])


MEDALLION_OBJECTS = [
    {"type": "identity", "spec_version": "2.1", "id": f"identity--{uuid.uuid4()}", "created": "2024-01-01T00:00:00.000Z",
     "modified": "2024-01-01T00:00:00.000Z", "name": f"Org {i}", "identity_class": "organization"}
    for i in range(25)
]


@pytest.fixture
def medallion(tmp_path):
    port = free_port()
    data = {
        "/discovery": {"title": "medallion", "default": f"http://127.0.0.1:{port}/api1/",
                       "api_roots": [f"http://127.0.0.1:{port}/api1/"]},
        "api1": {"information": {"title": "api1", "versions": ["application/taxii+json;version=2.1"],
                                 "max_content_length": 9765625},
                 "status": [],
                 "collections": [{"id": "91a7b528-80eb-42ed-a74d-c6fbd5a26116", "title": "standard objects",
                                  "can_read": True, "can_write": False,
                                  "media_types": ["application/stix+json;version=2.1"],
                                  "objects": [o | {"_date_added": "2024-01-01T00:00:00.000000Z"} for o in MEDALLION_OBJECTS],
                                  "manifest": [{"id": o["id"], "date_added": f"2024-01-01T00:00:{i:02d}.000000Z",
                                                "version": o["modified"], "media_type": "application/stix+json;version=2.1"}
                                               for i, o in enumerate(MEDALLION_OBJECTS)]}]},
    }
    (tmp_path / "data.json").write_text(json.dumps(data))
    (tmp_path / "config.json").write_text(json.dumps({
        "backend": {"module_class": "MemoryBackend", "module": "medallion.backends.memory_backend",
                    "filename": str(tmp_path / "data.json")},
        "users": {"vinculo": "medallion-pass"}, "taxii": {"max_page_size": 10}}))
    proc = subprocess.Popen([sys.executable, "-c", "from medallion.scripts.run import main; main()", "--port", str(port),
                             str(tmp_path / "config.json")], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/taxii2/"
    for _ in range(100):
        try:
            httpx.get(url, timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(10)


@pytest.mark.parametrize("databases", ["sqlite"], indirect=True)
def test_vinculo_client_pulls_from_medallion(medallion, make_node):
    with TaxiiClient(medallion, user="vinculo", password="medallion-pass") as client:
        root = client.api_root()
        (coll,) = client.collections(root)
        got, token, pages = [], None, 0
        while True:
            env = client.objects(root, coll["id"], token, limit=10)
            got += env.objects
            pages += 1
            if not env.more:
                break
            token = env.next
    assert pages == 3 and {o["id"] for o in got} == {o["id"] for o in MEDALLION_OBJECTS}
    node = make_node("us-dea", "US")
    # Standard objects carry no origin signature: Vinculo will not store them as partner records.
    result = inbox.apply_page(node, "us-dea", got, None)
    assert result.new == 0 and result.rejected_count == 25 and len(result.rejected) == 20  # the first 20 kept
    assert "not a Vinculo object" in result.rejected[0][1]
