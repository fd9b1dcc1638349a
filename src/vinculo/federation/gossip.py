"""Audit logs cross-checked with partners, as Certificate Transparency's gossip does.

On each sync the puller fetches the partner's latest signed tree head, asks it for the consistency proof
from the head it holds, checks both (`heads.check_head`) and keeps the head (`head_store.accept`); then
it sends its own latest head with the proof from the one the partner says it holds. So each side holds
the other's heads, and a node that truncates or rewrites its log cannot hide it from its partners.

Only heads and hashes cross. Every answer is read up to `heads.MAX_BODY` bytes, within the pull's read
timeout and a budget of `limits.read_timeout` seconds for the whole exchange; a failure to exchange is
a line in the sync report, never a failed pull.
"""

from __future__ import annotations

import time

import httpx
import orjson

from vinculo.audit.proofs import ProofError, consistency_from_log, latest_head
from vinculo.audit.treehead import TreeHead
from vinculo.federation.client import TaxiiClient
from vinculo.federation.head_store import StaleProof, accept, held
from vinculo.federation.heads import MAX_BODY, HeadError, head_json, parse_head, parse_proof, parse_size
from vinculo.node.context import Node

PATH = "/api/v1/federation/"


class GossipError(Exception):
    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class HeadConflict(Exception):
    """A head a partner sent us failed its checks (kept as evidence; the partner gets a 409)."""


# -- the puller's side ------------------------------------------------------------------------------

def exchange(node: Node, partner: str, url: str, client: TaxiiClient) -> str:
    """Exchange tree heads with `partner` over the pull's client; one line saying how it went."""
    try:
        return _exchange(node, partner, url.rstrip("/") + PATH, client)
    except GossipError as exc:
        if exc.status == 404:
            return f"audit heads: {partner} does not offer tree heads (an older node?)"
        return client.limits.clip(f"audit heads not exchanged: {exc}")
    except HeadError as exc:
        return client.limits.clip(f"audit heads not exchanged: {partner} sent {exc}")


def _exchange(node: Node, partner: str, base: str, client: TaxiiClient) -> str:
    limits = client.limits
    deadline = time.monotonic() + limits.read_timeout
    if client.deadline is not None:
        deadline = min(deadline, client.deadline)
    answer = _call(client.http, "GET", base + "tree-head", deadline)
    if not isinstance(answer, dict) or set(answer) != {"head", "yours"}:
        raise HeadError("tree-head: an answer that is not {head, yours}")
    yours = None if answer["yours"] is None else parse_size(answer["yours"], "tree-head.yours", 1)
    theirs = None if answer["head"] is None else parse_head(answer["head"], partner, "tree-head.head")
    line = [_check_theirs(node, partner, base, client, theirs, deadline)]
    line.append(_send_ours(node, base, client, yours, deadline))
    return "audit heads: " + "; ".join(line)


def _check_theirs(node: Node, partner: str, base: str, client: TaxiiClient, theirs: TreeHead | None,
                  deadline: float) -> str:
    if theirs is None:
        return f"{partner} has no tree head yet"
    with node.engine.connect() as conn:
        last = held(conn, partner)
    before = last[1] if last else None
    proof = None
    if before is not None and before.size < theirs.size:
        got = _call(client.http, "GET", base + "consistency", deadline,
                    params={"first": before.size, "second": theirs.size})
        if not isinstance(got, dict) or "proof" not in got:
            raise HeadError("consistency: an answer with no proof")
        proof = parse_proof(got["proof"], "consistency.proof")
    try:
        result = accept(node, partner, theirs, before.size if before else None, proof, "pull")
    except StaleProof:
        return f"{partner}'s head changed while it was checked; the next sync checks it"
    if result.problem:
        return f"CONFLICT in {partner}'s log: {result.problem}"
    return f"{partner}'s at size {theirs.size} ok"


def _send_ours(node: Node, base: str, client: TaxiiClient, yours: int | None, deadline: float) -> str:
    with node.engine.connect() as conn:
        mine = latest_head(conn)
    if mine is None:
        return "we have no tree head yet"
    first, proof = yours, []
    if yours is not None and yours < mine.size:
        try:
            proof = consistency_from_log(node.engine, yours, mine.size)
        except ProofError:
            proof = []  # the partner will say why it does not follow
    body = {"head": head_json(node.id, mine), "first": first, "proof": [h.hex() for h in proof]}
    try:
        _call(client.http, "POST", base + "tree-head", deadline, content=orjson.dumps(body))
    except GossipError as exc:
        if exc.status in (400, 409, 422):
            return client.limits.clip(f"ours at size {mine.size} REFUSED: {exc}")
        raise
    return f"ours at size {mine.size} sent"


def _call(http: httpx.Client, method: str, url: str, deadline: float, **kwargs: object) -> object:
    """A JSON answer read up to MAX_BODY bytes, before `deadline` (time.monotonic())."""
    if time.monotonic() > deadline:
        raise GossipError(f"{url}: out of time")
    headers = {"Accept": "application/json", "Content-Type": "application/json"}
    try:
        with http.stream(method, url, headers=headers, **kwargs) as r:
            body = bytearray()
            for chunk in r.iter_bytes():
                body += chunk
                if len(body) > MAX_BODY:
                    raise GossipError(f"{url}: an answer of more than {MAX_BODY:,} bytes")
                if time.monotonic() > deadline:
                    raise GossipError(f"{url}: out of time while reading the answer")
            status = r.status_code
    except httpx.HTTPError as exc:
        raise GossipError(f"{url}: {type(exc).__name__}: {exc}") from None
    try:
        value = orjson.loads(bytes(body))
    except orjson.JSONDecodeError:
        value = None
    if status != 200:
        detail = value.get("detail") if isinstance(value, dict) else None
        raise GossipError(f"HTTP {status}: {str(detail or bytes(body[:200]))[:200]}", status)
    if value is None:
        raise GossipError(f"{url}: the answer is not JSON")
    return value


# -- the partner's side: what the routes in api/federation.py call ------------------------------------

def serve_head(node: Node, partner: str) -> dict:
    """Our latest signed head, and the size of `partner`'s last good head we hold."""
    with node.engine.connect() as conn:
        mine = latest_head(conn)
        last = held(conn, partner)
    return {"head": head_json(node.id, mine) if mine else None, "yours": last[1].size if last else None}


def serve_proof(node: Node, first: int, second: int) -> dict:
    """The consistency proof between two sizes of our log (HeadError, a 400, for sizes it never had)."""
    first, second = parse_size(first, "first", 1), parse_size(second, "second", 1)
    try:
        proof = consistency_from_log(node.engine, first, second)
    except ProofError as exc:
        raise HeadError(str(exc)) from None
    return {"first": first, "second": second, "proof": [h.hex() for h in proof]}


def receive_head(node: Node, partner: str, raw: bytes) -> dict:
    """A head `partner` sent us, with the proof from the head of its we hold: kept, or kept as evidence
    and refused (HeadConflict)."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise HeadError("body: not JSON") from None
    if not isinstance(body, dict) or set(body) != {"head", "first", "proof"}:
        raise HeadError("body: must be an object with exactly head, first and proof")
    head = parse_head(body["head"], partner)
    first = None if body["first"] is None else parse_size(body["first"], "first", 1)
    proof = parse_proof(body["proof"])
    try:
        result = accept(node, partner, head, first, proof if first is not None else None, "push")
    except StaleProof as exc:
        raise HeadConflict(str(exc)) from None
    if result.problem:
        raise HeadConflict(result.problem)
    return {"held": result.held}
