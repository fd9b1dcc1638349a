"""The record envelope: identity, origin, versions, markings and a typed body.

Only the origin node changes a record; each change is a new immutable version.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pydantic import ValidationError

from vinculo.canonical import content_hash
from vinculo.records.types import BODY_TYPES, RECORD_TYPES
from vinculo.sharing.markings import Markings

ID_RE = re.compile(r"^(?P<type>[a-z][a-z-]*)--(?P<uuid>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")
# Namespace for ids derived from a source row, so that re-importing a file creates no duplicates.
SOURCE_NAMESPACE = uuid.UUID("5f0e3c52-8f0a-4d55-9a43-6f1f4a0c2b71")
_NS_BYTES = SOURCE_NAMESPACE.bytes


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@lru_cache(maxsize=8192)
def format_ts(value: dt.datetime) -> str:
    """UTC timestamp as RFC 3339 with microseconds and Z (sortable as text)."""
    if value.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@lru_cache(maxsize=8192)
def parse_ts(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(dt.timezone.utc)


def new_id(record_type: str) -> str:
    return f"{record_type}--{uuid.uuid4()}"


def source_id(record_type: str, key: str) -> str:
    """A stable id for a record imported from a source row identified by `key` (a UUIDv5, RFC 4122)."""
    h = bytearray(hashlib.sha1(_NS_BYTES + key.encode()).digest()[:16])
    h[6] = (h[6] & 0x0F) | 0x50
    h[8] = (h[8] & 0x3F) | 0x80
    x = h.hex()
    return f"{record_type}--{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


def id_type(record_id: str) -> str:
    m = ID_RE.match(record_id)
    if not m:
        raise ValueError(f"not a record id: {record_id!r} (expected <type>--<uuid>)")
    return m.group("type")


@dataclass(frozen=True)
class FieldError:
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}"


class RecordInvalid(ValueError):
    """A record body or envelope failed validation; `errors` name each field and reason."""

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))


def _errors_from(exc: ValidationError, prefix: str = "") -> list[FieldError]:
    out = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"] if p != "__root__")
        msg = err["msg"].removeprefix("Value error, ")
        if ": " in msg and not loc and msg.split(": ", 1)[0].isidentifier():
            loc, msg = msg.split(": ", 1)
        out.append(FieldError(prefix + (loc or "body"), msg))
    return out


def validate_body(record_type: str, data: Any) -> dict:
    """Validate and normalise a body; return it as JSON-ready dict without empty fields."""
    model = BODY_TYPES.get(record_type)
    if model is None:
        raise RecordInvalid([FieldError("type", f"unknown record type {record_type!r}; one of {', '.join(RECORD_TYPES)}")])
    if not isinstance(data, dict):
        raise RecordInvalid([FieldError("body", "must be an object")])
    try:
        body = model.model_validate(data)
    except ValidationError as exc:
        raise RecordInvalid(_errors_from(exc)) from None
    return body.model_dump(mode="json", exclude_none=True, exclude_defaults=False)


def validate_markings(data: Any) -> Markings:
    if data is None:
        return Markings()
    if isinstance(data, Markings):
        return data
    try:
        return Markings.model_validate(data)
    except ValidationError as exc:
        raise RecordInvalid(_errors_from(exc, "markings.")) from None


@dataclass(frozen=True)
class Record:
    """One version of a record, as held by a node."""

    id: str
    type: str
    origin: str
    version: int
    created: dt.datetime
    modified: dt.datetime
    markings: Markings
    body: dict
    revoked: bool = False
    signature: str | None = None
    seq: int | None = field(default=None, compare=False)

    def document(self) -> dict:
        """The signed/hashed form of this version (everything but local bookkeeping)."""
        return version_document(self.id, self.type, self.origin, self.version, self.created,
                                self.modified, self.revoked, self.markings.to_json(), self.body)

    def content_hash(self) -> str:
        return content_hash(self.document())


def version_document(rid: str, rtype: str, origin: str, version: int, created: dt.datetime | str,
                     modified: dt.datetime | str, revoked: bool, markings: dict, body: dict) -> dict:
    return {
        "id": rid,
        "type": rtype,
        "origin": origin,
        "version": version,
        "created": created if isinstance(created, str) else format_ts(created),
        "modified": modified if isinstance(modified, str) else format_ts(modified),
        "revoked": revoked,
        "markings": markings,
        "body": body,
    }


def document_bytes(rid: str, rtype: str, origin: str, version: int, created: str, modified: str, revoked: bool,
                   markings_json: str, body_json: str) -> bytes:
    """The canonical bytes of a version document assembled from canonical parts (keys in RFC 8785 order).

    Equal to `canonical_json(version_document(...))` when the parts are canonical JSON and the strings are
    plain ASCII that JSON does not escape (ids, types, origins and timestamps, by their patterns). Callers
    that cannot vouch for their parts check the result against the stored content hash.
    """
    return (f'{{"body":{body_json},"created":"{created}","id":"{rid}","markings":{markings_json},'
            f'"modified":"{modified}","origin":"{origin}","revoked":{"true" if revoked else "false"},'
            f'"type":"{rtype}","version":{int(version)}}}').encode()


def next_version(current: Record, body: dict, markings: Markings, at: dt.datetime) -> Record:
    """A new version of `current` with a new body and markings (origin only)."""
    if current.revoked:
        raise RecordInvalid([FieldError("id", f"{current.id} is revoked; revoked records do not change")])
    return Record(current.id, current.type, current.origin, current.version + 1, current.created, at,
                  markings, body)


def revoked_version(current: Record, at: dt.datetime) -> Record:
    if current.revoked:
        raise RecordInvalid([FieldError("id", f"{current.id} is already revoked")])
    return Record(current.id, current.type, current.origin, current.version + 1, current.created, at,
                  current.markings, current.body, revoked=True)
