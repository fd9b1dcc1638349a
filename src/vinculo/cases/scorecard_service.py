"""Gather the stored events behind a scorecard and compute it (see :mod:`vinculo.cases.scorecard`).

Federation writes the audit actions this reads: ``release`` when records leave for a partner and
``receive`` when a partner's record versions are stored here, both with detail ``partner`` and ``objects``
(``[id, version, status]``); the simpler forms ``ids`` (+ ``versions``) and ``id`` (+ ``version``) are read too.
Deconfliction writes ``psi.hit`` (detail ``partner``) when a PSI run this node started with a partner ends
with hits (``deconfliction.psi_service.approve_run``; one entry per run). ``psi.followup`` is read too, but
nothing writes it yet (there is no follow-up action to record), so ``psi.followed_up`` stays 0 for now.

Who reads what: cases and answers are released views (the read layer, ``release()`` per record). The shared
and PSI figures come from the audit log, so only actors who may read the log get them: auditors
(``audit.read``) and supervisors (who approve releases); for others they are zero and listed in
``withheld``. A shared record counts only if the actor may read that version (``reads.readable_versions``),
and its incident date only if the actor's view shows it. Reading the log for a scorecard is audited.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection

from vinculo.accounts.model import Actor
from vinculo.audit import service as audit
from vinculo.audit.events import AuditEvent
from vinculo.cases.scorecard import Period, Shared, compute, parse_period
from vinculo.cases.service import _all_views
from vinculo.node.context import Node
from vinculo.records.model import parse_ts
from vinculo.records.reads import readable_versions
from vinculo.records.repository import Filters
from vinculo.records.service import Forbidden
from vinculo.sharing.release import LocalUser

ACTIONS = ("release", "receive", "psi.hit", "psi.followup")


def _entries(conn: Connection, action: str) -> list[dict]:
    out: list[dict] = []
    after = -1
    while True:
        batch = audit.entries(conn, action=action, after=after, limit=5000)
        if not batch:
            return out
        out.extend(batch)
        after = batch[-1]["idx"]


def reads_log(actor: Actor) -> bool:
    """Whether `actor` may have the figures drawn from the audit log (auditors and supervisors)."""
    return actor.may("audit.read") or actor.role == "supervisor"


def _meta(conn: Connection, user: LocalUser, wanted: set[tuple[str, int | None]]
          ) -> dict[tuple[str, int | None], tuple]:
    """(type, tlp, incident date) of each (id, version) `user` may read; version ``None`` means the current
    one. Versions it may not read are left out; the date only where its view shows it."""
    found: dict[tuple[str, int | None], tuple] = {}
    for key, decision in readable_versions(conn, user, wanted).items():
        view = decision.view or {}
        when = (view.get("body") or {}).get("date")
        try:
            incident = dt.date.fromisoformat(when) if isinstance(when, str) else None
        except ValueError:
            incident = None
        found[key] = (view["type"], view["markings"]["tlp"], incident)
    return found


def _objects(detail: dict, single: str) -> list[tuple[str, int | None]]:
    """(id, version) pairs an entry names: federation's ``objects`` ([id, version, status] triples, tombstones
    and withdrawals left out), else ``ids`` (+ ``versions``), else ``id`` (+ ``version``)."""
    if "objects" in detail and isinstance(detail["objects"], list):
        return [(o[0], o[1]) for o in detail["objects"] if o[2] not in ("tombstone", "withdrawn")]
    if "ids" in detail:
        versions = detail.get("versions") or [None] * len(detail["ids"])
        return list(zip(detail["ids"], versions, strict=False))
    return [(detail[single], detail.get("version"))] if detail.get(single) else []


def _shared(conn: Connection, user: LocalUser, partner: str
            ) -> tuple[list[Shared], list[tuple[str, str, dt.datetime]]]:
    raw: list[tuple[str, str, int | None, dt.datetime]] = []
    for action, direction in (("release", "out"), ("receive", "in")):
        for e in _entries(conn, action):
            if e["detail"].get("partner") == partner:
                at = parse_ts(e["ts"])
                raw.extend((direction, i, v, at) for i, v in _objects(e["detail"], "id"))
    meta = _meta(conn, user, {(i, v) for _, i, v, _ in raw} | {(i, None) for _, i, _, _ in raw})
    shared = []
    for direction, rid, version, at in raw:
        found = meta.get((rid, version)) or (meta.get((rid, None)) if version is None else None)
        if found is not None:  # a version the actor may not read (or that is not held here) is not counted
            shared.append(Shared(direction, rid, version, at, *found))
    psi = [(e["action"], e["detail"].get("partner"), parse_ts(e["ts"]))
           for action in ("psi.hit", "psi.followup") for e in _entries(conn, action)]
    return shared, psi


def scorecard(node: Node, actor: Actor, partner: str, period: str | Period, today: dt.date | None = None) -> dict:
    """The scorecard with ``partner`` over ``period`` (``2025``, ``2025-Q2``, ``2025-06``, ``a..b``)."""
    if not actor.may("records.read"):
        raise Forbidden(f"role {actor.role} may not read records", ())
    p = parse_period(period) if isinstance(period, str) else period
    day = today or dt.datetime.now(dt.UTC).date()
    cases = [v for v in _all_views(node, actor, Filters(type="case")) if v.get("body")]
    answers = [v for v in _all_views(node, actor, Filters(type="note")) if v.get("body", {}).get("kind") == "response"]
    if not reads_log(actor):
        card = compute(node.id, partner, p, [], cases, answers, [], day)
        card["derived_from"] = [d for d in card["derived_from"] if not d.startswith("audit:")]
        card["withheld"] = {"figures": ["out.shared", "in.shared", "psi", "trends.out.shared", "trends.in.shared"],
                            "reason": f"role {actor.role} may not read the audit log they come from"}
        return card
    with node.uow() as uow:
        shared, psi = _shared(uow.conn, actor.audience(), partner)
        uow.audit(AuditEvent(actor.label, "audit.read", None, {"scorecard": partner, "period": p.label,
                                                               "entries": len(shared) + len(psi)}))
        uow.commit()
    return compute(node.id, partner, p, shared, cases, answers, psi, day)
