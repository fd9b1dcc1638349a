"""Apply a page pulled from a partner: verify every object, store versions idempotently, move the
cursor — all in one transaction, so a crash anywhere loses nothing and duplicates nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache

import orjson
from pydantic import ValidationError
from sqlalchemy import insert, select

from vinculo.audit.events import AuditEvent
from vinculo.audit.merkle import CompactRange, leaf_hash
from vinculo.canonical import canonical_json
from vinculo.federation.limits import PullLimits, pull_limits
from vinculo.federation.signing import raw_public, verify_many
from vinculo.federation.stix_map import StixMappingError, from_stix
from vinculo.jsontext import json_text
from vinculo.node import key_periods
from vinculo.node.context import Node
from vinculo.node.keys import public_from_hex
from vinculo.notify import hooks as notify_hooks
from vinculo.records import holding
from vinculo.records import repository as repo
from vinculo.records.model import ID_RE, format_ts, utcnow
from vinculo.records.repository import parse_markings
from vinculo.records.types import BODY_TYPES
from vinculo.sharing import service as sharing
from vinculo.store.feed import allocate_seq, lock_node_state
from vinculo.store.purge import after_purge
from vinculo.store.tables import partners
from vinculo.store.tables_federation import received_pages, sync_state
from vinculo.store.upsert import upsert


@dataclass
class PageResult:
    new: int = 0
    updated: int = 0
    retracted: int = 0
    unchanged: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)  # the first `max_reasons` (id, reason)
    rejected_count: int = 0  # all of them


class Rejected(Exception):
    pass


def reject(into: PageResult | CheckedPage, rid: object, reason: object, limits: PullLimits) -> None:
    """Count a rejected object; keep its id and reason, clipped, only among the first `max_reasons`."""
    into.rejected_count += 1
    if len(into.rejected) < limits.max_reasons:
        into.rejected.append((limits.clip(rid), limits.clip(reason)))


_DOCUMENT_KEYS = frozenset(("id", "type", "origin", "version", "created", "modified", "revoked", "markings",
                            "body"))
_TS_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)")
_MAX_VERSION = 2**53 - 1  # RFC 8785 numbers; a larger one would not survive canonical JSON


@lru_cache(maxsize=256)
def _raw_key(public_key_hex: str) -> bytes:
    """The raw bytes of a pinned key, checked to be an Ed25519 point once per key text."""
    return raw_public(public_from_hex(public_key_hex))


def _keys(conn) -> dict[str, bytes]:
    return {r.node_id: _raw_key(r.public_key)
            for r in conn.execute(select(partners.c.node_id, partners.c.public_key).where(partners.c.disabled.is_(False)))}


def _check(obj: dict, partner: str, keys: dict, relay: frozenset[str],
           older: key_periods.Retired) -> tuple[dict, str, bool, bytes, bytes, str]:
    """Everything but the signature itself (checked for the whole page at once by verify_many)."""
    if not isinstance(obj, dict):
        raise Rejected("not a STIX object")
    try:
        doc, signature, signer = from_stix(obj)
    except StixMappingError as exc:
        raise Rejected(str(exc)) from None
    rid = str(doc.get("id", ""))
    if signature is not None and type(signature) is not str:  # None or text: the verifiers judge the rest
        raise Rejected(f"{rid or obj.get('id')}: the signature is not text")
    m = ID_RE.match(rid)
    if not m or m.group("type") != doc.get("type") or doc.get("type") not in BODY_TYPES:
        raise Rejected(f"{rid or obj.get('id')}: not a valid record id/type")
    if doc.keys() != _DOCUMENT_KEYS:
        raise Rejected(f"{rid}: the document's fields are not {', '.join(sorted(_DOCUMENT_KEYS))}")
    if type(doc["version"]) is not int or not 1 <= doc["version"] <= _MAX_VERSION \
            or not isinstance(doc["body"], dict):
        raise Rejected(f"{rid}: bad version or body")
    if not all(type(doc[k]) is str for k in ("origin", "created", "modified")) or type(doc["revoked"]) is not bool:
        raise Rejected(f"{rid}: bad origin, timestamps or revoked flag")
    if not (_TS_RE.fullmatch(doc["created"]) and _TS_RE.fullmatch(doc["modified"])):
        raise Rejected(f"{rid}: created and modified must be RFC 3339 times")
    markings = doc.get("markings")
    try:
        parsed = parse_markings(orjson.dumps(markings, option=orjson.OPT_SORT_KEYS).decode())
    except (ValueError, TypeError):
        raise Rejected(f"{rid}: bad markings") from None
    if type(markings.get("tlp")) is not str or type(markings.get("handling")) is not str:
        raise Rejected(f"{rid}: markings must state tlp and handling")
    if parsed.to_json() != markings:  # read back, the record would no longer verify as it was signed
        raise Rejected(f"{rid}: markings not in their normal form (every field, as this node writes them)")
    origin = doc.get("origin")
    tombstone = bool(doc.get("revoked")) and not doc["body"]  # its body is judged by `CheckedPage.check_bodies`
    if tombstone:
        expected_signer = partner  # the serving node tells its holders to drop what it gave them
        if origin != partner and origin not in relay:
            raise Rejected(f"{rid}: tombstone for a record from {origin} that {partner} may not relay")
    else:
        expected_signer = origin
        if origin != partner and origin not in relay:
            raise Rejected(f"{rid}: claims origin {origin} but is served by {partner}, and relaying from "
                           f"{origin} is not agreed")
    if signer != expected_signer:
        raise Rejected(f"{rid}: signed by {signer or 'nobody'}, expected {expected_signer}")
    key = key_periods.key_for(keys, older, expected_signer, doc["modified"])
    if key is None:
        raise Rejected(f"{rid}: no pinned key for {expected_signer}")
    return doc, signature, tombstone, canonical_json(doc), key, expected_signer


def _prepared(doc: dict, signature: str, data: bytes) -> tuple[bytes, tuple]:
    """A candidate's audit leaf (over its content digest) and its row in `_COLUMNS` order without `seq`
    and `added` (known only when it is stored): what storing it needs that does not depend on the database."""
    digest = hashlib.sha256(data).digest()
    values = repo.document_values(doc, json_text(doc["markings"]), json_text(doc["body"]), digest.hex(), signature,
                                  True, "")
    return leaf_hash(digest), values[:-1]


# Fields a released view may not lack even where the partner's agreement withholds fields: without them the
# record is not about anything.
STRUCTURAL = {"note": {"about_refs"}, "relationship": {"relationship_type", "source_ref", "target_ref"}}


def body_problem(rtype: str, body: dict) -> str | None:
    """Why a received body may not be stored, or None: it must pass the same typed model and limits as a
    local create or import (`records.types`), and every field it has must be in the normal form a node
    stores (a country as its code, a quantity with its kg). A released view may lack fields its sender's
    agreement withholds from us, required ones too, but not the `STRUCTURAL` ones."""
    model = BODY_TYPES[rtype]
    try:
        normal = model.model_validate(body).model_dump(mode="json", exclude_none=True)
    except ValidationError as exc:
        errors = [e for e in exc.errors() if e["type"] != "missing"
                  or (len(e["loc"]) == 1 and e["loc"][0] in STRUCTURAL.get(rtype, ()))]
        if errors:  # a view missing withheld fields cannot be normalised: the other fields were judged
            return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'body'}: "
                             f"{e['msg'].removeprefix('Value error, ')}" for e in errors[:5])
        return None
    if normal != body and any(normal.get(k, _ABSENT) != v for k, v in body.items()):  # fields withheld
        return "body not in its normal form (as a local create would store it)"
    return None


_ABSENT = object()


@dataclass
class CheckedPage:
    """A page checked in every way but its signatures, against the trust it was checked with."""

    objects: list
    trust: tuple[dict[str, bytes], frozenset[str], key_periods.Retired]  # pinned keys, relayed origins, retired keys
    candidates: list = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    rows: list[tuple[bytes, tuple] | None] | None = None  # `_prepared` for every candidate, once `prepare` ran
    limits: PullLimits = field(default_factory=pull_limits)
    rejected_count: int = 0
    body_problems: dict[int, tuple[str, str]] | None = None  # candidate index -> (object id, why its body is bad)
    object_ids: list = field(default_factory=list)  # each candidate's object id, as the partner sent it

    def items(self) -> list[tuple[bytes, bytes, str]]:
        """What remains to verify: (pinned key, canonical bytes, signature) for every candidate."""
        return [(key, data, sig) for _doc, sig, _t, data, key, _s in self.candidates]

    def check_bodies(self) -> dict[int, tuple[str, str]]:
        """Judge every candidate's body (`body_problem`), once. It is the costliest check in Python and
        needs nothing the signatures need, so a pull runs it while the page's signatures are verified on
        other threads; `store_page` runs it if nobody has, and stores no candidate it finds a problem in."""
        if self.body_problems is None:
            self.body_problems = {}
            for i, (doc, _sig, tombstone, _data, _key, _signer) in enumerate(self.candidates):
                if not tombstone:
                    try:
                        problem = body_problem(doc["type"], doc["body"])
                    except Exception as exc:  # noqa: BLE001 - whatever a body does, it is that object's rejection
                        problem = f"{type(exc).__name__}: {exc}"
                    if problem:
                        self.body_problems[i] = (self.object_ids[i], f"{doc['id']}: {problem}")
        return self.body_problems

    def prepare(self) -> None:
        """Judge the bodies and build every good candidate's row ahead of `store_page` (while its
        signatures are verified elsewhere); the rows of those that turn out not to be stored are dropped."""
        bad = self.check_bodies()
        self.rows = [None if i in bad else _prepared(doc, sig, data)
                     for i, (doc, sig, _t, data, _key, _s) in enumerate(self.candidates)]


def _trust(conn, partner: str) -> tuple[dict[str, bytes], frozenset[str], key_periods.Retired]:
    mine = sharing.current_agreement(conn, partner)
    return _keys(conn), frozenset(mine.relay_origins) if mine else frozenset(), key_periods.retired(conn)


def _checked(objects: list, partner: str, trust: tuple[dict[str, bytes], frozenset[str], key_periods.Retired],
             limits: PullLimits) -> CheckedPage:
    """Each object on its own: one that fails any check, or that a check cannot even read (an integer
    past 2^53, a nesting too deep to canonicalise...), is rejected and the rest of the page goes on."""
    page = CheckedPage(objects, trust, limits=limits)
    for obj in objects:
        try:
            page.candidates.append(_check(obj, partner, *trust))
            page.object_ids.append(obj.get("id"))
        except Exception as exc:  # noqa: BLE001 - whatever an object does, it is that object's rejection
            reason = str(exc) if isinstance(exc, Rejected) else f"{type(exc).__name__}: {exc}"
            reject(page, obj.get("id", "?") if isinstance(obj, dict) else "?", reason, limits)
    return page


def check_page(node: Node, partner: str, objects: list, limits: PullLimits | None = None) -> CheckedPage:
    """Check a page against the keys and agreement as they are now; `store_page` stores it if they
    have not changed meanwhile. Between the two, the signatures can be verified elsewhere."""
    with node.engine.connect() as conn:
        trust = _trust(conn, partner)
    return _checked(objects, partner, trust, limits or pull_limits())


def apply_page(node: Node, partner: str, objects: list[dict], cursor: str | None,
               limits: PullLimits | None = None) -> PageResult:
    """Check, verify and store a page, and move the cursor to `cursor`."""
    page = check_page(node, partner, objects, limits)
    return store_page(node, partner, page, verify_many(page.items()), cursor)


def store_page(node: Node, partner: str, page: CheckedPage, verdicts: list[bool], cursor: str | None) -> PageResult:
    """Store a checked page whose signatures `verdicts` judged (in `page.items()` order), and move the
    cursor, in one transaction. If the pinned keys or the agreement changed since the page was checked,
    it is checked and verified again inside the transaction."""
    result = PageResult()
    now = format_ts(utcnow())
    with node.uow() as uow:
        conn = uow.conn
        lock_node_state(conn)  # before sync_state: receipts may be sent meanwhile (see store.feed)
        trust = _trust(conn, partner)
        if trust != page.trust:
            page = _checked(page.objects, partner, trust, page.limits)
            verdicts = verify_many(page.items())
        verdicts, why = key_periods.second_look(page.candidates, verdicts, trust[0], trust[2])  # rotated keys
        bad_bodies = page.check_bodies()
        prepared = page.rows
        staged: list[tuple[bytes, tuple]] = []
        applied: list[list] = []
        purged: list[list] = []
        in_page: set[str] = set()
        limits = page.limits
        result.rejected, result.rejected_count = list(page.rejected), page.rejected_count
        checked = []
        for i, ((doc, sig, tombstone, data, _key, signer), ok) in enumerate(zip(page.candidates, verdicts, strict=True)):
            if i in bad_bodies:
                reject(result, *bad_bodies[i], limits)
            elif ok:
                checked.append((doc, sig, tombstone, data, i))
            else:
                reject(result, doc["id"], why.get(i) or f"{doc['id']}: signature does not verify against "
                       f"{signer}'s pinned key", limits)
        held = repo.current_many(conn, [doc["id"] for doc, _, _, _, _ in checked])
        for doc, signature, tombstone, data, i in checked:
            if doc["id"] in in_page:  # the feed serves current versions only; a repeat is a replay
                result.unchanged += 1
                continue
            current = held.get(doc["id"])
            if current is not None and current.origin != doc["origin"]:
                reject(result, doc["id"], f"{doc['id']} is held from origin {current.origin}", limits)
                continue
            if tombstone:
                if current is None or (current.revoked and not current.body):
                    result.unchanged += 1
                    continue
                purged += holding.drop_content(conn, doc["id"])  # every version's content
                status = "withdrawn"
                result.retracted += 1
            elif current is not None and doc["version"] <= current.version:
                result.unchanged += 1  # same version is a no-op; an older one never overwrites a newer
                continue
            else:
                if current is not None:
                    repo.retire(conn, doc["id"])
                    result.updated += 1
                else:
                    result.new += 1
                status = "stored"
            in_page.add(doc["id"])
            staged.append(prepared[i] if prepared is not None else _prepared(doc, signature, data))
            applied.append([doc["id"], doc["version"], status])
        root = first = None
        if staged:
            first = allocate_seq(conn, len(staged))
            tree = CompactRange()
            tree.extend([leaf for leaf, _values in staged])
            repo.insert_tuples(conn, [(first + i, *values, now)  # one executemany a page
                                      for i, (_leaf, values) in enumerate(staged)])
            conn.execute(insert(received_pages).values(partner=partner, first_seq=first,
                                                       last_seq=first + len(staged) - 1))
            root = tree.root().hex()
        upsert(conn, sync_state, [{"partner": partner, "cursor": cursor, "receipts_seq": 0, "last_run": now,
                                   "last_result": json.dumps(result.__dict__)}],
               ["partner"], ["cursor", "last_run", "last_result"])
        if staged or result.rejected_count:  # rejections: their count and the first few reasons, clipped
            uow.audit(AuditEvent(f"partner:{partner}", "receive", f"partner:{partner}", {
                "partner": partner, "objects": applied, "rejected": result.rejected,
                "rejected_count": result.rejected_count, "cursor": cursor,
                "first_seq": first, "last_seq": first + len(staged) - 1 if staged else None, "root": root,
                "purged": purged}))
        uow.commit()
    if purged:
        after_purge(node.engine, [holding.TABLE])  # the dropped content, off the disk too (store.purge)
    notify_hooks.received(node, partner, len(staged), result.rejected_count, result.rejected)
    return result
