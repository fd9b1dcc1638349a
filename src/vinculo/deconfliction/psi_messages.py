"""Wire format of the PSI messages, and the errors of the protocol.

Every message is a 32-byte fixed header, the selector kind, then packed 32-byte ristretto255
encodings::

    magic "VPSI" | version u8 | type u8 | flags u8 | kind length u8 | session id (16 bytes)
    | n u32 | m u32 | kind (ASCII) | elements

A request (type 1) carries ``n`` = the client's declared set size and its ``n`` elements, ``m`` =
0.  A response (type 2) echoes ``n`` and the session id, declares ``m`` = the server's set size,
then carries ``n`` doubly blinded client elements followed by ``m`` blinded server elements.
``read_header`` parses the header alone, so a receiver can refuse an oversized set before it
reads (or even downloads) the elements.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

from vinculo.deconfliction.group import POINT_BYTES

MAGIC = b"VPSI"
VERSION = 1
REQUEST = 1
RESPONSE = 2
FLAG_CARDINALITY = 0x01
"""Set in a request to ask for the overlap size only; set in a response when that is all it
gives (the doubly blinded client elements are then sorted, unlinkable to the request order)."""
_FIXED = struct.Struct(">4sBBBB16sII")
HEADER_BYTES = _FIXED.size
KIND_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")


class PsiError(Exception):
    """A PSI run cannot go on."""


class PsiRefused(PsiError):
    """This side's policy refuses the run (set too large, mode not allowed, ...)."""


class PsiProtocolError(PsiError, ValueError):
    """A message is malformed, out of order or does not belong to this run."""


@dataclass(frozen=True, slots=True)
class Header:
    """The header of a PSI message."""

    type: int
    flags: int
    kind: str
    session: bytes
    n: int
    m: int

    @property
    def cardinality_only(self) -> bool:
        return bool(self.flags & FLAG_CARDINALITY)

    @property
    def size(self) -> int:
        """Header length in bytes, kind included."""
        return HEADER_BYTES + len(self.kind)

    @property
    def elements(self) -> int:
        """How many 32-byte elements follow the header."""
        return self.n if self.type == REQUEST else self.n + self.m


def check_kind(kind: str) -> str:
    """``kind`` if it is a valid selector kind name (a-z, 0-9, '-', at most 32), else raise."""
    if not isinstance(kind, str) or not KIND_RE.fullmatch(kind):
        raise PsiProtocolError(f"bad selector kind {kind!r}")
    return kind


def encode(header: Header, elements: bytes) -> bytes:
    """A whole message: header, kind, elements."""
    kind = check_kind(header.kind).encode("ascii")
    fixed = _FIXED.pack(MAGIC, VERSION, header.type, header.flags, len(kind), header.session,
                        header.n, header.m)
    return b"".join((fixed, kind, elements))


def read_header(message: bytes) -> Header:
    """Parse and sanity-check the header of a message (the elements need not be present)."""
    if len(message) < HEADER_BYTES:
        raise PsiProtocolError("message shorter than a PSI header")
    magic, version, mtype, flags, kind_len, session, n, m = _FIXED.unpack_from(message)
    if magic != MAGIC:
        raise PsiProtocolError("not a Vinculo PSI message")
    if version != VERSION:
        raise PsiProtocolError(f"unsupported PSI version {version}")
    if mtype not in (REQUEST, RESPONSE):
        raise PsiProtocolError(f"unknown PSI message type {mtype}")
    if flags & ~FLAG_CARDINALITY:
        raise PsiProtocolError("unknown flags")
    if mtype == REQUEST and m != 0:
        raise PsiProtocolError("a request declares no server set")
    raw_kind = bytes(message[HEADER_BYTES:HEADER_BYTES + kind_len])
    if len(raw_kind) != kind_len:
        raise PsiProtocolError("message truncated in the kind")
    try:
        kind = check_kind(raw_kind.decode("ascii"))
    except UnicodeDecodeError:
        raise PsiProtocolError("bad selector kind") from None
    return Header(mtype, flags, kind, session, n, m)


def elements(message: bytes, header: Header) -> bytes:
    """The packed elements of a message whose header was read; checks their count."""
    body = message[header.size:]
    if len(body) != header.elements * POINT_BYTES:
        raise PsiProtocolError(f"expected {header.elements} elements of {POINT_BYTES} bytes, "
                               f"got {len(body)} bytes")
    return bytes(body)
