"""Real nodes on loopback, each pair talking through a recording proxy, driven by a `Scenario`.

`Network` starts the nodes' servers and one `RecordingProxy` per ordered (client, server) pair, and
registers every node with every other (pinned keys, credentials, the proxy's URL). `run` creates the
scenario's records, sets its agreements, then plays its steps (pulls in order, revocations between
them); after each pull the oracle judges what the pull's requests and responses carried.
"""

from __future__ import annotations

import datetime as dt
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from leak_oracle import Oracle
from leak_proxy import Recorder, RecordingProxy
from servers import serving

from vinculo.accounts.model import Actor
from vinculo.federation import partners, sync
from vinculo.federation.agreements import update_agreement
from vinculo.node.home import resolve
from vinculo.node.service import init_node
from vinculo.records import service
from vinculo.records.types import Passport
from vinculo.sharing import service as sharing
from vinculo.sharing.markings import Markings

NODE_IDS = ("us-dea", "mx-fgr", "ca-rcmp", "co-dijin", "gt-pnc")
COUNTRY = {"us-dea": "US", "mx-fgr": "MX", "ca-rcmp": "CA", "co-dijin": "CO", "gt-pnc": "GT"}
MARKING_FIELDS = set(Markings.model_fields)
PASSPORT_MRZ = "mrz" in Passport.model_fields


@dataclass
class RecordSpec:
    origin: str
    type: str  # seizure | person | note | relationship
    markings: dict
    refs: tuple[int, ...] = ()  # indexes of earlier records (a note's about_refs; a relationship's ends)


@dataclass
class Scenario:
    nodes: tuple[str, ...]
    agreements: dict[tuple[str, str], dict]  # (node, partner) -> terms
    records: list[RecordSpec]
    steps: list[tuple]  # ("pull", puller, server) | ("revoke", i) | ("remark", i, markings) | ("agree", n, p, terms)

    def describe(self) -> str:
        lines = [f"nodes {', '.join(self.nodes)}"]
        lines += [f"  agreement {n}->{p}: {t}" for (n, p), t in sorted(self.agreements.items())]
        lines += [f"  record {i}: {r}" for i, r in enumerate(self.records)]
        lines += [f"  step {s}" for s in self.steps]
        return "\n".join(lines)


def markings_for_node(m: dict) -> dict:
    """The markings as the product takes them: fields it does not (yet) have are left out, so the signed
    markings say what they say and the oracle reads them (a missing `onward` means not permitted)."""
    out = {k: v for k, v in m.items() if k in MARKING_FIELDS}
    if out.get("handling") == "H3" and not out.get("handling_text"):
        out["handling_text"] = "Only for the named recipients; ask before any use in court."
    return out


def seizure_body(k: int) -> tuple[dict, dict[str, str]]:
    place = f"Warehouse {k:03d}-{k * 7919 % 10000:04d} Sentinel"
    body = {"date": "2025-06-01", "country": "US", "admin_area": "California", "place": place,
            "substance": "fentanyl", "quantity": {"amount": 1.5 + k, "unit": "kg"}, "form": "pill",
            "concealment": "vehicle", "transport": "road-private"}
    return body, {"place": place}


def person_body(k: int) -> tuple[dict, dict[str, str]]:
    dob = dt.date(1950, 1, 1) + dt.timedelta(days=k * 389 + 17)
    ymd = dob.strftime("%y%m%d")
    curp = f"PELJ{ymd}HDFRP{'N' if k % 2 else 'S'}{k % 10}{(k * 7) % 10}"[:18]
    rfc = f"PELJ{ymd}{chr(65 + k % 26)}{(k * 3) % 10}{(k * 5) % 10}"[:13]
    passport = {"country": "MX", "number": f"G{k:02d}{ymd}"}
    sentinels = {"date_of_birth": dob.isoformat(), "curp": curp, "rfc": rfc}
    if PASSPORT_MRZ:
        passport["mrz"] = f"P<MEXPEREZ<LOPEZ<<JUAN<<<<<<<<<<<<<<<<<<<<<<G{k:02d}{ymd}<8MEX{ymd}9M3001015<<<<<<<<<<<<<<04"
        sentinels["passports.mrz"] = passport["mrz"]
    body = {"full_name": f"Juan Perez Lopez {k}", "date_of_birth": dob.isoformat(), "nationality": ["MX"],
            "curp": curp, "rfc": rfc, "passports": [passport]}
    return body, sentinels


@dataclass
class Outcome:
    oracle: Oracle
    pulls: int = 0
    failed_pulls: list[str] = field(default_factory=list)
    records: int = 0


