"""The responder's open matching stages, in the database (table ``psi_pending``), so that each request of
a run may reach any server process of the node: the sizes the partner declared, our sets for the stage,
which families were answered, and per family the suspended half-run of a mutual stage (its secret scalar
sealed with the node's secrets key, accounts.secretbox, never stored in the clear) until its finish.

Every change reads the row ``FOR UPDATE`` (on SQLite the transaction holds the write lock), so a family is
answered once and a half-run finished once, whichever processes the requests reach. A stage expires after
an hour (TTL), as it did in memory. A stage's row is deleted once every family it declared is done, and
expired rows whenever a stage is opened and by the `deconfliction.psi_expire` job (vinculo.jobs.work): our
selectors do not outlive the stage they were built for.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, select, update

from vinculo.accounts import secretbox
from vinculo.deconfliction.psi_messages import PsiRefused
from vinculo.deconfliction.psi_sets import PsiSet
from vinculo.node.context import Node
from vinculo.records.model import format_ts, utcnow
from vinculo.store.tables_jobs import psi_pending as pp

TTL = dt.timedelta(hours=1)


@dataclass
class Pending:
    run_id: str
    partner: str
    stage: str
    cap: int
    declared: dict[str, int]
    mine: dict[str, int]
    answered: set[str]
    peers: dict[str, str]  # kind -> sealed half-run state
    sets_json: str

    def sets(self) -> dict[str, PsiSet]:
        return {k: PsiSet(k, {v: list(ids) for v, ids in h.items()}) for k, h in json.loads(self.sets_json).items()}


def open_stage(conn: Connection, run_id: str, partner: str, stage: str, cap: int, declared: dict[str, int],
               sets: dict[str, PsiSet]) -> None:
    """Open (or replace: the intersection follows the cardinality stage) the stage of a run."""
    now = utcnow()
    conn.execute(delete(pp).where(pp.c.expires < format_ts(now)))
    conn.execute(delete(pp).where(pp.c.run_id == run_id))
    conn.execute(insert(pp).values(
        run_id=run_id, partner=partner, stage=stage, cap=cap, declared=json.dumps(declared),
        mine=json.dumps({k: len(s.holders) for k, s in sets.items()}), answered="[]", peers="{}",
        sets=json.dumps({k: s.holders for k, s in sets.items()}), created=format_ts(now),
        expires=format_ts(now + TTL)))


def load(conn: Connection, partner: str, run_id: str, kind: str, lock: bool = False) -> Pending:
    """The open stage of `run_id` with `partner` that declared `kind` (refused otherwise)."""
    q = select(pp).where(pp.c.run_id == run_id, pp.c.expires >= format_ts(utcnow()))
    row = conn.execute(q.with_for_update() if lock else q).first()
    if row is None or row.partner != partner:
        raise PsiRefused(f"run {run_id}: no open stage (declare the set sizes first)")
    declared = json.loads(row.declared)
    if kind not in declared:
        raise PsiRefused(f"run {run_id}: {kind} was not declared for this stage")
    return Pending(row.run_id, row.partner, row.stage, row.cap, declared, json.loads(row.mine),
                   set(json.loads(row.answered)), json.loads(row.peers), row.sets)


def mark_answered(node: Node, partner: str, run_id: str, kind: str) -> Pending:
    """Claim the one answer of `kind` in this stage (refused if it was answered, in any process)."""
    with node.uow() as uow:
        pending = load(uow.conn, partner, run_id, kind, lock=True)
        if kind in pending.answered:
            raise PsiRefused(f"run {run_id}: {kind} was already answered in this stage")
        pending.answered.add(kind)
        if pending.stage == "cardinality" and pending.answered >= set(pending.declared):
            uow.conn.execute(delete(pp).where(pp.c.run_id == run_id))  # nothing more to answer
        else:
            uow.conn.execute(update(pp).where(pp.c.run_id == run_id)
                             .values(answered=json.dumps(sorted(pending.answered))))
        uow.commit()
    return pending


def _context(run_id: str, kind: str) -> str:
    return f"vinculo-psi-half-run|{run_id}|{kind}"


def keep_peer(node: Node, run_id: str, kind: str, state: dict) -> None:
    sealed = secretbox.seal(node.home.path, json.dumps(state), _context(run_id, kind))
    with node.uow() as uow:
        row = uow.conn.execute(select(pp.c.peers).where(pp.c.run_id == run_id).with_for_update()).first()
        if row is None:
            raise PsiRefused(f"run {run_id}: the stage expired meanwhile")
        peers = json.loads(row.peers) | {kind: sealed}
        uow.conn.execute(update(pp).where(pp.c.run_id == run_id).values(peers=json.dumps(peers)))
        uow.commit()


def take_peer(node: Node, partner: str, run_id: str, kind: str) -> tuple[Pending, dict]:
    """Remove and open the suspended half-run of `kind`: it finishes once."""
    with node.uow() as uow:
        pending = load(uow.conn, partner, run_id, kind, lock=True)
        sealed = pending.peers.pop(kind, None)
        if sealed is None:
            raise PsiRefused(f"run {run_id}: no open mutual exchange for {kind}")
        if pending.answered >= set(pending.declared) and not pending.peers:
            uow.conn.execute(delete(pp).where(pp.c.run_id == run_id))  # the stage's last half-run
        else:
            uow.conn.execute(update(pp).where(pp.c.run_id == run_id).values(peers=json.dumps(pending.peers)))
        uow.commit()
    try:
        state = json.loads(secretbox.open_(node.home.path, sealed, _context(run_id, kind)))
    except secretbox.SecretBoxError as exc:
        raise PsiRefused(f"run {run_id}: the half-run of {kind} does not open here ({exc})") from None
    return pending, state


def expire(node: Node) -> int:
    """Delete the stages whose hour is over; how many."""
    with node.uow() as uow:
        n = uow.conn.execute(delete(pp).where(pp.c.expires < format_ts(utcnow()))).rowcount
        uow.commit()
    return n
