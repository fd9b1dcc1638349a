"""Private set intersection (ECDH over ristretto255) as pure message-passing state objects.

One run, one selector kind, fresh random scalars ``a`` (client) and ``b`` (server)::

    client                                           server
    X = {H(x)^a}, sorted            -- request -->   checks n <= cap
                                    <-- response --  {(H(x)^a)^b} in request order
                                                     (sorted in cardinality mode),
                                                     Y = {H(y)^b}, sorted
    {(H(y)^b)^a} -> which x (or how many) are in both

H hashes ``b"vinculo-psi-v1|" + kind + b"|" + value`` with SHA-512 into
``crypto_core_ristretto255_from_hash``.  Sorting blinded elements is a shuffle: they are
pseudorandom under a fresh scalar, so the sorted order says nothing about the input order.  The
server learns the client's set size, the client the server's set size and the intersection (or
only its size); neither learns anything about elements outside the intersection, as long as
scalars are never reused (each object runs once and then drops its scalar) and DDH holds.

Both parties learn the intersection with ``PsiPeer``: two independent half-runs, each party the
client of one and the server of the other.  The shorter "mutual" variant in which the client
sends {(H(y)^b)^a} back to the server is not used: there the client could answer with a doubly
blinded element of its own set in place of one of the server's and make the server see a match
that does not exist.  In half-runs a forged match would require the peer's secret scalar.  No
PSI makes the two halves fair (a party may use a different set in each); ``PsiPeer`` at least
refuses a peer that declares two different set sizes.

Declared sizes are checked against ``max_set_size`` before any work: a partner sending a huge
"set" (every phone number of a country) would otherwise test every candidate.  ``transcript_hash``
(SHA-256 over both messages, length-prefixed) is identical on both sides and goes in the audit log.
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Iterable

from vinculo.deconfliction import group
from vinculo.deconfliction.psi_messages import (
    FLAG_CARDINALITY,
    REQUEST,
    RESPONSE,
    Header,
    PsiError,
    PsiProtocolError,
    PsiRefused,
    check_kind,
    elements,
    encode,
    read_header,
)

__all__ = [
    "DEFAULT_MAX_SET_SIZE",
    "PsiClient",
    "PsiError",
    "PsiPeer",
    "PsiProtocolError",
    "PsiRefused",
    "PsiServer",
    "read_header",
    "transcript_hash",
]

DEFAULT_MAX_SET_SIZE = 100_000


def transcript_hash(*messages: bytes) -> bytes:
    """SHA-256 over the messages of a run, each prefixed with its length."""
    h = hashlib.sha256(b"vinculo-psi-v1 transcript")
    for message in messages:
        h.update(struct.pack(">Q", len(message)))
        h.update(message)
    return h.digest()


def _unique(items: Iterable[str], max_set_size: int) -> list[str]:
    values = list(dict.fromkeys(items))
    if not all(isinstance(v, str) for v in values):
        raise TypeError("PSI items must be strings")
    if len(values) > max_set_size:
        raise PsiRefused(f"own set has {len(values)} items, above max_set_size {max_set_size}")
    return values


class _Party:
    def __init__(self, items: Iterable[str], kind: str, max_set_size: int, cardinality_only: bool,
                 workers: int | None) -> None:
        self.kind = check_kind(kind)
        self.max_set_size = max_set_size
        self.cardinality_only = cardinality_only
        self.workers = workers or group.default_workers()
        self.items = _unique(items, max_set_size)
        self.transcript_hash: bytes | None = None
        self.peer_size: int | None = None

    def _blind(self, scalar: bytes, values: list[str]) -> list[bytes]:
        points = group.hash_to_group(self.kind, values, self.workers)
        return group.split(group.multiply(scalar, points, self.workers))

    def _multiply(self, scalar: bytes, blob: bytes) -> bytes:
        try:
            return group.multiply(scalar, blob, self.workers)
        except group.InvalidPoint as exc:
            raise PsiProtocolError(str(exc)) from None


class PsiClient(_Party):
    """The party that learns which of its items (or how many) the server also holds."""

    def __init__(self, items: Iterable[str], kind: str, *, max_set_size: int = DEFAULT_MAX_SET_SIZE,
                 cardinality_only: bool = False, workers: int | None = None) -> None:
        super().__init__(items, kind, max_set_size, cardinality_only, workers)
        self._scalar: bytes | None = None
        self._order: list[int] = []
        self._request: bytes | None = None
        self._done = False

    def request(self) -> bytes:
        """The first message: the client's blinded items, sorted."""
        if self._request is not None:
            raise PsiError("request() was already called: use a new PsiClient for a new run")
        self._scalar = group.random_scalar()
        blinded = self._blind(self._scalar, self.items)
        self._order = sorted(range(len(blinded)), key=blinded.__getitem__)
        flags = FLAG_CARDINALITY if self.cardinality_only else 0
        header = Header(REQUEST, flags, self.kind, os.urandom(16), len(blinded), 0)
        self._request = encode(header, b"".join([blinded[i] for i in self._order]))
        return self._request

    def _receive(self, response: bytes) -> tuple[Header, list[bytes], set[bytes]]:
        if self._request is None or self._scalar is None or self._done:
            raise PsiError("finish() needs exactly one request() before it")
        self._done = True  # one response per run, even a refused or malformed one
        scalar, self._scalar = self._scalar, None
        sent = read_header(self._request)
        header = read_header(response)
        if header.type != RESPONSE or header.kind != self.kind or header.session != sent.session:
            raise PsiProtocolError("response does not belong to this run")
        if header.n != sent.n:
            raise PsiProtocolError("response does not answer every requested element")
        if header.m > self.max_set_size:
            raise PsiRefused(f"server declares {header.m} items, above max_set_size {self.max_set_size}")
        if self.cardinality_only and not header.cardinality_only:
            raise PsiProtocolError("asked for the overlap size only, got a linkable response")
        body = elements(response, header)
        split_at = header.n * group.POINT_BYTES
        theirs = set(group.split(self._multiply(scalar, body[split_at:])))
        del scalar
        self.peer_size = header.m
        self.transcript_hash = transcript_hash(self._request, response)
        return header, group.split(body[:split_at]), theirs

    def finish(self, response: bytes) -> set[str]:
        """The client's items that the server also holds."""
        header, doubled, theirs = self._receive(response)
        if header.cardinality_only:
            raise PsiRefused("the server gives the overlap size only: use finish_count()")
        order, items = self._order, self.items
        return {items[order[i]] for i, element in enumerate(doubled) if element in theirs}

    def finish_count(self, response: bytes) -> int:
        """How many of the client's items the server also holds (works in both modes)."""
        _, doubled, theirs = self._receive(response)
        return sum(1 for element in doubled if element in theirs)


