"""Incidents (as INCB's PICS carries them): a stopped, suspended, diverted or suspicious shipment, or a
seizure, of a controlled or watched chemical, reported to partners and the hub in one step.

An incident is a ``note`` about the record, its text ``[PICS incident] {json}`` then free text, so it
travels like any record: to every partner whose agreement covers notes at its markings, and only with the
record it names (the release preview returned with it says who will receive both, and why).
"""

from __future__ import annotations

import json

from vinculo.accounts.model import Actor
from vinculo.node.context import Node
from vinculo.records import service as records
from vinculo.records.control import control_status
from vinculo.records.model import FieldError, RecordInvalid
from vinculo.records.repository import Filters

TAG = "[PICS incident] "
FIELDS = ("substance", "quantity", "modus_operandi", "companies", "route", "concealment", "country", "date",
          "status")
MAX_FIELD = 500
MAX_LIST = 50
_REPORTABLE = {"shipment": ("stopped", "suspicious", "diverted", "seized"), "seizure": None}


def _clip(value: object) -> object:
    if isinstance(value, str):
        return value[:MAX_FIELD]
    if isinstance(value, list):
        return [str(v)[:MAX_FIELD] for v in value[:MAX_LIST]]
    if isinstance(value, dict):  # a quantity
        return {str(k)[:40]: v for k, v in list(value.items())[:6] if isinstance(v, (int, float, str))}
    return None


def incident_fields(record_type: str, body: dict, extra: dict) -> dict:
    """The PICS fields from the record's (released) body, completed by what the officer adds."""
    companies = [body[k] for k in ("exporter", "importer", "consignee") if body.get(k)]
    route = list(body.get("route") or []) or [c for c in (body.get("departure_country"),
                                                          *(body.get("transit_countries") or ()),
                                                          body.get("destination_country")) if c]
    out = {"substance": body.get("substance") or body.get("substance_raw"), "quantity": body.get("quantity"),
           "companies": companies, "route": route, "concealment": body.get("concealment"),
           "country": body.get("country") or body.get("exporter_country"), "date": body.get("date"),
           "status": body.get("status") or ("seized" if record_type == "seizure" else None)}
    for key, value in extra.items():
        if key not in FIELDS:
            raise RecordInvalid([FieldError(key, f"not a PICS field; one of {', '.join(FIELDS)}")])
        if isinstance(value, list) and len(value) > MAX_LIST or isinstance(value, str) and len(value) > MAX_FIELD:
            raise RecordInvalid([FieldError(key, f"at most {MAX_LIST} items of {MAX_FIELD} characters")])
        out[key] = value
    return {k: _clip(v) for k, v in out.items() if v not in (None, [], "")}


def report_incident(node: Node, actor: Actor, record_id: str, extra: dict | None = None, text: str = "",
                    markings: dict | None = None) -> dict:
    """Report the record as an incident: one note, and who will receive it and its record."""
    record, decision = records.get_record(node, actor, record_id)
    body = (decision.view or {}).get("body")
    if not body:
        raise records.Forbidden(f"you may not read the content of {record_id}", decision.reasons)
    if record.type not in _REPORTABLE:
        raise RecordInvalid([FieldError("id", f"{record_id}: only shipments and seizures are incidents")])
    allowed = _REPORTABLE[record.type]
    if allowed and body.get("status") not in allowed:
        raise RecordInvalid([FieldError("status", f"a shipment incident is {', '.join(allowed)}; "
                                                  f"this one is {body.get('status')}")])
    if control_status(body.get("substance")) is None:
        raise RecordInvalid([FieldError("substance", "not a controlled or watched chemical")])
    if len(text) > 10_000:
        raise RecordInvalid([FieldError("text", "at most 10,000 characters")])
    fields = incident_fields(record.type, body, dict(extra or {}))
    note = records.create_record(node, actor, "note", {
        "kind": "note", "about_refs": [record_id],
        "text": (TAG + json.dumps(fields, ensure_ascii=False, sort_keys=True) + "\n" + text).strip()}, markings)
    preview = records.release_preview(node, actor, note)
    about = records.release_preview(node, actor, record)
    sent = {p["partner"] for p in about["partners"] if p["allowed"]}
    return {"incident": note.id, "record": record_id, "fields": fields,
            "partners": [{"partner": p["partner"], "receives": p["allowed"] and (p["partner"] in sent or p["partner"] == record.origin),
                          "reasons": p["reasons"]} for p in preview["partners"]]}


def parse(note_body: dict) -> dict | None:
    """The PICS fields of an incident note (bounded, known keys only), ``None`` for any other note."""
    text = str(note_body.get("text") or "")
    if not text.startswith(TAG):
        return None
    first = text.split("\n", 1)[0][len(TAG):]
    if len(first) > 50_000:
        return None
    try:
        data = json.loads(first)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    return {k: _clip(v) for k, v in data.items() if k in FIELDS}


def list_incidents(node: Node, actor: Actor, limit: int = 500) -> list[dict]:
    """Incidents this actor may read (ours and partners'), newest first."""
    try:
        page = records.list_records(node, actor, Filters(type="note", text=TAG.strip()), None,
                                    min(limit, records.MAX_PAGE))
    except RecordInvalid as exc:
        if all(e.field == "text" for e in exc.errors):
            return []  # a role that reads no content (auditors) sees no incident
        raise
    out = []
    for n in page.items:
        fields = parse(n.get("body") or {})
        if fields is not None:
            out.append({"id": n["id"], "origin": n["origin"], "created": n["created"],
                        "about": n["body"].get("about_refs", []), "fields": fields})
    return sorted(out, key=lambda i: i["created"], reverse=True)
