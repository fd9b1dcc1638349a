"""The standard STIX 2.1 reading of Vinculo objects, read by real consumers that do not know Vinculo's
extension: MISP's own STIX 2.1 importer (misp-stix) and the OASIS stix2 library."""

import json
import uuid

import httpx
import pytest
import stix2
from conftest import SEIZURE, actor
from fed_helpers import pair
from misp_stix_converter import ExternalSTIX2toMISPParser

from vinculo.records import service

TERMS = {"record_types": ["seizure", "shipment", "lab", "person", "organization", "location", "relationship", "note"],
         "max_tlp": "amber", "start": "2020-01-01",
         "withheld_fields": {"person": ["date_of_birth"], "seizure": ["routing"]}}


def populate(node):
    ana = actor(node, "analyst")
    made = {
        "seizure": service.create_record(node, ana, "seizure", SEIZURE | {"routing": "ROUTE-SECRET-7731",
                                                                        "quantity": {"amount": 12500, "unit": "g"}},
                                         {"tlp": "green"}),
        "shipment": service.create_record(node, ana, "shipment", {
            "date": "2025-05-02", "status": "stopped", "substance": "4-anpp", "quantity": {"amount": 250, "unit": "kg"},
            "exporter": "Hubei Example Chemical Co.", "exporter_country": "CN", "importer": "Química Ejemplo",
            "importer_country": "MX", "container_numbers": ["MSKU1234565"]}),
        "lab": service.create_record(node, ana, "lab", {"kind": "fentanyl-pressing", "status": "dismantled",
                                                        "country": "MX", "admin_area": "Sinaloa", "place": "Culiacán",
                                                        "dismantled": "2025-04-20"}),
        "person": service.create_record(node, ana, "person", {"full_name": "Ana Ruiz", "date_of_birth": "1971-02-03",
                                                              "aliases": ["La Güera"], "nationality": ["MX"]}),
        "organization": service.create_record(node, ana, "organization", {
            "name": "Química Ejemplo S.A. de C.V.", "kind": "company", "country": "MX"}),
    }
    return made


def served(url, credential):
    """Every object the partner can read over TAXII: each collection, every page, as served."""
    headers = {"Authorization": f"Bearer {credential}", "Accept": "application/taxii+json;version=2.1"}
    colls = httpx.get(f"{url}/taxii2/api/collections/", headers=headers).json()["collections"]
    by_alias, raw = {}, b""
    for c in colls:
        objs, token = [], None
        while True:
            r = httpx.get(f"{url}/taxii2/api/collections/{c['id']}/objects/", headers=headers,
                          params={"limit": 50} | ({"next": token} if token else {}))
            raw += r.content
            env = r.json()
            objs += env.get("objects", [])
            if not env.get("more"):
                break
            token = env["next"]
        by_alias[c["alias"]] = objs
    return by_alias, raw


def referenced(objects, definitions):
    """The definitions `objects` refer to (markings, identities), as a consumer resolves them."""
    refs = {o.get("created_by_ref") for o in objects} | {r for o in objects for r in o.get("object_marking_refs", [])}
    return [d for d in definitions if d["id"] in refs]


