"""The leak oracle: what one node may send another, written from the rules alone.

It never imports `vinculo.sharing.release` or `vinculo.federation.egress`, nor reads the agreements the
nodes store: it judges every captured byte against the terms the test itself set and the records the
test itself created (their documents as the origin made them). See `docs/` and the task brief for the
rules; each refusal below names the rule it enforces.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field

from leak_proxy import Capture

from vinculo.federation.stix_map import StixMappingError, from_stix

TLP_RANK = {"clear": 0, "green": 1, "amber": 2, "amber+strict": 3, "red": 4}

# Withholding a field withholds every field carrying the same information. The groups the product
# declares are read from `records.types` where present; these (from the rules) always apply as well.
HARD_GROUPS: dict[tuple[str, str], tuple[str, ...]] = {
    ("person", "date_of_birth"): ("curp", "rfc", "passports.mrz"),
}
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def declared_groups() -> dict[tuple[str, str], tuple[str, ...]]:
    """HARD_GROUPS merged with the groups the product declares (`records.types.SAME_INFORMATION`, read
    as a table: {type: {field: (fields carrying the same information)}}), closed transitively here."""
    groups = {k: set(v) for k, v in HARD_GROUPS.items()}
    try:
        from vinculo.records.types import SAME_INFORMATION as declared
    except ImportError:  # before the product declared them
        declared = {}
    for rtype, table in declared.items():
        for fld, same in table.items():
            groups.setdefault((rtype, fld), set()).update(_names(same))
    changed = True
    while changed:
        changed = False
        for (rtype, _fld), same in groups.items():
            for other in list(same):
                more = groups.get((rtype, other), set()) - same
                if more:
                    same.update(more)
                    changed = True
    return {k: tuple(sorted(v)) for k, v in groups.items()}


def _names(members: object) -> list[str]:
    if isinstance(members, str):
        return [members]
    try:
        return [str(m) for m in members]  # type: ignore[union-attr]
    except TypeError:
        return []


def expand(rtype: str, paths: list[str] | tuple[str, ...], groups: dict) -> set[str]:
    out: set[str] = set()
    for p in paths:
        out.add(p)
        out.update(groups.get((rtype, p), ()))  # one way: withholding a CURP does not withhold the birth date
    return out


def has_path(body: object, path: str) -> bool:
    """Whether `path` (dotted; a list on the way means any of its items) is present in `body`."""
    head, _, rest = path.partition(".")
    if isinstance(body, list):
        return any(has_path(item, path) for item in body)
    if not isinstance(body, dict) or head not in body:
        return False
    return True if not rest else has_path(body[head], rest)


def refs_of(doc: dict) -> list[str]:
    body = doc.get("body") or {}
    if doc.get("type") == "relationship":
        return [r for r in (body.get("source_ref"), body.get("target_ref")) if isinstance(r, str)]
    if doc.get("type") == "note":
        return [r for r in body.get("about_refs", []) if isinstance(r, str)]
    return []


def canon(doc: dict) -> str:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# Leaks the product is known to have (reported as warnings by the property test, so that it still fails on
# anything new). None today: scenarios 5 and 6 of test_leak_fixed.py pin the two that were found.
KNOWN: tuple[re.Pattern, ...] = ()


@dataclass
class Leak:
    sender: str
    receiver: str
    obj: str
    rule: str
    where: str = ""

    def __str__(self) -> str:
        return f"{self.sender} -> {self.receiver}: {self.obj}: {self.rule} ({self.where})"

    @property
    def known(self) -> bool:
        return any(k.match(self.rule) for k in KNOWN)


@dataclass
class Got:
    version: int
    tombstone: bool
    doc: dict
    signature: str | None
    signer: str


@dataclass
class Oracle:
    """Judge captures in the order they happened; `truth` and `sentinels` are kept by the harness."""

    agreements: dict[tuple[str, str], dict]  # (sender, partner) -> the terms the test set
    truth: dict[str, dict] = field(default_factory=dict)  # record id -> its origin's current document
    sentinels: dict[str, dict[str, str]] = field(default_factory=dict)  # record id -> {field: unique value}
    leaks: list[Leak] = field(default_factory=list)
    received: dict[tuple[str, str], dict[str, list[Got]]] = field(default_factory=dict)  # (to, from)
    signed: dict[str, set[tuple[str, str | None]]] = field(default_factory=dict)  # origin -> what it signed
    objects_checked: int = 0
    receipts_checked: int = 0
    captures_checked: int = 0
    relayed: int = 0
    tombstones: int = 0
    groups: dict = field(default_factory=declared_groups)
    today: dt.date = field(default_factory=lambda: dt.datetime.now(dt.UTC).date())

    # --- the rules -------------------------------------------------------------------------------
    def in_force(self, a: dict) -> bool:
        start = dt.date.fromisoformat(a["start"])
        end = dt.date.fromisoformat(a["end"]) if a.get("end") else None
        return start <= self.today and (end is None or self.today <= end)

    def refusal(self, sender: str, partner: str, doc: dict) -> str | None:
        """Why `partner` may not receive `doc` (a record, not a tombstone) from `sender`: every rule it breaks,
        joined; None: it may."""
        why: list[str] = []
        a = self.agreements.get((sender, partner))
        rtype, origin, m = doc.get("type"), doc.get("origin"), doc.get("markings") or {}
        if a is None:
            return "no agreement"
        if not self.in_force(a):
            why.append("agreement not in force")
        if rtype not in a.get("record_types", ()):
            why.append(f"agreement does not cover {rtype}")
        if doc.get("revoked"):
            why.append("revoked record sent with its body (only a tombstone may go)")
        if origin == partner:
            why.append("sent to its own origin")
        partners, excluded = list(m.get("partners") or ()), list(m.get("excluded") or ())
        tlp, handling = m.get("tlp"), m.get("handling")
        named = partner in partners
        if partner in excluded:
            why.append("partner excluded by the markings")
        if partners and not named:
            why.append("markings name other recipients")
        if tlp not in TLP_RANK:
            return f"unknown TLP {tlp!r}"
        if tlp == "amber+strict":
            why.append("TLP:AMBER+STRICT sent to a partner")
        if tlp == "red":
            why.append("TLP:RED to a partner (it is for named people only)")
        if TLP_RANK[tlp] > TLP_RANK[a.get("max_tlp", "green")]:
            why.append(f"TLP:{tlp} above the agreement's max_tlp {a.get('max_tlp')}")
        if handling == "H3" and not named:
            why.append("H3 to a partner not named")
        if handling in a.get("handling_refused", ()):
            why.append(f"handling {handling} refused by the agreement")
        if a.get("handling_required") and handling not in a["handling_required"]:
            why.append(f"handling {handling} not among those the agreement requires")
        if origin != sender:
            if not m.get("onward", False):
                why.append("relayed although the markings do not permit onward sharing")
            elif m.get("onward_holder") != sender:
                why.append(f"relayed by {sender} under an onward permission given to {m.get('onward_holder')}")
            if tlp not in ("clear", "green"):
                why.append(f"TLP:{tlp} relayed (only CLEAR/GREEN may be)")
            if handling not in ("H0", "H1"):
                why.append(f"handling {handling} relayed (only H0/H1 may be)")
            if origin not in a.get("relay_origins", ()):
                why.append(f"agreement does not relay records from {origin}")
            upstream = self.agreements.get((origin, sender))
            if not upstream or not upstream.get("onward_sharing"):
                why.append(f"{origin}'s agreement with {sender} does not permit onward sharing")
            if (a.get("withheld_fields") or {}).get(rtype):
                why.append(f"relayed although the agreement withholds {rtype} fields")
        return "; ".join(why) or None

    def held(self, node: str, rid: str) -> Got | None:
        """The latest version of another origin's record that `node` was sent (None if withdrawn)."""
        latest: Got | None = None
        for (to, _frm), got in self.received.items():
            if to != node:
                continue
            for g in got.get(rid, ()):
                if latest is None or g.version > latest.version or (g.version == latest.version and g.tombstone):
                    latest = g
        return latest

    def may_receive(self, sender: str, partner: str, rid: str, depth: int = 0) -> bool:
        """Whether `partner` may be sent record `rid` by `sender` now (for references)."""
        doc = self.truth.get(rid)
        if doc is None or depth > 20:
            return False
        if doc["origin"] == partner:
            return True
        if doc["origin"] != sender:
            got = self.held(sender, rid)
            if got is None or got.tombstone or got.doc.get("revoked"):
                return False
            doc = got.doc
        if self.refusal(sender, partner, doc) is not None:
            return False
        return all(self.may_receive(sender, partner, r, depth + 1) for r in refs_of(doc))

    # --- judging captures ------------------------------------------------------------------------
    def judge(self, captures: list[Capture]) -> None:
        events = sorted([(c.arrived, 0, i) for i, c in enumerate(captures)]
                        + [(c.completed, 1, i) for i, c in enumerate(captures)])
        for _, is_response, i in events:
            cap = captures[i]
            if is_response:
                self._response(cap)
            else:
                self._request(cap)
            self.captures_checked += is_response

    def _leak(self, sender: str, receiver: str, obj: str, rule: str, where: str) -> None:
        self.leaks.append(Leak(sender, receiver, obj, rule, where))

    def _mentions(self, text: str, allowed: set[str], sender: str, receiver: str, where: str) -> None:
        by_uuid = {rid.partition("--")[2]: rid for rid in self.truth}
        for u in set(_UUID.findall(text)):
            rid = by_uuid.get(u)
            if rid is not None and rid not in allowed:
                self._leak(sender, receiver, rid, "record named in bytes it may not be named in", where)

    def _request(self, cap: Capture) -> None:
        sender, receiver = cap.client, cap.server
        where = f"{cap.method} {cap.path.split('?')[0]}"
        got = self.received.get((sender, receiver), {})
        if cap.method == "POST" and cap.path.split("?")[0].endswith("/federation/receipts"):
            try:
                items = json.loads(cap.request_body)["receipts"]
            except (ValueError, KeyError, TypeError):
                items = []
            for item in items:
                self.receipts_checked += 1
                rid, version = item.get("id"), item.get("version")
                if not any(g.version == version for g in got.get(rid, ())):
                    self._leak(sender, receiver, f"{rid} v{version}",
                               f"receipt names a version {sender} did not receive from {receiver}", where)
        self._mentions(cap.request_text(), set(got), sender, receiver, where)

    def _response(self, cap: Capture) -> None:
        sender, receiver = cap.server, cap.client
        where = f"{cap.method} {cap.path.split('?')[0]}"
        allowed = {rid for rid, doc in self.truth.items() if doc["origin"] == receiver}
        objects: list = []
        if cap.status == 200 and cap.response_body[:1] == b"{":
            try:
                objects = json.loads(cap.response_body).get("objects") or []
            except ValueError:
                objects = []
        text = cap.response_text()
        for obj in objects:
            rid = self._object(sender, receiver, obj, text, where)
            if rid:
                allowed.add(rid)
                allowed.update(refs_of(self._doc(obj) or {}))
        self._mentions(text, allowed, sender, receiver, where)

    @staticmethod
    def _doc(obj: object) -> dict | None:
        try:
            doc, _sig, _signer = from_stix(obj)  # type: ignore[arg-type]
        except (StixMappingError, AttributeError, TypeError):
            return None
        return doc

    def _object(self, sender: str, receiver: str, obj: dict, text: str, where: str) -> str | None:
        self.objects_checked += 1
        try:
            doc, signature, signer = from_stix(obj)
        except (StixMappingError, AttributeError, TypeError) as exc:
            self._leak(sender, receiver, str(obj.get("id") if isinstance(obj, dict) else obj)[:80],
                       f"object the oracle cannot read ({exc})", where)
            return None
        rid, version = doc.get("id"), doc.get("version")
        tombstone = bool(doc.get("revoked")) and doc.get("body") == {}
        mine = self.received.setdefault((receiver, sender), {})
        if tombstone:
            self.tombstones += 1
            if not any(not g.tombstone for g in mine.get(rid, ())):
                self._leak(sender, receiver, rid, "tombstone for a record never sent to this partner", where)
        else:
            self._record(sender, receiver, doc, signature, signer, text, where)
        mine.setdefault(rid, []).append(Got(version, tombstone, doc, signature, signer))
        if doc.get("origin") == sender and signer == sender and not tombstone:
            self.signed.setdefault(sender, set()).add((canon(doc), signature))
        return rid

    def _record(self, sender: str, receiver: str, doc: dict, signature: str | None, signer: str, text: str,
                where: str) -> None:
        rid, rtype, origin = doc.get("id"), doc.get("type"), doc.get("origin")
        why = self.refusal(sender, receiver, doc)
        if why:
            self._leak(sender, receiver, rid, why, where)
        truth = self.truth.get(rid)
        if truth is None:
            self._leak(sender, receiver, rid, "a record the test never created", where)
            return
        if origin != truth["origin"]:
            self._leak(sender, receiver, rid, f"claims origin {origin}, made by {truth['origin']}", where)
            return
        if origin == sender:
            if truth.get("revoked"):
                self._leak(sender, receiver, rid, "revoked at its origin, sent with its body", where)
            marks = doc.get("markings") or {}
            # The origin may send its view without the onward permission (stricter), or with it naming the
            # receiver as the one node that may relay this copy (`onward_holder`); nothing else differs.
            without = {k: v for k, v in truth["markings"].items() if k != "onward"}
            named = truth["markings"] | {"onward_holder": receiver}
            same = marks in (truth["markings"], without) or (truth["markings"].get("onward") and marks == named)
            if doc.get("version") != truth["version"] or not same:
                self._leak(sender, receiver, rid, "not the origin's current version and markings", where
                           + f"; sent v{doc.get('version')} {doc.get('markings')}, made v{truth['version']} "
                           + f"{truth['markings']}")
            body, real = doc.get("body") or {}, truth.get("body") or {}
            if any(k not in real or real[k] != v for k, v in body.items()):
                self._leak(sender, receiver, rid, "body differs from the origin's record", where)
            a = self.agreements.get((sender, receiver)) or {}
            withheld = expand(rtype, tuple((a.get("withheld_fields") or {}).get(rtype, ())), self.groups)
            for path in sorted(withheld):
                if has_path(body, path):
                    self._leak(sender, receiver, rid, f"withheld field {path} in the body", where)
                value = self.sentinels.get(rid, {}).get(path)
                if value and value in text:
                    self._leak(sender, receiver, rid, f"the value of withheld field {path} in the bytes", where)
        else:
            self.relayed += 1
            if signer != origin or (canon(doc), signature) not in self.signed.get(origin, set()):
                self._leak(sender, receiver, rid, f"relayed object is not exactly as {origin} signed it", where)
            got = self.held(sender, rid)
            if got is None or got.tombstone or got.doc.get("revoked"):
                self._leak(sender, receiver, rid, f"relayed a record {sender} does not hold (or was withdrawn)",
                           where)
        for ref in refs_of(doc):
            if not self.may_receive(sender, receiver, ref):
                self._leak(sender, receiver, rid, f"references {ref}, which {receiver} may not receive", where)
