"""What a draft agreement would release, before it is saved.

The draft is validated into an `Agreement` (errors name the term), then `release()` decides, for the most
recent records this node could send the partner, what would go and which fields would be withheld under
the draft (and under the terms in force, to show what changes), and how many records the partner holds
would be withdrawn. Nothing is stored but the audit entry; administrators see field names, not content.
"""

from __future__ import annotations

import datetime as dt

from pydantic import ValidationError
from sqlalchemy import Connection, func, select

from vinculo.accounts.model import Actor
from vinculo.audit.events import AuditEvent
from vinculo.federation.withdrawals import Withdrawals, unreleasable_holdings
from vinculo.node.context import Node
from vinculo.records import repository as repo
from vinculo.records.model import FieldError, Record, RecordInvalid, utcnow
from vinculo.records.service import Forbidden
from vinculo.sharing import service as sharing
from vinculo.sharing.agreements import TERMS, Agreement, MissingTerms, amend
from vinculo.sharing.release import PartnerNode, release
from vinculo.store.tables import agreements, partners

PREVIEW_RECORDS = 20
MAX_PREVIEW = 200


def require_manage(actor: Actor) -> None:
    if not actor.may("node.manage"):
        message = f"role {actor.role} may not manage partners (administrators only)"
        raise Forbidden(message, (message,))


def _errors(exc: ValidationError) -> list[FieldError]:
    out = []
    for e in exc.errors():
        loc = [str(p) for p in e["loc"]]
        message = str(e["msg"]).removeprefix("Value error, ")
        if not loc:  # a check across terms names its term first ("end: agreement ends before it starts")
            head, sep, rest = message.partition(": ")
            loc, message = ([head], rest) if sep and head in TERMS else (["terms"], message)
        out.append(FieldError(".".join(loc), message))
    return out


def draft_agreement(conn: Connection, partner: str, terms: dict, merge: bool = False) -> Agreement:
    """The next version of the agreement with `partner` as `terms` would make it (not stored).

    `merge`: `terms` are changes to the agreement in force (the other terms are kept); with none in force
    they must state every required term. Otherwise `terms` are the whole agreement."""
    if not conn.execute(select(partners.c.node_id).where(partners.c.node_id == partner)).first():
        raise RecordInvalid([FieldError("partner", f"no partner {partner!r}")])
    unknown = sorted(set(terms) - set(TERMS))
    if unknown:
        raise RecordInvalid([FieldError(k, "not an agreement term") for k in unknown])
    if merge:
        try:
            terms = amend(partner, sharing.current_agreement(conn, partner), terms)
        except MissingTerms as exc:
            raise RecordInvalid([FieldError(t, f"missing: {partner} has no agreement yet, and a first one "
                                               "states it") for t in exc.missing]) from None
    last = conn.execute(
        select(func.max(agreements.c.version)).where(agreements.c.partner == partner)
    ).scalar()
    try:
        return Agreement.model_validate({**terms, "partner": partner, "version": (last or 0) + 1})
    except ValidationError as exc:
        raise RecordInvalid(_errors(exc)) from None


def _recent(conn: Connection, origins: list[str], limit: int) -> list[Record]:
    found: list[Record] = []
    for origin in origins:
        found += repo.page(conn, repo.Filters(origin=origin), None, limit)
    return sorted(found, key=lambda r: r.seq or 0, reverse=True)[:limit]


def _decide(record: Record, audience: PartnerNode) -> dict:
    d = release(record, audience)
    fields = sorted((d.view or {}).get("body", {})) if d.allowed else []
    return {"allowed": d.allowed, "fields": fields, "withheld": list(d.withheld), "reasons": list(d.reasons)}


def preview_agreement(
    node: Node,
    actor: Actor,
    partner: str,
    terms: dict,
    limit: int = PREVIEW_RECORDS,
    on: dt.date | None = None,
    merge: bool = False,
) -> dict:
    """For the `limit` most recent records this node could send `partner`: the decision under the draft
    and under the agreement in force; and the records the partner holds that the draft would withdraw."""
    require_manage(actor)
    limit = max(1, min(limit, MAX_PREVIEW))
    day = on or utcnow().date()
    with node.uow() as uow:
        draft = draft_agreement(uow.conn, partner, terms, merge)
        current = sharing.current_agreement(uow.conn, partner)
        under_draft = PartnerNode(partner, node.id, draft, day)
        under_current = PartnerNode(partner, node.id, current, day)
        origins = [node.id, *sorted(draft.relay_origins - {node.id, partner})]
        items = []
        for record in _recent(uow.conn, origins, limit):
            now = _decide(record, under_current)
            items.append(
                {
                    "id": record.id,
                    "type": record.type,
                    "origin": record.origin,
                    "version": record.version,
                    "tlp": record.markings.tlp.value,
                    "handling": record.markings.handling.value,
                    **_decide(record, under_draft),
                    "now": now,
                }
            )
        withdrawn = unreleasable_holdings(uow.conn, node.id, draft, day)
        gone = Withdrawals(partner, withdrawn)
        uow.audit(
            AuditEvent(
                actor.label,
                "agreement.preview",
                f"partner:{partner}",
                {"version": draft.version, "ids": [i["id"] for i in items], "withdrawn": len(withdrawn)},
            )
        )
        uow.commit()
    return {
        "partner": partner,
        "draft": draft.model_dump(mode="json"),
        "current_version": current.version if current else None,
        "on": day.isoformat(),
        "records": items,
        "would_send": sum(i["allowed"] for i in items),
        "changed": sum(
            i["allowed"] != i["now"]["allowed"] or i["withheld"] != i["now"]["withheld"] for i in items
        ),
        "withdrawn": gone.count,
        "withdrawn_by_type": gone.by_type(),
        "withdrawn_summary": gone.summary(),
        "withdrawn_records": [{"id": rid, "reason": why} for rid, why in withdrawn[:50]],
    }