def to_misp(objects):
    bundle = stix2.parse({"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects}, allow_custom=True)
    parser = ExternalSTIX2toMISPParser()
    parser.load_stix_bundle(bundle)
    parser.parse_stix_bundle()
    return parser


@pytest.fixture
def misp(make_node):
    us, mx = make_node("us-dea", "US"), make_node("mx-fgr", "MX")
    made = populate(us)
    with pair(us, mx, us_terms=TERMS) as (us_url, _, cred_for_mx, _):
        by_alias, raw = served(us_url, cred_for_mx)
    objects = by_alias["all"] + referenced(by_alias["all"], by_alias["definitions"])
    parser = to_misp(objects)
    return made, by_alias, raw, parser, json.loads(parser.misp_event.to_json())


def attributes(event):
    """(object name, relation, value) of every attribute of every MISP object, and the objects' comments."""
    out = [(o["name"], a.get("object_relation"), str(a["value"])) for o in event.get("Object", [])
           for a in o.get("Attribute", [])]
    return out + [("attribute", a.get("type"), str(a["value"])) for a in event.get("Attribute", [])]


def values(event):
    """Every attribute value, and the value and description of every galaxy cluster (where misp-stix puts a
    location it does not read as a geolocation object: one with neither a place nor coordinates)."""
    clusters = [c for g in event.get("Galaxy", []) for c in g.get("GalaxyCluster", [])]
    return [v for _, _, v in attributes(event)] + [c["value"] for c in clusters] + [c.get("description", "")
                                                                                    for c in clusters]


def test_misp_keeps_every_record_and_its_facts(misp):
    made, by_alias, _, parser, event = misp
    assert not parser.errors, parser.errors
    assert len(by_alias["all"]) == len(made)
    clusters = [c for g in event.get("Galaxy", []) for c in g.get("GalaxyCluster", [])]
    assert len(event["Object"]) + len(clusters) == len(made)  # every record is kept: none is dropped as an unknown type
    text = "\n".join(values(event))
    # the seizure: substance, quantity as reported and in kg, country, place and date
    seizure = next(o for o in event["Object"] if any("Seizure of" in a["value"] for a in o["Attribute"]))
    stext = "\n".join(str(a["value"]) for a in seizure["Attribute"])
    for fact in ("fentanyl", "12500.0 g", "12.5 kg", "San Ysidro port of entry", "2025-06-01", "California"):
        assert fact in stext, fact
    assert ("geolocation", "countrycode", "US") in attributes(event)
    assert ("geolocation", "city", "San Ysidro port of entry") in attributes(event)
    # shipment, lab, person, organisation: their main facts
    for fact in ("Stopped shipment of anpp", "250.0 kg", "Hubei Example Chemical Co.", "MSKU1234565",
                 "fentanyl-pressing lab (dismantled) in MX", "Culiacán", "2025-04-20",
                 "Ana Ruiz", "La Güera", "Química Ejemplo S.A. de C.V.", "company"):
        assert fact in text, fact
    assert ("identity", "identity_class", "individual") in attributes(event)
    assert any(name == "organization" and v == "Química Ejemplo S.A. de C.V." for name, _, v in attributes(event))


def test_withheld_values_appear_nowhere_served_nor_in_misp(misp):
    _, _, raw, _, event = misp
    for secret in ("ROUTE-SECRET-7731", "1971-02-03"):
        assert secret.encode() not in raw
        assert secret not in json.dumps(event)


def test_the_event_carries_only_the_markings_objects_reference(misp):
    event = misp[4]
    tags = {t["name"] for t in event.get("Tag", [])}
    tags |= {t["name"] for o in event.get("Object", []) for a in o.get("Attribute", []) for t in a.get("Tag", [])}
    assert "tlp:red" not in tags and "tlp:amber+strict" not in tags, tags
    assert {t for t in tags if t.startswith("tlp:")} == {"tlp:green", "tlp:amber"}  # what the records carry


def test_stix2_parses_every_served_object_with_and_without_custom(misp):
    _, by_alias, _, _, _ = misp
    for obj in by_alias["all"] + by_alias["definitions"]:
        assert stix2.parse(obj, allow_custom=True).id == obj["id"]
        assert stix2.parse(obj, allow_custom=False).id == obj["id"]  # extensions named by definitions: not custom
        if obj["type"] in ("location", "identity"):  # OpenCTI's import reads these as required
            assert obj.get("name") and (obj["type"] == "location" or obj.get("identity_class"))
    seizure = next(o for o in by_alias["all"] if o["name"].startswith("Seizure of"))
    parsed = stix2.parse(seizure, allow_custom=False)  # whole, extensions and all
    assert parsed.type == "location" and parsed.country == "US" and "fentanyl" in parsed.description



def test_the_guard_refuses_a_standard_property_its_document_does_not_say():
    import datetime as dt

    from vinculo.federation.egress import EgressRefused, Guard
    from vinculo.federation.stix_map import to_stix
    from vinculo.sharing.agreements import Agreement
    from vinculo.sharing.markings import TLP

    doc = {"id": "seizure--00000000-0000-4000-8000-000000000001", "type": "seizure", "origin": "us-dea", "version": 1,
           "created": "2026-01-01T00:00:00.000000Z", "modified": "2026-01-01T00:00:00.000000Z", "revoked": False,
           "markings": {"tlp": "green", "handling": "H0", "reliability": "X", "accuracy": 4},
           "body": {"date": "2025-06-01", "country": "US", "substance": "fentanyl"}}
    guard = Guard("mx-fgr", "us-dea", Agreement(partner="mx-fgr", record_types={"seizure"}, max_tlp=TLP.AMBER,
                                                start=dt.date(2026, 1, 1),
                                                withheld_fields={"seizure": {"routing"}}), dt.date(2026, 6, 1))
    obj = to_stix(doc, "00" * 64, "us-dea")
    guard.check(obj)
    assert "Substance: fentanyl" in obj["description"] and obj["country"] == "US"
    for key, value in (("description", obj["description"] + "\nRouting: ROUTE-SECRET"), ("city", "Tijuana"),
                       ("x_routing", "ROUTE-SECRET")):
        with pytest.raises(EgressRefused, match="not those of the released document"):
            guard.check(obj | {key: value})
