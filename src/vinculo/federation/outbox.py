"""What this node serves a partner: its change feed, filtered by release(), signed, guarded, audited.

The cursor is this node's change-feed sequence number. A record version the partner may receive goes
as its released view, signed by this node; a record the partner holds but may no longer receive
(revoked, re-marked, agreement narrowed) goes as a tombstone. Records never sent are never mentioned.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select

from vinculo.audit.events import AuditEvent
from vinculo.canonical import canonical_json
from vinculo.collector import fewer_collections
from vinculo.federation import egress
from vinculo.federation.at_rest import stored_canonical
from vinculo.federation.date_added import served
from vinculo.federation.signing import sign_many
from vinculo.federation.withdrawals import naming
from vinculo.node.context import Node
from vinculo.records import holding
from vinculo.records import repository as repo
from vinculo.records.model import Record, format_ts, utcnow
from vinculo.records.types import REFERENCE_FIELDS, references
from vinculo.sharing import service as sharing
from vinculo.sharing.release import PartnerNode, PartnerReleases, Release
from vinculo.store.tables_federation import holdings, withdrawals
from vinculo.store.upsert import upsert_tuples

MAX_LIMIT = 1000
TOMBSTONE_LATER = dt.timedelta(milliseconds=1)
"""How much later than the withdrawn version a tombstone's `modified` is (a millisecond: still later for a
consumer that keeps only milliseconds, as STIX 2.1 requires of none but many do)."""


@dataclass
class FeedPage:
    objects: list[dict] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    next_seq: int | None = None
    more: bool = False
    refused: int = 0


def tombstone(record: Record) -> dict:
    """The signed statement that a holder must drop `record` (no content, no reason).

    In STIX terms it is a new version of the object: same id, a later `modified` than the version withdrawn
    (a STIX store keeps one object per id and `modified`; the same pair with other content would replace the
    version, or be taken for it). Derived from the version, so every copy of the tombstone is the same."""
    return {"id": record.id, "type": record.type, "origin": record.origin, "version": record.version,
            "created": format_ts(record.created), "modified": format_ts(record.modified + TOMBSTONE_LATER),
            "revoked": True,
            "markings": record.markings.to_json(), "body": {}}


def _candidates(conn, partner: str, after: int, types: set[str], ids: set[str] | None, batch: int):  # noqa: ANN001, ANN202
    """Up to `batch` (seq, record, why, date_added, stored row) after `after`, in seq order: versions, then
    withdrawals merged in. date_added is what TAXII is served (`date_added.served`: strictly increasing)."""
    rows = [(r[0], holding.feed_record(r), None, served(r[holding.FEED_ADDED], r[0]), r)
            for r in holding.feed_rows(conn, after, types, ids, batch)]
    wq = select(withdrawals).where(withdrawals.c.partner == partner, withdrawals.c.seq > after)
    if ids is not None:
        wq = wq.where(withdrawals.c.record_id.in_(ids))
    for w in conn.execute(wq.order_by(withdrawals.c.seq).limit(batch)).all():
        record = repo.current(conn, w.record_id)
        if record is not None:
            rows.append((w.seq, record, "withdrawn", served(w.created, w.seq), None))
    rows.sort(key=lambda x: x[0])
    return rows[:batch], len(rows) < batch


def feed(node: Node, partner: str, after: int = 0, limit: int = 500, types: set[str] | None = None,
         ids: set[str] | None = None, manifest: bool = False) -> FeedPage:
    """One page of the partner's feed after sequence number `after` (one transaction, audited).

    With `manifest`, only ids and versions are wanted: nothing is signed and holdings do not change."""
    limit = max(1, min(limit, MAX_LIMIT))
    page = FeedPage(next_seq=after)
    now = utcnow()
    stamp = format_ts(now)
    with fewer_collections(), node.uow() as uow:
        agreement = sharing.current_agreement(uow.conn, partner)
        if agreement is None:
            return page
        decide = PartnerReleases(PartnerNode(partner, node.id, agreement, now.date()))
        guard = egress.Guard(partner, node.id, agreement, now.date())
        wanted = set(agreement.record_types) & (types or set(agreement.record_types))
        sent: list[list] = []
        held_rows: list[tuple] = []
        while len(page.objects) < limit:
            rows, exhausted = _candidates(uow.conn, partner, page.next_seq, wanted, ids, limit - len(page.objects))
            if not rows:
                break
            decisions = [decide(record) if why is None else None for _, record, why, _, _ in rows]
            decisions = _with_ends(uow.conn, partner, decide, rows, decisions)
            # Only what will not go as released needs to know whether the partner holds it (a tombstone);
            # what goes updates `held` below, for later rows of the same record on this page.
            held = _holdings(uow.conn, partner,
                             [row[1].id for row, d in zip(rows, decisions) if d is None or not d.allowed])
            going: list[tuple] = []  # (record, kind, added, view, signature or bytes to sign, signer); signed at once
            for (seq, record, _why, added, stored), decision in zip(rows, decisions):
                page.next_seq = seq
                if decision is not None and decision.allowed:
                    doc, kind = decision.view, "record"
                elif held.get(record.id) is False:  # held and not yet withdrawn
                    doc, kind = tombstone(record), "tombstone"
                else:
                    continue
                if manifest:
                    page.objects.append({"id": record.id, "modified": doc["modified"], "added": added})
                    sent.append([record.id, record.version, "manifest"])
                    continue
                if kind == "record" and record.origin != node.id:
                    if decision.withheld or not record.signature:  # a relay passes the origin's own signature
                        page.refused += 1
                        continue
                    going.append((record, kind, added, doc, record.signature, record.origin))
                elif kind == "record" and not decision.changed and stored is not None:
                    # signed at rest (federation.at_rest), or signed now with the others
                    going.append((record, kind, added, doc, record.signature or stored_canonical(stored, doc),
                                  node.id))
                else:
                    going.append((record, kind, added, doc, canonical_json(doc), node.id))
            if not manifest:
                going += _naming_withdrawn(uow.conn, partner, going, node.id)
            signatures = iter(sign_many(node.key, [g[4] for g in going if type(g[4]) is bytes]))
            for record, kind, added, doc, signature, signer in going:
                try:
                    obj = guard.emit(doc, next(signatures) if type(signature) is bytes else signature, signer)
                except egress.EgressRefused as exc:
                    page.refused += 1
                    uow.audit(AuditEvent(f"node:{node.id}", "egress.refused", record.id,
                                         {"partner": partner, "reason": str(exc)}))
                    continue
                page.objects.append(obj)
                page.added.append(added)
                sent.append([record.id, record.version, kind])
                held[record.id] = kind == "tombstone"
                held_rows.append((partner, record.id, record.version, kind == "tombstone", stamp))
            if exhausted:
                break
        page.more = _has_more(uow.conn, partner, page.next_seq, wanted)
        upsert_tuples(uow.conn, holdings, _HELD, _HELD[:2], _HELD[2:], held_rows)
        if sent or page.refused:
            uow.audit(AuditEvent(f"partner:{partner}", "release", f"partner:{partner}",
                                 {"partner": partner, "objects": sent, "after": after, "next": page.next_seq,
                                  "agreement_version": agreement.version}))
        uow.commit()
    return page


_HELD = ["partner", "record_id", "version", "withdrawn", "updated"]  # key first, then the rest


def _with_ends(conn, partner: str, decide: PartnerReleases, rows: list, decisions: list) -> list:  # noqa: ANN001
    """A record that names other records (a relationship's ends, a note's or a case's subjects) goes only
    with them: each named record must be the partner's own or one the partner may receive from us now.
    Otherwise it is refused like any record the partner may not receive (a tombstone if it holds it)."""
    named = {i: references(row[1].type, row[1].body) for i, (row, d) in enumerate(zip(rows, decisions))
             if d is not None and d.allowed and row[1].type in REFERENCE_FIELDS}
    if not named:
        return decisions
    held = repo.current_many(conn, sorted({ref for refs in named.values() for ref in refs}))
    out = list(decisions)
    for i, refs in named.items():
        missing = [ref for ref in refs if not _goes_with(held.get(ref), partner, decide)]
        if missing:
            out[i] = Release(False, None, (f"names {', '.join(missing[:3])}, which {partner} may not receive",))
    return out


def _naming_withdrawn(conn, partner: str, going: list[tuple], local: str) -> list[tuple]:  # noqa: ANN001
    """Tombstones for what the partner holds that names a record this page withdraws (a relationship's end,
    a note's or a case's subject), and so on for what names those. Such a record went only with what it
    names (`_with_ends`); once that is withdrawn (re-marked, revoked, the agreement narrowed), the copy
    left behind would keep saying what the origin took back, so it is withdrawn with it."""
    gone = {g[0].id for g in going if g[1] == "tombstone"}
    if not gone:
        return []
    sent = {g[0].id for g in going}
    records = repo.current_many(conn, [rid for rid in holding_naming(conn, partner) if rid not in sent])
    return [(record, "tombstone", going[-1][2], doc, canonical_json(doc), local)
            for record, _named in naming(records, gone) for doc in (tombstone(record),)]


def holding_naming(conn, partner: str) -> list[str]:  # noqa: ANN001
    """Ids of the records the partner holds (not withdrawn) of the types that name other records."""
    out: list[str] = []
    for rtype in REFERENCE_FIELDS:  # ids are "<type>--<uuid>": a range on the (partner, record_id) key
        q = select(holdings.c.record_id).where(holdings.c.partner == partner, holdings.c.withdrawn.is_(False),
                                               holdings.c.record_id >= f"{rtype}--", holdings.c.record_id < f"{rtype}-.")
        out += conn.execute(q).scalars().all()
    return out


def _goes_with(record: Record | None, partner: str, decide: PartnerReleases) -> bool:
    if record is None:
        return False  # not held here: nothing says the partner may know of it
    return record.origin == partner or decide(record).allowed


def _holdings(conn, partner: str, record_ids: list[str]) -> dict[str, bool]:  # noqa: ANN001
    out: dict[str, bool] = {}
    for i in range(0, len(record_ids), 900):
        q = select(holdings.c.record_id, holdings.c.withdrawn).where(
            holdings.c.partner == partner, holdings.c.record_id.in_(record_ids[i : i + 900]))
        out.update({r.record_id: r.withdrawn for r in conn.execute(q)})
    return out


def warm(node: Node) -> None:
    """Run the feed's queries once, reading nothing (no partner is named "", no sequence number is that
    high), so that a node that just started has them compiled before its first partner asks for a page
    (see `api.warmup`). Writes nothing."""
    from vinculo.records.types import BODY_TYPES

    after = 2**62
    with node.engine.connect() as conn:
        sharing.current_agreement(conn, "")
        _candidates(conn, "", after, set(BODY_TYPES), None, 1)
        _holdings(conn, "", [""])
        _has_more(conn, "", after, set(BODY_TYPES))


def _has_more(conn, partner: str, after: int, types: set[str]) -> bool:  # noqa: ANN001
    if holding.current_after(conn, after, types):
        return True
    return conn.execute(select(withdrawals.c.seq).where(withdrawals.c.partner == partner,
                                                        withdrawals.c.seq > after).limit(1)).first() is not None