class Network:
    """Nodes served on loopback, each ordered pair talking through its own recording proxy."""

    def __init__(self, nodes: dict, stack: ExitStack):
        self.nodes = nodes  # node id -> Node
        self.recorder = Recorder()
        self.urls = {nid: stack.enter_context(serving(n)) for nid, n in nodes.items()}
        self.proxies: dict[tuple[str, str], RecordingProxy] = {}
        for client in nodes:
            for server in nodes:
                if client != server:
                    p = RecordingProxy(client, server, self.urls[server], self.recorder).start()
                    stack.callback(p.stop)
                    self.proxies[(client, server)] = p
        for client, n in nodes.items():
            for server, s in nodes.items():
                if client == server:
                    continue
                # `client` knows `server` at the proxy; the credential it issues goes to `server`
                _, cred = partners.add_partner(n, server, server, s.public_key_hex,
                                               self.proxies[(client, server)].url, COUNTRY.get(server))
                partners.store_pull_credential(s, client, cred)

    def run(self, scenario: Scenario) -> Outcome:
        oracle = Oracle(dict(scenario.agreements))
        out = Outcome(oracle)
        ids: list[str] = []
        for i, spec in enumerate(scenario.records):
            node = self.nodes[spec.origin]
            who = Actor("analyst", "analyst", node.id)
            sentinels: dict[str, str] = {}
            if spec.type == "seizure":
                body, sentinels = seizure_body(i)
            elif spec.type == "person":
                body, sentinels = person_body(i)
            elif spec.type == "note":
                body = {"kind": "note", "about_refs": [ids[r] for r in spec.refs], "text": f"Note {i} on these."}
            else:
                body = {"relationship_type": "related-to", "source_ref": ids[spec.refs[0]],
                        "target_ref": ids[spec.refs[1]]}
            rec = service.create_record(node, who, spec.type, body, markings_for_node(spec.markings))
            ids.append(rec.id)
            oracle.truth[rec.id] = rec.document()
            oracle.sentinels[rec.id] = sentinels
        out.records = len(ids)
        for (n, p), terms in scenario.agreements.items():
            update_agreement(self.nodes[n], p, terms)
        for step in scenario.steps:
            if step[0] == "revoke":
                rid = ids[step[1]]
                if oracle.truth[rid].get("revoked"):
                    continue
                origin = self.nodes[oracle.truth[rid]["origin"]]
                rec = service.revoke_record(origin, Actor("supervisor", "supervisor", origin.id), rid, "wrong")
                oracle.truth[rid] = rec.document()
                continue
            if step[0] == "remark":
                rid = ids[step[1]]
                doc = oracle.truth[rid]
                if doc.get("revoked"):
                    continue
                origin = self.nodes[doc["origin"]]
                # a supervisor changes it (H3 is for supervisors), but a TLP:RED one only its author may read and so
                # change: RED is for the people it names
                who = "analyst" if doc["markings"]["tlp"] == "red" else "supervisor"
                rec = service.update_record(origin, Actor(who, who, origin.id), rid, doc["body"],
                                            markings_for_node(step[2]))
                oracle.truth[rid] = rec.document()
                continue
            if step[0] == "agree":
                _, n, p, terms = step
                update_agreement(self.nodes[n], p, terms)
                oracle.agreements[(n, p)] = terms
                continue
            _, puller, server = step
            start = len(self.recorder.captures)
            try:
                sync.pull(self.nodes[puller], server, page_size=50)
            except (sync.SyncError, sharing.SharingError) as exc:
                out.failed_pulls.append(f"{puller}<-{server}: {exc}")
            out.pulls += 1
            oracle.judge(self.recorder.captures[start:])
        return out


def start_nodes(node_ids: tuple[str, ...], new_db, home: Path, tag: str = "") -> dict:
    """`new_db(name)` gives a fresh database URL (the `databases` fixture's `new`); `tag` keeps the homes
    and database names of one run's networks apart."""
    return {nid: init_node(resolve(home / f"{nid}{tag}", new_db(f"{nid}{tag}")), nid, nid, COUNTRY[nid])
            for nid in node_ids}


@contextmanager
def network(databases, tmp_path: Path, node_ids: tuple[str, ...], tag: str = ""):
    """Fresh nodes (one database each, of the `databases` fixture's kind) on a recording network. Its
    PostgreSQL schemas are dropped when it stops (dropping a whole run's at once outgrows the server's
    lock table)."""
    before = len(databases.schemas)
    nodes = start_nodes(node_ids, databases.new, tmp_path, tag)
    try:
        with ExitStack() as stack:
            yield Network(nodes, stack)
    finally:
        for n in nodes.values():
            n.engine.dispose()
        earlier = databases.schemas[:before]
        del databases.schemas[:before]
        try:
            databases.drop()
        finally:
            databases.schemas[:] = earlier
