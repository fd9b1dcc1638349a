"""Pre-export notification use cases: notify from a shipment, answer, record the outcome, list, alerts.

Everything is read through the records service (``release()`` for the actor, audited) and written as
records (the notification is a ``case``, each answer a ``note``, a linked seizure a ``relationship``), so
what partners and the hub receive is decided by their agreements like any other record: the exporter's
node sends the notification to the importing node and to the hub when their agreements cover ``case``
records at its markings; the importer's answers go back to the exporter under the importer's agreement.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from vinculo.accounts.model import Actor
from vinculo.cases import service as cases
from vinculo.cases.convert import state_from_body
from vinculo.cases.deadlines import deadlines
from vinculo.cases.kinds import CaseKind
from vinculo.cases.preexport import (
    ANSWERS,
    DEFAULT_REPLY_DAYS,
    answer_text,
    answers_of,
    decision,
    table,
    with_answers,
)
from vinculo.federation.partners import partner_row
from vinculo.node.context import Node
from vinculo.records import service as records
from vinculo.records.control import control_status
from vinculo.records.model import FieldError, Record, RecordInvalid
from vinculo.records.repository import Filters
from vinculo.sharing.service import SharingError

KIND = CaseKind.PRE_EXPORT_NOTIFICATION.value
MAX_LISTED = 5000  # notifications (and answer notes) read for one listing


@dataclass(frozen=True)
class PenFilters:
    """``direction``: sent, received or copy; ``company``: a substring of exporter, importer or consignee;
    ``country``: either state; ``substance``; ``overdue``; ``open_only``."""

    direction: str | None = None
    company: str | None = None
    country: str | None = None
    substance: str | None = None
    overdue: bool = False
    open_only: bool = False


def _today(today: dt.date | None) -> dt.date:
    return today or dt.datetime.now(dt.UTC).date()


def _invalid(field: str, why: str) -> RecordInvalid:
    return RecordInvalid([FieldError(field, why)])


def _views(node: Node, actor: Actor, filters: Filters) -> list[dict]:
    out: list[dict] = []
    cursor = None
    while len(out) < MAX_LISTED:
        page = records.list_records(node, actor, filters, cursor, records.MAX_PAGE)
        out.extend(page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    return out[:MAX_LISTED]


def notify(node: Node, actor: Actor, shipment_id: str, importer_node: str, *, reply_days: int | None = None,
           on: dt.date | str | None = None, fields: dict | None = None, markings: dict | None = None,
           reference: str | None = None) -> Record:
    """Open a pre-export notification from a shipment this actor may read in full.

    ``importer_node`` is the importing authority's node (a registered partner); ``fields`` overrides or
    completes what the shipment says (consignee, addresses, phones, route, ship_date ...). The shipment is
    named by the notification, so the notification goes to a partner only with the shipment, and it copies
    only the shipment fields every such partner may see (what ``fields`` adds is the officer's own choice).
    """
    shipment, view = _readable(node, actor, shipment_id, "shipment")
    body = view["body"]
    try:
        partner = partner_row(node, importer_node)
    except SharingError:
        raise _invalid("importer_node", f"no partner {importer_node!r}") from None
    # copy only what every partner that will receive the shipment (and so the notification, which names it)
    # may see of it: a field an agreement withholds is not sent again inside the notification
    preview = records.release_preview(node, actor, shipment)
    receivers = [p for p in preview["partners"] if p["allowed"]]
    if importer_node not in {p["partner"] for p in receivers}:
        raise _invalid("importer_node", f"{importer_node} may not receive {shipment.id} under its agreement, so "
                                        "the notification would not reach it (mark the shipment or widen the agreement)")
    visible = set.intersection(*(set(p["fields"]) for p in receivers))
    body = {k: v for k, v in body.items() if k in visible}
    extra = dict(fields or {})
    precursor = {k: v for k, v in {
        "substance": body.get("substance"), "quantity": body.get("quantity"), "exporter": body.get("exporter"),
        "importer": body.get("importer"), "consignee": body.get("consignee"), "route": body.get("route") or [],
        "transport": body.get("transport"),
    }.items() if v not in (None, [])}
    precursor |= extra
    precursor["reply_days"] = int(reply_days or extra.get("reply_days") or DEFAULT_REPLY_DAYS)
    status = control_status(precursor.get("substance"))
    if status is None:
        raise _invalid("substance", f"{precursor.get('substance') or 'no substance'}: not a controlled or watched "
                                    "chemical (see records/vocab/control.csv)")
    importer_country = body.get("importer_country") or partner.country
    if not importer_country:
        raise _invalid("importer_country", "the shipment names no importing country and the partner has none")
    data = {
        "kind": KIND, "date": on or _today(None).isoformat(),
        "requesting_country": body.get("exporter_country") or node.country, "requested_country": importer_country,
        "requesting_node": node.id, "requested_node": importer_node,
        "subject": f"{precursor.get('substance')}: {precursor.get('exporter', '?')} -> {precursor.get('importer', '?')}",
        "subject_refs": [shipment.id], "params": {"reply_days": precursor["reply_days"]},
        "precursor": precursor, "reason": "pre-export notification sent",
    }
    if reference:
        data["reference"] = reference
    return cases.open_case(node, actor, data, markings)


def _readable(node: Node, actor: Actor, record_id: str, rtype: str) -> tuple[Record, dict]:
    record, decision_ = records.get_record(node, actor, record_id)
    if record.type != rtype:
        raise _invalid("id", f"{record_id} is a {record.type} record, not a {rtype}")
    if not decision_.view or not decision_.view.get("body"):
        raise records.Forbidden(f"you may not read the content of {record_id}", decision_.reasons)
    return record, decision_.view


def _notification(node: Node, actor: Actor, case_id: str) -> dict:
    _, view = _readable(node, actor, case_id, "case")
    if view["body"].get("kind") != KIND:
        raise _invalid("id", f"{case_id} is not a pre-export notification")
    return view


def answer(node: Node, actor: Actor, case_id: str, what: str, text: str = "",
           markings: dict | None = None) -> Record:
    """This node's signed answer (a ``note``): the importing node acknowledges, clears, objects or asks for
    information; the exporting node provides information asked for. Any other node is refused."""
    if what not in ANSWERS:
        raise _invalid("answer", f"one of {', '.join(ANSWERS)}")
    if len(text) > 10_000:
        raise _invalid("text", "at most 10,000 characters")
    view = _notification(node, actor, case_id)
    side = ANSWERS[what][2]
    owner = view["body"].get("requested_node" if side == "importer" else "requesting_node")
    if owner != node.id:
        raise records.Forbidden(f"only the {side}'s node ({owner}) gives the answer {what!r} on {case_id}")
    return cases.answer_case(node, actor, case_id, answer_text(what, text), ANSWERS[what][0], markings)


def record_outcome(node: Node, actor: Actor, case_id: str, outcome: str, at: dt.date | str, reason: str,
                   seizure_id: str | None = None) -> Record:
    """The exporter records what happened (shipped, suspended, stopped, delivered, seized on arrival...);
    ``seizure_id`` links the resulting seizure (a ``related-to`` relationship from the seizure)."""
    _notification(node, actor, case_id)
    if seizure_id:
        _readable(node, actor, seizure_id, "seizure")
    record = cases.advance_case(node, actor, case_id, outcome, at, reason)
    if seizure_id:
        records.create_record(node, actor, "relationship", {"relationship_type": "related-to",
                                                            "source_ref": seizure_id, "target_ref": case_id},
                              {"tlp": record.markings.tlp.value, "handling": record.markings.handling.value})
    return record


def _answer_notes(node: Node, actor: Actor) -> list[dict]:
    return [n for n in _views(node, actor, Filters(type="note", text="[PEN ")) if n.get("body")]


def _summary(node: Node, view: dict, notes: list[dict], today: dt.date) -> dict:
    body = view["body"]
    state = state_from_body(view["id"], body)
    answers = answers_of(view["id"], body, notes)
    merged = with_answers(state, answers)
    dls = deadlines(merged, today, table=table())
    p = body["precursor"]
    status = control_status(p["substance"])
    direction = ("sent" if body.get("requesting_node") == node.id else
                 "received" if body.get("requested_node") == node.id else "copy")
    reply = next((d for d in dls if d.rule_id == "PEN-REPLY"), None)
    return {
        "id": view["id"], "version": view["version"], "origin": view["origin"], "reference": body.get("reference"),
        "direction": direction, "exporting_country": body["requesting_country"],
        "importing_country": body["requested_country"], "exporter_node": body.get("requesting_node"),
        "importer_node": body.get("requested_node"), "substance": p["substance"],
        "control": status.label if status else None, "quantity": p.get("quantity"),
        "exporter": p.get("exporter"), "importer": p.get("importer"), "consignee": p.get("consignee"),
        "route": p.get("route", []), "ship_date": p.get("ship_date"), "reply_days": p.get("reply_days"),
        "sent": body["date"], "state": state.state, "closed": state.is_closed,
        "decision": decision(answers),
        "answers": [{"answer": a, "on": d.isoformat(), "note": n} for a, d, n in answers],
        "reply_due": reply.due.isoformat() if reply else None,
        "reply_status": reply.status if reply else None,
        "answered_in_period": bool(reply and reply.status == "met"),
        "overdue": [d.rule_id for d in dls if d.overdue],
        "deadlines": [{**asdict(d), "due": d.due.isoformat(), "start": d.start.isoformat(),
                       "satisfied_on": d.satisfied_on.isoformat() if d.satisfied_on else None} for d in dls],
        "tlp": view["markings"]["tlp"],
    }


def _matches(s: dict, f: PenFilters) -> bool:
    company = (f.company or "").casefold()
    return ((not f.direction or s["direction"] == f.direction) and (not f.overdue or bool(s["overdue"]))
            and (not f.open_only or not s["closed"])
            and (not f.country or f.country.upper() in (s["exporting_country"], s["importing_country"]))
            and (not f.substance or _same_substance(f.substance, s["substance"]))
            and (not company or any(company in (s[k] or "").casefold() for k in ("exporter", "importer", "consignee"))))


def _same_substance(value: str, code: str) -> bool:
    status = control_status(value)
    return (status.code if status else value) == code


def list_notifications(node: Node, actor: Actor, filters: PenFilters | None = None,
                       today: dt.date | None = None) -> list[dict]:
    """Notifications the actor may read, oldest first, with the answers and deadlines both nodes compute."""
    f = filters or PenFilters()
    if f.direction not in (None, "sent", "received", "copy"):
        raise _invalid("direction", "sent, received or copy")
    if f.company and len(f.company) > 200:
        raise _invalid("company", "at most 200 characters")
    day = _today(today)
    try:
        views = [v for v in _views(node, actor, Filters(type="case", text=KIND))
                 if v.get("body", {}).get("kind") == KIND]
    except RecordInvalid as exc:
        if all(e.field == "text" for e in exc.errors):
            return []  # a role that reads no content (auditors) sees no notification's content
        raise
    notes = _answer_notes(node, actor) if views else []
    out = [_summary(node, v, notes, day) for v in views]
    return sorted((s for s in out if _matches(s, f)), key=lambda s: (s["sent"], s["id"]))


def get_notification(node: Node, actor: Actor, case_id: str, today: dt.date | None = None) -> dict:
    view = _notification(node, actor, case_id)
    return _summary(node, view, _answer_notes(node, actor), _today(today)) | {"case": view}


def alerts(node: Node, actor: Actor, today: dt.date | None = None) -> list[dict]:
    """Overdue steps of open notifications (computed each time, nothing stored)."""
    out = []
    for s in list_notifications(node, actor, PenFilters(open_only=False), today):
        for d in s["deadlines"]:
            if d["overdue"]:
                out.append({"notification": s["id"], "direction": s["direction"], "rule_id": d["rule_id"],
                            "due": d["due"], "substance": s["substance"], "exporter": s["exporter"],
                            "importer": s["importer"], "description": d["description"]})
    return sorted(out, key=lambda a: (a["due"], a["notification"]))


def watch(node: Node, actor: Actor, by: str = "company", today: dt.date | None = None) -> list[dict]:
    """Notifications grouped by company (exporter, importer, consignee), country or substance, with the
    share of those answered that drew an objection."""
    if by not in ("company", "country", "substance"):
        raise _invalid("by", "company, country or substance")
    groups: dict[str, dict] = {}
    for s in list_notifications(node, actor, None, today):
        keys = ({s["exporter"], s["importer"], s["consignee"]} - {None} if by == "company" else
                {s["exporting_country"], s["importing_country"]} if by == "country" else {s["substance"]})
        for key in keys:
            g = groups.setdefault(key, {"key": key, "notifications": 0, "answered": 0, "objections": 0,
                                        "stopped": 0})
            g["notifications"] += 1
            g["answered"] += s["decision"] in ("cleared", "objected")
            g["objections"] += s["decision"] == "objected"
            g["stopped"] += s["state"] in ("stopped", "suspended")
    for g in groups.values():
        g["objection_rate"] = round(g["objections"] / g["answered"], 3) if g["answered"] else None
    return sorted(groups.values(), key=lambda g: (-g["notifications"], g["key"]))


def figures(node: Node, actor: Actor, partner: str, start: dt.date, end: dt.date,
            today: dt.date | None = None) -> dict:
    """Scorecard figures with one partner for notifications sent in [start, end]: sent, received, answered
    within the reply period, objections, stopped or suspended (each way)."""
    if start > end:
        raise _invalid("start", "after end")
    out = {}
    for direction, other in (("sent", "importer_node"), ("received", "exporter_node")):
        rows = [s for s in list_notifications(node, actor, PenFilters(direction=direction), today)
                if s[other] == partner and start.isoformat() <= s["sent"] <= end.isoformat()]
        out[direction] = {"notifications": len(rows),
                          "answered_in_period": sum(s["answered_in_period"] for s in rows),
                          "objections": sum(s["decision"] == "objected" for s in rows),
                          "stopped": sum(s["state"] in ("stopped", "suspended") for s in rows),
                          "overdue": sum(bool(s["overdue"]) for s in rows)}
    return out
