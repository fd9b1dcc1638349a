"""Private matching with a partner, initiating side: a cardinality run, then (approved) the intersection.

``start_run`` runs one cardinality-only PSI per key family (we learn how many of our selectors the
partner also holds, nothing about which); ``approve_run`` (a supervisor) runs the mutual stage as
two PSI half-runs per family (``PsiPeer``), after which each side knows which of *its own* selectors
the other holds and records a deconfliction notice per hit: our record, the partner to contact.
Both stages declare set sizes first and stop if the partner's exceed our agreement's cap; every run
uses fresh scalars, counts against the agreement's per-day limit, and is audited with its transcript
hash on both sides. No database transaction is held while the partner is being talked to.
"""

from __future__ import annotations

import datetime as dt
import uuid

from vinculo.accounts.model import Actor
from vinculo.audit.events import AuditEvent
from vinculo.deconfliction import alerts
from vinculo.deconfliction.psi import PsiClient, PsiPeer
from vinculo.deconfliction.psi_channel import PsiChannel, unframe
from vinculo.deconfliction.psi_messages import PsiError, PsiProtocolError, PsiRefused
from vinculo.deconfliction.psi_sets import (
    PsiSet,
    add_notices,
    build_sets,
    check_rate,
    check_sizes,
    expand_kinds,
    get_run,
    list_runs,
    new_run,
    psi_agreement,
    run_view,
    save_run,
)
from vinculo.federation.partners import partner_row
from vinculo.node.context import Node
from vinculo.records.model import format_ts, utcnow
from vinculo.records.service import Forbidden, NotFound

__all__ = ["approve_run", "awaiting_approval", "list_runs_for", "may_approve", "start_run"]


def _require(actor: Actor, supervisor: bool = False) -> None:
    if supervisor and actor.role != "supervisor":
        raise Forbidden(f"role {actor.role} may not approve a matching run (supervisors only)")
    if not actor.may("records.write"):
        raise Forbidden(f"role {actor.role} may not run private matching")


def _prepare(node: Node, partner: str, kinds: list[str], today: dt.date, conn) -> tuple[int, dict[str, PsiSet]]:
    agreement = psi_agreement(conn, partner, today)
    alerts.refresh_in(conn, node)
    sets = build_sets(conn, node.id, node.country, partner, agreement, kinds, today)
    check_sizes({k: len(s.holders) for k, s in sets.items()}, agreement.psi_max_set_size, "our")
    return agreement.psi_max_set_size, sets


def awaiting_approval(run: dict) -> bool:
    """A counted cardinality run started here: the only kind ``approve_run`` takes."""
    return run["role"] == "initiator" and run["stage"] == "cardinality" and run["status"] == "counted"


def may_approve(actor: Actor, run: dict) -> bool:
    """Whether ``approve_run`` would let this actor approve this run (for faces that offer the action)."""
    try:
        _require(actor, supervisor=True)
    except Forbidden:
        return False
    return awaiting_approval(run)


def _fail(node: Node, actor: Actor, run_id: str, partner: str, stage: str, exc: Exception) -> None:
    status = "refused" if isinstance(exc, PsiRefused) else "failed"
    with node.uow() as uow:
        row = get_run(uow.conn, run_id)
        result = run_view(row)["result"] | {"error": str(exc)}
        save_run(uow.conn, run_id, status=status, result=result)
        uow.audit(AuditEvent(actor.label, "psi.failed", f"partner:{partner}",
                             {"run": run_id, "stage": stage, "status": status, "error": str(exc)}))
        uow.commit()


def _check_peer(declared: int, sent: int | None, partner: str, kind: str) -> None:
    if sent != declared:
        raise PsiProtocolError(f"{partner} declared {declared} selectors for {kind} but sent {sent}")


def start_run(node: Node, actor: Actor, partner: str, kinds: str | list[str], channel: PsiChannel | None = None,
              workers: int | None = None) -> dict:
    """Stage 1: the size of the overlap per key family, nothing else. Returns the run."""
    _require(actor)
    families = expand_kinds(kinds)
    today = utcnow().date()
    run_id = uuid.uuid4().hex
    with node.uow() as uow:
        cap, sets = _prepare(node, partner, families, today, uow.conn)
        check_rate(uow.conn, partner, psi_agreement(uow.conn, partner, today), today)
        sizes = {k: len(s.holders) for k, s in sets.items()}
        new_run(uow.conn, run_id, partner, "initiator", families, actor.label, today, {"sizes": sizes})
        uow.audit(AuditEvent(actor.label, "psi.start", f"partner:{partner}",
                             {"run": run_id, "kinds": families, "sizes": sizes}))
        uow.commit()
    result: dict = {"sizes": sizes, "kinds": {}}
    ch = channel or PsiChannel(node, partner)
    try:
        theirs = ch.declare(run_id, "cardinality", sizes)
        check_sizes(theirs, cap, f"{partner}'s")
        for kind in families:
            entry: dict = {"mine": sizes[kind], "theirs": theirs[kind], "overlap": 0}
            if sizes[kind] and theirs[kind]:
                client = PsiClient(sets[kind].values, kind, max_set_size=cap, cardinality_only=True, workers=workers)
                entry["overlap"] = client.finish_count(ch.exchange(run_id, kind, client.request()))
                _check_peer(theirs[kind], client.peer_size, partner, kind)
                entry["transcript"] = client.transcript_hash.hex() if client.transcript_hash else None
            result["kinds"][kind] = entry
    except PsiError as exc:
        _fail(node, actor, run_id, partner, "cardinality", exc)
        raise
    finally:
        if channel is None:
            ch.close()
    with node.uow() as uow:
        save_run(uow.conn, run_id, status="counted", result=result)
        uow.audit(AuditEvent(actor.label, "psi.run", f"partner:{partner}",
                             {"run": run_id, "stage": "cardinality", "kinds": result["kinds"]}))
        uow.commit()
        return run_view(get_run(uow.conn, run_id))


