"""What each side puts into a private matching run, and the run bookkeeping both sides share.

A side's set for one key family holds only the valid selectors of records ``release()`` lets the
partner receive under the current agreement, recomputed from the *released view* (a field the
agreement withholds gives no selector). Runs are rows of ``dc_runs``; hits become ``dc_notices``.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import Connection, func, insert, select, update

from vinculo.deconfliction import events, index
from vinculo.deconfliction.normalise_names import NAME_KINDS
from vinculo.deconfliction.psi_channel import PsiRateLimited
from vinculo.deconfliction.psi_messages import PsiRefused
from vinculo.deconfliction.selectors import KINDS
from vinculo.records import projection
from vinculo.records.model import format_ts, utcnow
from vinculo.sharing import service as sharing
from vinculo.sharing.agreements import Agreement
from vinculo.sharing.release import PartnerNode, release
from vinculo.store.tables_deconfliction import dc_notices as dn
from vinculo.store.tables_deconfliction import dc_runs as dr

FAMILIES: dict[str, tuple[str, ...]] = {"person": NAME_KINDS, "plate": ("plate", "plate-national"),
                                        "event": (events.KIND,)}
"""User-facing names that stand for several exact key families (one PSI each)."""
ALL_KINDS = frozenset(KINDS) | {events.KIND}


def expand_kinds(text: str | list[str]) -> list[str]:
    """``"phone,plate,person"`` as the key families to run, in order, each once; ValueError names a bad one."""
    items = text.split(",") if isinstance(text, str) else list(text)
    out: list[str] = []
    for raw in items:
        name = raw.strip().lower()
        if not name:
            continue
        family = FAMILIES.get(name, (name,))
        for kind in family:
            if kind not in ALL_KINDS:
                raise ValueError(f"kind: {name!r} is not a selector kind (one of "
                                 f"{', '.join(sorted(set(FAMILIES) | ALL_KINDS))})")
            if kind not in out:
                out.append(kind)
    if not out:
        raise ValueError("kind: name at least one selector kind (e.g. phone,plate,person)")
    return out


def psi_agreement(conn: Connection, partner: str, today: dt.date) -> Agreement:
    """Our agreement with ``partner`` if it is in force and allows matching runs; else PsiRefused."""
    agreement = sharing.current_agreement(conn, partner)
    if agreement is None:
        raise PsiRefused(f"no sharing agreement with {partner}: nothing takes part in matching")
    if not agreement.in_force(today):
        raise PsiRefused(f"agreement v{agreement.version} with {partner} is not in force")
    if agreement.psi_runs_per_day == 0:
        raise PsiRefused(f"agreement v{agreement.version} with {partner} allows no matching runs")
    return agreement


def check_rate(conn: Connection, partner: str, agreement: Agreement, today: dt.date) -> None:
    """Raise PsiRateLimited when today's runs with ``partner`` reached the agreement's limit."""
    used = conn.execute(select(func.count()).select_from(dr)
                        .where(dr.c.partner == partner, dr.c.day == today.isoformat())).scalar_one()
    if used >= agreement.psi_runs_per_day:
        raise PsiRateLimited(f"{used} matching runs with {partner} today: agreement v{agreement.version} "
                             f"allows {agreement.psi_runs_per_day} per day")


def check_sizes(sizes: dict[str, int], cap: int, whose: str) -> None:
    for kind, n in sizes.items():
        if n > cap:
            raise PsiRefused(f"{whose} set for {kind} has {n} selectors, above the agreement's "
                             f"psi_max_set_size {cap}")


@dataclass
class PsiSet:
    """value -> our record ids holding it, for one key family."""

    kind: str
    holders: dict[str, list[str]]

    @property
    def values(self) -> list[str]:
        return sorted(self.holders)


def build_sets(conn: Connection, node_id: str, node_country: str, partner: str, agreement: Agreement,
               kinds: list[str], today: dt.date) -> dict[str, PsiSet]:
    """Our selectors per family, from records released to ``partner`` (index caught up by the caller)."""
    audience = PartnerNode(partner, node_id, agreement, today)
    countries = index._countries(conn, node_id, node_country)
    wanted: dict[str, set[str]] = {}
    for kind in kinds:
        for record_id, _ in index.values_of_kind(conn, kind):
            wanted.setdefault(record_id, set()).add(kind)
    sets = {kind: PsiSet(kind, {}) for kind in kinds}
    ids = sorted(wanted)
    for i in range(0, len(ids), index.CHUNK):
        chunk = ids[i : i + index.CHUNK]
        for record in projection.current_records(conn, chunk, index.CHUNK).values():
            decision = release(record, audience)
            if not decision.allowed or decision.view is None:
                continue
            body = decision.view["body"]
            for sel in index.record_selectors(record.type, body, countries.get(record.origin)):
                if sel.valid and sel.kind in wanted[record.id]:
                    sets[sel.kind].holders.setdefault(sel.value, []).append(record.id)
    return sets


def new_run(conn: Connection, run_id: str, partner: str, role: str, kinds: list[str], by: str,
            today: dt.date, result: dict) -> None:
    conn.execute(insert(dr).values(id=run_id, partner=partner, role=role, kinds=json.dumps(kinds),
                                   stage="cardinality", status="open", day=today.isoformat(),
                                   created=format_ts(utcnow()), created_by=by, result=json.dumps(result)))


def get_run(conn: Connection, run_id: str):
    return conn.execute(select(dr).where(dr.c.id == run_id)).one_or_none()


def save_run(conn: Connection, run_id: str, **values: object) -> None:
    if isinstance(values.get("result"), dict):
        values["result"] = json.dumps(values["result"])
    conn.execute(update(dr).where(dr.c.id == run_id).values(**values))


def run_view(row) -> dict:
    return {"id": row.id, "partner": row.partner, "role": row.role, "kinds": json.loads(row.kinds),
            "stage": row.stage, "status": row.status, "created": row.created, "created_by": row.created_by,
            "approved": row.approved, "approved_by": row.approved_by, "result": json.loads(row.result)}


def list_runs(conn: Connection, limit: int = 100) -> list[dict]:
    return [run_view(r) for r in conn.execute(select(dr).order_by(dr.c.created.desc()).limit(limit))]


def add_notices(conn: Connection, run_id: str, partner: str, contact: str, psi_set: PsiSet,
                hits: set[str]) -> list[str]:
    """One notice per (hit value, our record holding it); returns the record ids noticed."""
    now = format_ts(utcnow())
    rows, noticed = [], []
    for value in sorted(hits):
        for record_id in sorted(set(psi_set.holders.get(value, ()))):
            rows.append({"created": now, "run_id": run_id, "partner": partner, "contact": contact,
                         "kind": psi_set.kind, "vhash": index.vhash(psi_set.kind, value), "value": value,
                         "record_id": record_id})
            noticed.append(record_id)
    if rows:
        conn.execute(insert(dn), rows)
    return noticed
