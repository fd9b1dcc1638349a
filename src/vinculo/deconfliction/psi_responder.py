"""Private matching with a partner, responding side (behind ``/api/v1/psi/sessions``).

The partner (authenticated by the credential we issued it) first declares its set sizes for a stage;
we check them against our agreement's cap and per-day limit, build our own sets from what our
agreement releases to it, and answer with our sizes. Then one PSI message per key family: in the
cardinality stage we answer as a cardinality-only ``PsiServer`` (the partner learns a count, we learn
its set size); an intersection stage is accepted only for a run whose cardinality stage we answered,
and runs as ``PsiPeer`` half-runs so that we learn our own hits too and record notices. Each family is
answered once per stage. Open stages (declared sizes, our sets, answered families, suspended half-runs
with their scalars sealed) live in the database for an hour (deconfliction.psi_state), so each request of
a run may reach any server process; each exchange is audited with its transcript hash.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from sqlalchemy import Connection

from vinculo.audit.events import AuditEvent
from vinculo.deconfliction import alerts, psi_state
from vinculo.deconfliction.psi import PsiPeer, PsiServer, resume, suspend
from vinculo.deconfliction.psi_channel import frame
from vinculo.deconfliction.psi_messages import PsiProtocolError, PsiRefused, read_header
from vinculo.deconfliction.psi_sets import (
    ALL_KINDS,
    add_notices,
    build_sets,
    check_rate,
    check_sizes,
    get_run,
    new_run,
    psi_agreement,
    run_view,
    save_run,
)
from vinculo.federation.partners import partner_row
from vinculo.node.context import Node
from vinculo.records.model import format_ts, utcnow

RUN_RE = re.compile(r"[0-9a-f]{32}")
STAGES = ("cardinality", "intersection")


def _check_declaration(run_id: str, stage: str, sizes: object) -> dict[str, int]:
    if not isinstance(run_id, str) or not RUN_RE.fullmatch(run_id):
        raise PsiProtocolError("run: 32 lowercase hex characters")
    if stage not in STAGES:
        raise PsiProtocolError(f"stage: one of {', '.join(STAGES)}")
    if not isinstance(sizes, dict) or not sizes or len(sizes) > len(ALL_KINDS):
        raise PsiProtocolError("sizes: an object of selector kind -> declared set size")
    for kind, n in sizes.items():
        if kind not in ALL_KINDS:
            raise PsiProtocolError(f"sizes: unknown selector kind {kind!r}")
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise PsiProtocolError(f"sizes.{kind}: a non-negative integer")
    return dict(sizes)


def declare(node: Node, partner: str, run_id: str, stage: str, sizes: object) -> dict[str, int]:
    """The partner's declared sizes for a stage; returns ours (raises PsiRefused / PsiRateLimited).
    A refusal is audited (and does not count against the per-day limit: no work was done)."""
    try:
        return _declare(node, partner, run_id, stage, sizes)
    except PsiRefused as exc:
        with node.uow() as uow:
            uow.audit(AuditEvent(f"partner:{partner}", "psi.refused", f"partner:{partner}",
                                 {"run": str(run_id)[:40], "stage": str(stage)[:20], "reason": str(exc)}))
            uow.commit()
        raise


def _declare(node: Node, partner: str, run_id: str, stage: str, sizes: object) -> dict[str, int]:
    theirs = _check_declaration(run_id, stage, sizes)
    kinds = list(theirs)
    today = utcnow().date()
    with node.uow() as uow:
        agreement = psi_agreement(uow.conn, partner, today)
        cap = agreement.psi_max_set_size
        check_sizes(theirs, cap, f"{partner}'s")
        row = get_run(uow.conn, run_id)
        if stage == "cardinality":
            if row is not None:
                raise PsiRefused(f"run {run_id} was already used: every run starts afresh")
            check_rate(uow.conn, partner, agreement, today)
            new_run(uow.conn, run_id, partner, "responder", kinds, f"partner:{partner}", today, {})
        else:
            if row is None or row.partner != partner or row.role != "responder" or row.stage != "cardinality":
                raise PsiRefused(f"run {run_id}: an intersection only follows a cardinality stage we answered")
            if set(kinds) - set(json.loads(row.kinds)):
                raise PsiRefused(f"run {run_id}: the intersection asks for key families its first stage did not")
            save_run(uow.conn, run_id, stage="intersection", approved=format_ts(utcnow()),
                     approved_by=f"partner:{partner}")
        alerts.refresh_in(uow.conn, node)
        sets = build_sets(uow.conn, node.id, node.country, partner, agreement, kinds, today)
        mine = {k: len(s.holders) for k, s in sets.items()}
        check_sizes(mine, cap, "our")
        result = run_view(get_run(uow.conn, run_id))["result"]
        result.setdefault("stages", {})[stage] = {"theirs": theirs, "mine": mine, "kinds": {}}
        save_run(uow.conn, run_id, result=result)
        uow.audit(AuditEvent(f"partner:{partner}", "psi.declare", f"partner:{partner}",
                             {"run": run_id, "stage": stage, "theirs": theirs, "mine": mine}))
        psi_state.open_stage(uow.conn, run_id, partner, stage, cap, theirs, sets)
        uow.commit()
    return mine


def expected_bytes(node: Node, partner: str, run_id: str, kind: str) -> int:
    """Largest body we accept for the next message of this run and family (refuse before reading more)."""
    with node.engine.connect() as conn:
        pending = psi_state.load(conn, partner, run_id, kind)
    if pending.stage == "cardinality" or kind not in pending.peers:
        return 64 + 32 * pending.declared[kind]
    return 64 + 32 * (pending.declared[kind] + pending.mine[kind])


def _record(node: Node, partner: str, run_id: str, stage: str, kind: str, entry: dict, action: str,
            then: Callable[[Connection], dict] | None = None) -> None:
    with node.uow() as uow:
        extra = then(uow.conn) if then is not None else {}
        result = run_view(get_run(uow.conn, run_id))["result"]
        result["stages"][stage]["kinds"][kind] = entry
        status = "done" if stage == "intersection" else "counted"
        save_run(uow.conn, run_id, result=result, status=status)
        uow.audit(AuditEvent(f"partner:{partner}", action, f"partner:{partner}",
                             {"run": run_id, "stage": stage, "kind": kind, **entry, **(extra or {})}))
        uow.commit()


def answer(node: Node, partner: str, run_id: str, kind: str, message: bytes) -> bytes:
    """Answer the partner's PSI request for one key family."""
    pending = psi_state.mark_answered(node, partner, run_id, kind)
    header = read_header(message)
    if header.n != pending.declared[kind]:
        raise PsiProtocolError(f"declared {pending.declared[kind]} selectors for {kind}, sent {header.n}")
    values = pending.sets()[kind].values
    if pending.stage == "cardinality":
        server = PsiServer(values, kind, max_set_size=pending.cap, cardinality_only=True)
        response = server.respond(message)
        entry = {"mine": len(values), "theirs": header.n,
                 "transcript": server.transcript_hash.hex() if server.transcript_hash else None}
        _record(node, partner, run_id, "cardinality", kind, entry, "psi.answer")
        return response
    peer = PsiPeer(values, kind, initiator=False, max_set_size=pending.cap)
    to_them = peer.respond(message)
    our_request = peer.request()
    psi_state.keep_peer(node, run_id, kind, suspend(peer))
    return frame(to_them, our_request)


def finish(node: Node, partner: str, run_id: str, kind: str, message: bytes) -> dict:
    """The partner's answer to our request: our hits become notices; returns the transcript hash."""
    pending, state = psi_state.take_peer(node, partner, run_id, kind)
    sets = pending.sets()
    peer = resume(sets[kind].values, kind, state, max_set_size=pending.cap)
    hits = peer.finish(message)
    transcript = peer.transcript_hash.hex() if peer.transcript_hash else None
    contact = partner_row(node, partner).name

    def notices(conn: Connection) -> dict:
        return {"noticed": sorted(set(add_notices(conn, run_id, partner, contact, sets[kind], hits)))}

    entry = {"mine": len(sets[kind].holders), "theirs": pending.declared[kind], "hits": len(hits),
             "transcript": transcript}
    _record(node, partner, run_id, "intersection", kind, entry, "psi.run", notices)
    return {"transcript": transcript}