def approve_run(node: Node, actor: Actor, run_id: str, channel: PsiChannel | None = None,
                workers: int | None = None) -> dict:
    """Stage 2 (a supervisor approves a counted run): both sides learn which of their own selectors
    the other holds; hits become deconfliction notices. Returns the run."""
    _require(actor, supervisor=True)
    today = utcnow().date()
    with node.uow() as uow:
        row = get_run(uow.conn, run_id)
        if row is None or row.role != "initiator":
            raise NotFound(f"no matching run {run_id} started here")
        if row.stage != "cardinality" or row.status != "counted":
            raise PsiRefused(f"run {run_id} is {row.stage}/{row.status}: only a counted cardinality run "
                             "can be approved")
        partner, families = row.partner, run_view(row)["kinds"]
        cap, sets = _prepare(node, partner, families, today, uow.conn)
        sizes = {k: len(s.holders) for k, s in sets.items()}
        save_run(uow.conn, run_id, approved=format_ts(utcnow()), approved_by=actor.label)
        uow.audit(AuditEvent(actor.label, "psi.approve", f"partner:{partner}", {"run": run_id, "sizes": sizes}))
        uow.commit()
    contact = partner_row(node, partner).name
    result: dict = {"sizes": sizes, "kinds": {}, "cardinality": run_view(row)["result"].get("kinds", {})}
    found: dict[str, set[str]] = {}
    ch = channel or PsiChannel(node, partner)
    try:
        theirs = ch.declare(run_id, "intersection", sizes)
        check_sizes(theirs, cap, f"{partner}'s")
        for kind in families:
            entry: dict = {"mine": sizes[kind], "theirs": theirs[kind], "hits": 0}
            if sizes[kind] and theirs[kind]:
                peer = PsiPeer(sets[kind].values, kind, initiator=True, max_set_size=cap, workers=workers)
                to_us, their_request = unframe(ch.exchange(run_id, kind, peer.request()))
                to_them = peer.respond(their_request)
                found[kind] = peer.finish(to_us)
                _check_peer(theirs[kind], peer.client.peer_size, partner, kind)
                ack = ch.finish(run_id, kind, to_them)
                entry["hits"] = len(found[kind])
                entry["transcript"] = peer.transcript_hash.hex() if peer.transcript_hash else None
                entry["confirmed"] = ack.get("transcript") == entry["transcript"]
            result["kinds"][kind] = entry
    except PsiError as exc:
        _fail(node, actor, run_id, partner, "intersection", exc)
        raise
    finally:
        if channel is None:
            ch.close()
    with node.uow() as uow:
        noticed: list[str] = []
        for kind, hits in found.items():
            noticed += add_notices(uow.conn, run_id, partner, contact, sets[kind], hits)
        result["notices"] = len(noticed)
        save_run(uow.conn, run_id, stage="intersection", status="done", result=result)
        uow.audit(AuditEvent(actor.label, "psi.run", f"partner:{partner}",
                             {"run": run_id, "stage": "intersection", "kinds": result["kinds"],
                              "noticed": sorted(set(noticed))}))
        if noticed:  # what the scorecard counts as a PSI hit with this partner (see cases.scorecard_service)
            uow.audit(AuditEvent(actor.label, "psi.hit", f"partner:{partner}",
                                 {"partner": partner, "run": run_id, "records": len(set(noticed)),
                                  "selectors": sum(len(h) for h in found.values())}))
        uow.commit()
        return run_view(get_run(uow.conn, run_id))


def list_runs_for(node: Node, actor: Actor, limit: int = 100) -> list[dict]:
    """Matching runs of this node (both roles): sizes, counts and transcript hashes, no selectors."""
    if not actor.may("records.read"):
        raise Forbidden(f"role {actor.role} may not read matching runs")
    with node.engine.connect() as conn:
        return list_runs(conn, limit)
