"""`vinculo demo`: a US node and a Mexican node on loopback, a realistic mix of real and made-up records
under several markings, synced both ways, and what each side sees and why."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from vinculo.accounts import service as accounts
from vinculo.accounts.model import Actor, operator
from vinculo.federation import partners, sync
from vinculo.federation.agreements import update_agreement
from vinculo.node.context import Node, open_node
from vinculo.node.home import resolve
from vinculo.node.service import init_node
from vinculo.precursors import demo as pen_demo
from vinculo.records import service as records
from vinculo.records.importers import unodc
from vinculo.records.importers.rows import Unknowns
from vinculo.records.importers.service import import_file, import_rows
from vinculo.records.importers.sources import FileSource
from vinculo.records.query import build_filters
from vinculo.records.types import RECORD_TYPES

UNODC = Path(__file__).resolve().parents[2] / "examples" / "data" / "drug-trafficking-unodc.zip"
PASSWORDS = {"analyst": "demo-analyst-pass", "supervisor": "demo-supervisor-pass", "admin": "demo-admin-pass",
             "auditor": "demo-auditor-pass"}
US_TERMS = {"record_types": ["seizure", "shipment", "lab", "person", "organization", "relationship", "note",
                             "case"],
            "max_tlp": "amber", "start": "2024-01-01", "purpose": "Counter-fentanyl cooperation (demo)",
            "retention_days": 730, "withheld_fields": {"person": ["date_of_birth"], "shipment": ["consignee"]}}
MX_TERMS = {"record_types": ["seizure", "lab", "note", "person"], "max_tlp": "amber", "start": "2024-01-01",
            "purpose": "Cooperación contra el fentanilo (demo)", "retention_days": 730,
            "withheld_fields": {"lab": ["coordinates"]}}


def _node(root: Path, node_id: str, name: str, country: str, say) -> Node:
    home = resolve(root / node_id)
    if home.node_file.exists():
        return open_node(home)
    node = init_node(home, node_id, name, country)
    for role, password in PASSWORDS.items():
        accounts.add_user(node, role, role, password)
    say(f"created node {node_id} ({name}) in {home.path}")
    return node


def _real_rows(unknowns: Unknowns):
    """UNODC rows seized by Mexico or the US, and every fentanyl or precursor row (a few thousand)."""
    for row in unodc.parse(UNODC, unknowns):
        b = row.body or {}
        if b.get("country") in ("MX", "US") or b.get("category") == "precursor" or "fentanyl" in (
                b.get("substance") or ""):
            yield row


def _made_up_us(node: Node, who: Actor) -> dict[str, str]:
    r = {}
    amber_h1 = {"tlp": "amber", "handling": "H1", "reliability": "B", "accuracy": 2}
    for i, (chem, kg, port) in enumerate([("ANPP", 250, "Manzanillo"), ("NPP", 400, "Lázaro Cárdenas"),
                                          ("4-AP", 120, "Ensenada")]):
        r[f"shipment{i}"] = records.create_record(node, who, "shipment", {
            "date": f"2025-0{i + 3}-1{i}", "status": "stopped", "substance": chem, "quantity": {"amount": kg, "unit": "kg"},
            "hs_code": "2933.39", "exporter": "Hubei Chemical Trading Co., Ltd.", "exporter_country": "CN",
            "importer": "Importadora del Pacífico S.A. de C.V.", "importer_country": "MX",
            "consignee": "Bodega 7, Culiacán", "route": ["Shanghai", port], "container_numbers": [f"MSCU{1234560 + i}"],
            "transport": "maritime-container"}, amber_h1).id
    r["person"] = records.create_record(node, who, "person", {
        "full_name": "Ramón Ortega Salas", "date_of_birth": "1979-04-12", "nationality": ["MX"],
        "phones": ["+52 667 123 4567"]}, {"tlp": "amber", "reliability": "C", "accuracy": 3}).id
    r["org"] = records.create_record(node, who, "organization", {
        "name": "Importadora del Pacífico S.A. de C.V.", "kind": "company", "country": "MX"}, {"tlp": "green"}).id
    records.create_record(node, who, "relationship", {"relationship_type": "member-of", "source_ref": r["person"],
                                                      "target_ref": r["org"]}, {"tlp": "amber"})
    r["informant"] = records.create_record(node, who, "note", {
        "kind": "note", "about_refs": [r["person"]], "text": "Source CS-12 places Ortega at the Culiacán warehouse."},
        {"tlp": "red", "reliability": "B", "accuracy": 2}).id
    r["lab_us"] = records.create_record(node, who, "lab", {
        "kind": "fentanyl-pressing", "status": "dismantled", "country": "US", "admin_area": "Arizona",
        "discovered": "2025-05-02", "dismantled": "2025-05-03", "equipment": ["pill press (TDP-5)"]},
        {"tlp": "amber+strict"}).id
    return r


def _made_up_mx(node: Node, who: Actor, us_ids: dict[str, str]) -> None:
    for i, place in enumerate(["Culiacán", "Navolato"]):
        records.create_record(node, who, "lab", {
            "kind": "fentanyl-pressing", "status": "dismantled", "country": "MX", "admin_area": "Sinaloa",
            "place": place, "coordinates": {"lat": 24.80 + i / 10, "lon": -107.39 - i / 10},
            "discovered": "2025-06-0%d" % (i + 1), "chemicals": [{"substance": "NPP", "quantity": {"amount": 80,
                                                                                            "unit": "kg"}}]},
            {"tlp": "amber", "handling": "H0"})
    records.create_record(node, who, "seizure", {
        "date": "2025-06-20", "country": "MX", "admin_area": "Baja California", "place": "Garita de Otay",
        "substance": "fentanyl", "quantity": {"amount": 48000, "unit": "tablet"}, "form": "pill",
        "destination_country": "US", "transport": "road-private"}, {"tlp": "green"})
    records.create_record(node, who, "note", {
        "kind": "confirmation", "about_refs": [us_ids["shipment0"]],
        "text": "Aduanas confirmó la retención del contenedor MSCU1234560 en Manzanillo."}, {"tlp": "amber"})


def _serve(node: Node, port: int, interval: int) -> subprocess.Popen:
    env = os.environ | {"VINCULO_HOME": str(node.home.path), "VINCULO_DATABASE_URL": node.home.db_url,
                        # the demo's admin logs in with the printed password: no second factor unless asked
                        "VINCULO_TOTP_ROLES": os.environ.get("VINCULO_TOTP_ROLES", "none")}
    proc = subprocess.Popen([sys.executable, "-m", "vinculo.cli.main", "serve", "--port", str(port),
                             "--sync-interval", str(interval)], env=env)
    for _ in range(300):
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/v1/node", timeout=1)
            return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    stop_all([proc])
    raise RuntimeError(f"node {node.id} did not start on port {port}")


def _link(us: Node, mx: Node, us_url: str, mx_url: str) -> None:
    with us.engine.connect() as conn:
        from vinculo.sharing.service import list_partners

        known = {p["node_id"] for p in list_partners(conn)}
    if mx.id in known:
        return
    _, cred_for_mx = partners.add_partner(us, mx.id, "FGR México (demo)", mx.public_key_hex, mx_url, "MX")
    _, cred_for_us = partners.add_partner(mx, us.id, "DEA United States (demo)", us.public_key_hex, us_url, "US")
    partners.store_pull_credential(mx, us.id, cred_for_mx)
    partners.store_pull_credential(us, mx.id, cred_for_us)
    update_agreement(us, mx.id, US_TERMS)
    update_agreement(mx, us.id, MX_TERMS)


def _seen_by(node: Node, partner: str, say) -> None:
    sup = Actor("demo", "supervisor", node.id)
    kinds = {t: records.count_records(node, sup, build_filters(type_=t, origin=partner)) for t in RECORD_TYPES}
    say(f"  {node.id} now holds from {partner}: " + ", ".join(f"{n} {t}" for t, n in sorted(kinds.items()) if n))


def _why(node: Node, record_id: str, say) -> None:
    preview = records.preview_stored(node, Actor("demo", "supervisor", node.id), record_id)
    for p in preview["partners"]:
        verdict = "receives it" if p["allowed"] else "does not receive it"
        extra = f" without {', '.join(p['withheld'])}" if p["withheld"] else ""
        say(f"    {record_id[:24]}… {p['partner']} {verdict}{extra}: {p['reasons'][0]}")


def run(root: Path, us_port: int = 8000, mx_port: int = 8001, full_unodc: bool = False, serve: bool = True,
        interval: int = 30, say=print, progress=None) -> None:
    us = _node(root, "us-demo", "DEA demo node (United States)", "US", say)
    mx = _node(root, "mx-demo", "FGR demo node (México)", "MX", say)
    fresh = records.count_records(us, operator(us.id), build_filters()) == 0
    if fresh:
        unknowns = Unknowns()
        report = import_rows(us, operator(us.id), f"{UNODC} (Mexico, US, fentanyl and precursors)",
                             _real_rows(unknowns), unknowns=unknowns)
        say(f"us-demo: imported {report.imported} real UNODC seizures (Mexico, US, fentanyl and precursors)")
        us_ids = _made_up_us(us, Actor("analyst", "analyst", us.id))
        _made_up_mx(mx, Actor("analyst", "analyst", mx.id), us_ids)
        say("made-up records: precursor shipments, a person, a company, a RED source note, labs, a pill seizure")
    us_url, mx_url = f"http://127.0.0.1:{us_port}", f"http://127.0.0.1:{mx_port}"
    procs: list[subprocess.Popen] = []
    before = signal.signal(signal.SIGTERM, _interrupted)  # SIGTERM stops the demo as Ctrl-C does
    try:
        procs.append(_serve(us, us_port, interval))
        procs.append(_serve(mx, mx_port, interval))
        _link(us, mx, us_url, mx_url)
        made = pen_demo.create(us) if fresh else []
        for receiver, origin in ((mx, us.id), (us, mx.id)):
            say(sync.pull(receiver, origin, page_size=1000).line())
        pen_demo.answer_and_show(us, mx, made, say)
        say("\nWhat each side sees, and why:")
        _seen_by(mx, us.id, say)
        _seen_by(us, mx.id, say)
        sup = Actor("demo", "supervisor", us.id)
        for item in itertools.islice(records.list_records(us, sup, build_filters(origin=us.id), None, 40).items, 0, 40):
            if item["type"] in ("person", "note", "lab", "shipment") and item["body"].get("source") is None:
                _why(us, item["id"], say)
        if full_unodc:
            say("\nus-demo: importing the whole UNODC file (311,038 seizures); mx-demo pulls them in the background")
            report = import_file(us, operator(us.id), FileSource("unodc-ids", UNODC), progress=progress)
            say(f"us-demo: {report.imported} imported, {report.duplicates} already held")
        say(f"\nus-demo: {us_url}  (API docs {us_url}/docs)    mx-demo: {mx_url}")
        say("log in as " + ", ".join(f"{u} / {p}" for u, p in PASSWORDS.items()) + " on either node")
        say(f"e.g. curl -s -X POST {us_url}/api/v1/auth/login -H 'content-type: application/json' "
            "-d '{\"username\":\"analyst\",\"password\":\"demo-analyst-pass\"}'")
        if serve:
            say("both nodes keep syncing every %ds; Ctrl-C stops them" % interval)
            while all(p.poll() is None for p in procs):
                time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second signal must not cut the stopping short
        try:
            stop_all(procs)
        finally:
            signal.signal(signal.SIGTERM, before)


def _interrupted(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def stop_all(procs: list[subprocess.Popen], grace: float = 15.0) -> None:
    """Stop every server the demo started: SIGTERM, then SIGKILL for any still running after `grace`."""
    for p in procs:
        if p.poll() is None:
            p.terminate()
    deadline = time.monotonic() + grace
    for p in procs:
        try:
            p.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)