class PsiServer(_Party):
    """The party that answers one request and learns only the client's set size."""

    def __init__(self, items: Iterable[str], kind: str, *, max_set_size: int = DEFAULT_MAX_SET_SIZE,
                 cardinality_only: bool = False, workers: int | None = None) -> None:
        super().__init__(items, kind, max_set_size, cardinality_only, workers)
        self._answered = False

    def check(self, request: bytes) -> Header:
        """Read a request's header and apply this server's policy (raises PsiRefused)."""
        header = read_header(request)
        if header.type != REQUEST:
            raise PsiProtocolError("expected a PSI request")
        if header.kind != self.kind:
            raise PsiProtocolError(f"request is for kind {header.kind!r}, this run is {self.kind!r}")
        if header.n > self.max_set_size:
            raise PsiRefused(f"client declares {header.n} items, above max_set_size {self.max_set_size}")
        return header

    def respond(self, request: bytes) -> bytes:
        """The second message: the request doubly blinded, then this server's blinded items."""
        if self._answered:
            raise PsiError("respond() was already called: use a new PsiServer for a new run")
        header = self.check(request)
        body = elements(request, header)
        self._answered = True
        scalar = group.random_scalar()
        doubled = self._multiply(scalar, body)
        flags = header.flags | (FLAG_CARDINALITY if self.cardinality_only else 0)
        if flags & FLAG_CARDINALITY:
            doubled = b"".join(sorted(group.split(doubled)))
        mine = b"".join(sorted(self._blind(scalar, self.items)))
        del scalar
        reply = Header(RESPONSE, flags, self.kind, header.session, header.n, len(self.items))
        response = encode(reply, doubled + mine)
        self.peer_size = header.n
        self.transcript_hash = transcript_hash(request, response)
        return response


