"""Releasability across three real nodes: random records x markings x agreements. Nothing reaches a
partner that release() forbids; a withheld field's value never appears in any byte sent."""

import random
from contextlib import ExitStack

import httpx
import pytest
from conftest import actor
from servers import serving

from vinculo.federation import partners, sync
from vinculo.federation.agreements import update_agreement
from vinculo.records import service
from vinculo.records.query import build_filters
from vinculo.sharing import service as sharing
from vinculo.sharing.release import PartnerNode, release

TLPS = ["clear", "green", "amber", "amber+strict", "red"]
HANDLING = ["H0", "H1", "H2", "H3"]
FIELDS = {"seizure": ["place", "admin_area", "routing", "description"],
          "person": ["date_of_birth", "aliases", "description"]}


def body(rtype, rid_hint):
    if rtype == "seizure":
        return {"date": "2025-03-01", "country": "MX", "substance": "fentanyl", "place": f"PLACE-{rid_hint}~",
                "admin_area": f"AREA-{rid_hint}~", "routing": f"ROUTE-{rid_hint}~", "description": f"DESC-{rid_hint}~"}
    return {"full_name": f"Person {rid_hint}", "date_of_birth": f"{1930 + rid_hint}-01-01",
            "aliases": [f"ALIAS-{rid_hint}~"], "description": f"DESC-{rid_hint}~"}


def random_terms(rng, relay=()):
    types = rng.sample(["seizure", "person"], rng.randint(1, 2))
    return {"record_types": types, "max_tlp": rng.choice(TLPS), "start": "2020-01-01",
            "handling_refused": rng.sample(HANDLING[:2], rng.randint(0, 1)),
            "withheld_fields": {t: rng.sample(FIELDS[t], rng.randint(0, 2)) for t in types},
            "relay_origins": list(relay), "onward_sharing": rng.random() < 0.6}


def link(a, a_url, b, b_url):
    _, cred_for_b = partners.add_partner(a, b.id, b.id, b.public_key_hex, a_url and b_url, None)
    _, cred_for_a = partners.add_partner(b, a.id, a.id, a.public_key_hex, a_url, None)
    partners.store_pull_credential(b, a.id, cred_for_b)
    partners.store_pull_credential(a, b.id, cred_for_a)
    return cred_for_b, cred_for_a


def raw_bytes(url, credential):
    headers = {"Authorization": f"Bearer {credential}"}
    colls = httpx.get(f"{url}/taxii2/api/collections/", headers=headers).json()["collections"]
    out = b""
    for c in colls:
        token = None
        while True:
            params = {"limit": 40} | ({"next": token} if token else {})
            r = httpx.get(f"{url}/taxii2/api/collections/{c['id']}/objects/", headers=headers, params=params)
            out += r.content
            if not r.json().get("more"):
                break
            token = r.json()["next"]
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_nothing_forbidden_leaves(make_node, seed):
    rng = random.Random(seed)
    us, mx, co = make_node("us-dea", "US"), make_node("mx-fgr", "MX"), make_node("co-dijin", "CO")
    ana = actor(us, "analyst")
    records = []
    for i in range(40):
        rtype = rng.choice(["seizure", "person"])
        handling = rng.choice(HANDLING)
        marks = {"tlp": rng.choice(TLPS), "handling": handling,
                 "partners": rng.sample(["mx-fgr", "co-dijin"], rng.randint(0, 2)), "onward": rng.random() < 0.6}
        if handling == "H3":
            marks["handling_text"] = "only for the named operation"
        records.append(service.create_record(us, ana, rtype, body(rtype, i), marks))
    with ExitStack() as stack:
        urls = {n.id: stack.enter_context(serving(n)) for n in (us, mx, co)}
        cred_us_mx, _ = link(us, urls["us-dea"], mx, urls["mx-fgr"])
        cred_us_co, _ = link(us, urls["us-dea"], co, urls["co-dijin"])
        cred_mx_co, _ = link(mx, urls["mx-fgr"], co, urls["co-dijin"])
        update_agreement(us, "mx-fgr", random_terms(rng))
        update_agreement(us, "co-dijin", random_terms(rng))
        update_agreement(mx, "co-dijin", random_terms(rng, relay=["us-dea"]))
        update_agreement(co, "mx-fgr", random_terms(rng, relay=["us-dea"]))  # co accepts us-dea relayed by mx
        sync.pull(mx, "us-dea", page_size=7)
        sync.pull(co, "us-dea", page_size=7)
        sync.pull(co, "mx-fgr", page_size=7)
        sent = {"mx-fgr": raw_bytes(urls["us-dea"], cred_us_mx), "co-dijin": raw_bytes(urls["us-dea"], cred_us_co),
                "co-dijin via mx": raw_bytes(urls["mx-fgr"], cred_mx_co)}
    for partner, receiver in (("mx-fgr", mx), ("co-dijin", co)):
        with us.engine.connect() as conn:
            agreement = sharing.current_agreement(conn, partner)
        audience = PartnerNode(partner, "us-dea", agreement, __import__("datetime").date.today())
        allowed = {r.id: release(r, audience) for r in records if release(r, audience).allowed}
        held = {i["id"]: i for i in service.list_records(receiver, actor(receiver, "supervisor"),
                                                         build_filters(origin="us-dea"), None, 500).items}
        direct = {rid for rid in held if rid in allowed}
        assert direct == set(allowed) or partner == "co-dijin"  # co may hold more only via a lawful relay
        for rid, item in held.items():
            if rid not in allowed:  # reached co through mx: only as the origin allowed a relay
                assert partner == "co-dijin" and item["markings"].get("onward") is True
                assert item["markings"]["tlp"] in ("clear", "green") and item["markings"]["handling"] in ("H0", "H1")
                with us.engine.connect() as conn:
                    assert sharing.current_agreement(conn, "mx-fgr").onward_sharing
                continue
            for f in allowed[rid].withheld:
                assert f not in item["body"]
        for r in records:
            d = release(r, audience)
            for f in FIELDS[r.type]:
                value = r.body.get(f)
                if value and (not d.allowed or f in d.withheld):
                    token = value if isinstance(value, str) else value[0]
                    assert token.encode() not in sent[partner], (partner, r.id, f)
