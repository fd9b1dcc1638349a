"""Attachment use cases: upload, list, download (local users), the bytes a partner may fetch, and the
garbage collection that purges files with their records.

An attachment is a `photo` or `pdf` record naming the record it is about (`about_ref`); it takes that
record's markings when it is uploaded, and it is shown only when `release()` allows both it and the record
it is about for the audience (and its `sha256` is in the released view). Every list, download and partner
fetch is an audit entry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

from vinculo.accounts.model import Actor
from vinculo.audit.events import AuditEvent
from vinculo.exhibits.bodies import PDF_TYPES, PHOTO_TYPES
from vinculo.exhibits.files import FileRefused, Store, max_bytes
from vinculo.node.context import Node
from vinculo.records import projection
from vinculo.records import repository as repo
from vinculo.records import service as records
from vinculo.records.model import Record, id_type
from vinculo.records.service import Forbidden, NotFound
from vinculo.sharing import service as sharing
from vinculo.sharing.release import PartnerNode, PartnerReleases, release

ATTACHMENT_TYPES = ("photo", "pdf")
MAX_LIST = 200


def store_of(node: Node) -> Store:
    return Store(node.home.path)


def upload(node: Node, actor: Actor, about_ref: str, source: Iterable[bytes] | Path, filename: str | None = None,
           caption: str | None = None, keep_metadata: bool = False, cap: int | None = None) -> Record:
    """Attach a file to `about_ref` (which the actor must be able to read): `source` is the streamed bytes,
    or a temporary file a face already received within the cap (`files.Receiver`; deleted here in every
    case). Past the cap, of a type not allowed, or not what it claims: `FileRefused`; nothing is stored."""
    files = store_of(node)
    try:
        if not actor.may("records.write"):
            raise Forbidden(f"role {actor.role} may not write records")
        parent, _ = records.get_record(node, actor, about_ref)
        if parent.revoked or parent.type in ATTACHMENT_TYPES:
            raise FileRefused(422, f"about_ref: {about_ref} is revoked or is itself an attachment")
        tmp = source if isinstance(source, Path) else files.receive(source, cap or max_bytes())
    except BaseException:
        if isinstance(source, Path):
            source.unlink(missing_ok=True)
        raise
    stored = files.commit(tmp, keep_metadata, PHOTO_TYPES + PDF_TYPES)
    rtype = "photo" if stored.media_type in PHOTO_TYPES else "pdf"
    body = {"about_ref": about_ref, "sha256": stored.sha256, "size": stored.size, "media_type": stored.media_type,
            "filename": (filename or "")[:200] or None, "caption": caption or None,
            "metadata_kept": True if keep_metadata and rtype == "photo" else None}
    try:
        return records.create_record(node, actor, rtype, {k: v for k, v in body.items() if v is not None},
                                     parent.markings)
    except BaseException:
        if not _referenced(node, stored.sha256):
            files.delete(stored.sha256)
        raise


def _by_field(conn, field: str, value: str) -> list[Record]:
    """Current attachment records whose body `field` is `value`."""
    q = projection.changes([projection.columns.id], 0, None, projection.columns.type.in_(ATTACHMENT_TYPES),
                           projection.json_text(conn, field) == value, current_only=True, limit=MAX_LIST * 5)
    ids = [r.id for r in conn.execute(q)]
    return list(projection.current_records(conn, ids).values())


def _referenced(node: Node, sha256: str) -> bool:
    with node.engine.connect() as conn:
        return any(not r.revoked for r in _by_field(conn, "sha256", sha256))


def attachments_of(node: Node, actor: Actor, record_id: str) -> list[dict]:
    """The released views of the attachments of `record_id` that the actor may see (audited)."""
    records.get_record(node, actor, record_id)  # the record itself first (audited; Forbidden if not)
    audience = actor.audience()
    with node.uow(read_only=True) as uow:
        found = [r for r in _by_field(uow.conn, "about_ref", record_id) if not r.revoked]
        out = []
        for r in sorted(found, key=lambda r: r.created):
            d = release(r, audience)
            if d.allowed:
                out.append({**d.view, "has_file": store_of(node).has(d.view["body"].get("sha256", "-"))})
        uow.audit(AuditEvent(actor.label, "attachment.list", record_id, {"shown": [v["id"] for v in out][:MAX_LIST]}))
        uow.commit()
    return out[:MAX_LIST]


def open_for(node: Node, actor: Actor, attachment_id: str, thumbnail: bool = False) -> tuple[Path, str, str]:
    """(path, media type, file name) of an attachment the actor may read, with its record; audited."""
    if not actor.may("records.read"):
        raise Forbidden(f"role {actor.role} may not read records")
    if id_type(attachment_id) not in ATTACHMENT_TYPES:
        raise NotFound(f"{attachment_id} is not an attachment")
    audience = actor.audience()
    with node.uow(read_only=True) as uow:
        att = repo.current(uow.conn, attachment_id)
        if att is None or att.revoked:
            raise NotFound(f"no attachment {attachment_id}")
        parent = repo.current(uow.conn, att.body.get("about_ref", ""))
        d = release(att, audience)
        allowed = d.allowed and parent is not None and release(parent, audience).allowed
        sha = (d.view or {}).get("body", {}).get("sha256") if allowed else None
        uow.audit(AuditEvent(actor.label, "attachment.download" if sha else "denied", attachment_id,
                             {"sha256": sha, "thumbnail": thumbnail} if sha else {"reasons": list(d.reasons)}))
        uow.commit()
    if not sha:
        raise Forbidden(f"you may not read {attachment_id} or the record it is about", d.reasons)
    files = store_of(node)
    path = files.thumb_path(sha) if thumbnail else files.path(sha)
    if not path.is_file():
        raise NotFound(f"the file of {attachment_id} is not here (yet): "
                       + ("no thumbnail" if thumbnail else "not fetched from its origin"))
    media = "image/jpeg" if thumbnail else att.body["media_type"]
    return path, media, att.body.get("filename") or f"{sha[:16]}"


def for_partner(node: Node, partner: str, sha256: str) -> tuple[Path, str]:
    """The file a partner asks for by hash, if an attachment with that hash is released to it now together
    with the record it is about (as `outbox._with_ends` would send them); audited either way."""
    today = dt.datetime.now(dt.UTC).date()
    with node.uow(read_only=True) as uow:
        agreement = sharing.current_agreement(uow.conn, partner)
        ok = False
        if agreement is not None:
            decide = PartnerReleases(PartnerNode(partner, node.id, agreement, today))
            for att in _by_field(uow.conn, "sha256", sha256):
                d = decide(att)
                if not d.allowed or "sha256" not in d.view["body"]:
                    continue
                parent = repo.current(uow.conn, att.body["about_ref"])
                if parent is not None and (parent.origin == partner or decide(parent).allowed):
                    ok, media = True, att.body["media_type"]
                    break
        uow.audit(AuditEvent(f"partner:{partner}", "attachment.sent" if ok else "denied", sha256,
                             {"partner": partner}))
        uow.commit()
    path = store_of(node).path(sha256)
    if not ok or not path.is_file():
        raise NotFound(f"no attachment {sha256[:12]}… for {partner}")
    return path, media


def purge_unreferenced(node: Node) -> list[str]:
    """Delete the files no current, unrevoked attachment record names any more (the record was revoked,
    purged by retention, or withdrawn by its origin): files go with their records. Audited."""
    files = store_of(node)
    on_disk = files.all_hashes()
    if not on_disk:
        return []
    with node.uow(read_only=True) as uow:
        q = projection.changes([projection.columns.id], 0, None,
                               projection.columns.type.in_(ATTACHMENT_TYPES), current_only=True)
        ids = [r.id for r in uow.conn.execute(q)]
        atts = [r for r in projection.current_records(uow.conn, ids).values() if not r.revoked]
        parents = projection.current_records(uow.conn, [r.body.get("about_ref", "") for r in atts])
        live = {r.body.get("sha256") for r in atts
                if (p := parents.get(r.body.get("about_ref", ""))) is not None and not p.revoked}
        gone = [h for h in on_disk if h not in live]
        for h in gone:
            files.delete(h)
        if gone:
            uow.audit(AuditEvent("system", "attachment.purged", None, {"sha256": gone[:100], "count": len(gone)}))
        uow.commit()
    return gone