class PsiPeer:
    """Mutual PSI as two half-runs: this party is the client of one and the server of the other.

    Message flow (A initiates): A.request() -> B;  B.respond(a_req) and B.request() -> A;
    A.respond(b_req) -> B and A.finish(resp_to_a);  B.finish(resp_to_b).  ``finish`` requires
    that this party has already answered the peer's request, and refuses a peer whose request
    and response declare different set sizes.
    """

    def __init__(self, items: Iterable[str], kind: str, *, initiator: bool,
                 max_set_size: int = DEFAULT_MAX_SET_SIZE, workers: int | None = None) -> None:
        values = list(items)
        self.initiator = initiator
        self.client = PsiClient(values, kind, max_set_size=max_set_size, workers=workers)
        self.server = PsiServer(values, kind, max_set_size=max_set_size, workers=workers)
        self.transcript_hash: bytes | None = None

    def request(self) -> bytes:
        return self.client.request()

    def respond(self, peer_request: bytes) -> bytes:
        return self.server.respond(peer_request)

    def finish(self, peer_response: bytes) -> set[str]:
        if self.server.transcript_hash is None:
            raise PsiError("answer the peer's request before finishing")
        found = self.client.finish(peer_response)
        if self.client.peer_size != self.server.peer_size:
            raise PsiRefused("peer declared different set sizes in its request and its response")
        own, theirs = self.client.transcript_hash, self.server.transcript_hash
        assert own is not None
        first, second = (own, theirs) if self.initiator else (theirs, own)
        self.transcript_hash = transcript_hash(first, second)
        return found


def suspend(peer: PsiPeer) -> dict:
    """The state a responder's half-run needs to finish in another process (after ``respond`` and
    ``request``): its client scalar, the order and bytes of its request, what its server half learnt.
    The scalar is secret: whoever stores this seals it (deconfliction.psi_state). The peer is spent."""
    client, server = peer.client, peer.server
    if client._scalar is None or client._request is None or server.transcript_hash is None:
        raise PsiError("only a half-run that answered and sent its request can be suspended")
    state = {"scalar": client._scalar.hex(), "order": client._order, "request": client._request.hex(),
             "server_transcript": server.transcript_hash.hex(), "server_peer_size": server.peer_size,
             "initiator": peer.initiator}
    client._scalar = None
    client._done = True
    return state


def resume(items: Iterable[str], kind: str, state: dict, max_set_size: int = DEFAULT_MAX_SET_SIZE,
           workers: int | None = None) -> PsiPeer:
    """The half-run ``suspend`` left, over the same items, ready for ``finish``."""
    peer = PsiPeer(items, kind, initiator=bool(state["initiator"]), max_set_size=max_set_size, workers=workers)
    order = [int(i) for i in state["order"]]
    if sorted(order) != list(range(len(peer.client.items))):
        raise PsiError("suspended half-run does not match its items")
    peer.client._scalar = bytes.fromhex(state["scalar"])
    peer.client._order = order
    peer.client._request = bytes.fromhex(state["request"])
    peer.server.transcript_hash = bytes.fromhex(state["server_transcript"])
    peer.server.peer_size = int(state["server_peer_size"])
    peer.server._answered = True
    return peer
