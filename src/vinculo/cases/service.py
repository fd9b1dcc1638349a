"""Case use cases: open, advance, record events and assurances, answer, list, deadlines and alerts.

A case is a ``case`` record: it gets the envelope, versions, markings, audit and ``release()`` like every
record, and each transition is a new version (through ``vinculo.records.service``). The other state answers
with its own ``note`` records (kind ``response``, ``status`` or ``documents-requested``) that reference the
case id, so each side's statements stay its own records. Deadlines and alerts are computed, never stored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from vinculo.accounts.model import Actor
from vinculo.cases.convert import EXTRA_FIELDS, body_from_state, state_from_body
from vinculo.cases.deadlines import deadlines
from vinculo.cases.kinds import CaseKind
from vinculo.cases.machine import add_assurance, advance, allowed_next, grant_extension, record_event
from vinculo.cases.model import Assurance, CaseState
from vinculo.cases.model import open_case as new_case
from vinculo.node.context import Node
from vinculo.records import service as records
from vinculo.records.model import FieldError, Record, RecordInvalid
from vinculo.records.repository import Filters

ANSWER_KINDS = ("response", "status", "documents-requested")


@dataclass(frozen=True)
class CaseFilters:
    """``overdue``: only cases with an overdue deadline; ``stage``: current state; ``partner``: the other
    node; ``country``: either state; ``kind``; ``open_only``: hide closed cases."""

    overdue: bool = False
    stage: str | None = None
    partner: str | None = None
    country: str | None = None
    kind: str | None = None
    open_only: bool = False


def _today(today: dt.date | None) -> dt.date:
    return today or dt.datetime.now(dt.UTC).date()


def _date(value: dt.date | str, field: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise RecordInvalid([FieldError(field, f"not a date (YYYY-MM-DD): {value!r}")]) from None


def _extra(body: dict) -> dict:
    return {k: body[k] for k in EXTRA_FIELDS if k in body}


def open_case(node: Node, actor: Actor, data: dict, markings: dict | None = None) -> Record:
    """Open a case from ``data`` (kind, date, requesting_country, requested_country and optional body
    fields; ``reason`` for the opening entry). The node that matches a country is filled in as its node."""
    data = dict(data)
    missing = [f for f in ("kind", "date", "requesting_country", "requested_country") if not data.get(f)]
    if missing:
        raise RecordInvalid([FieldError(f, "required") for f in missing])
    try:
        kind = CaseKind(data.pop("kind"))
    except ValueError:
        raise RecordInvalid([FieldError("kind", f"one of {', '.join(k.value for k in CaseKind)}")]) from None
    opened = _date(data.pop("date"), "date")
    reason = str(data.pop("reason", "") or "opened")
    countries = {k: str(data.pop(k)).upper() for k in ("requesting_country", "requested_country")}
    if node.country == countries["requesting_country"]:
        data.setdefault("requesting_node", node.id)
    elif node.country == countries["requested_country"]:
        data.setdefault("requested_node", node.id)
    extra = {k: data.pop(k) for k in EXTRA_FIELDS if k in data}
    pure = {k: tuple(data.pop(k)) if k in ("nationality", "charges") else data.pop(k)
            for k in ("treaty", "subject", "nationality", "charges", "red_notice", "death_penalty_possible",
                      "params") if k in data}
    if data:
        raise RecordInvalid([FieldError(k, "unknown case field") for k in sorted(data)])
    try:
        state = new_case("new", kind, opened_on=opened, reason=reason, requesting_state=countries[
            "requesting_country"], requested_state=countries["requested_country"], **pure)
    except (TypeError, ValueError) as exc:
        raise RecordInvalid([FieldError("body", str(exc))]) from None
    return records.create_record(node, actor, "case", body_from_state(state, extra), markings)


def _read(node: Node, actor: Actor, case_id: str) -> tuple[Record, dict]:
    """The stored case and the view `release()` gives the actor (only its content reaches the actor)."""
    record, decision = records.get_record(node, actor, case_id)
    if record.type != "case":
        raise RecordInvalid([FieldError("id", f"{case_id} is a {record.type} record, not a case")])
    if not decision.view or not decision.view.get("body"):
        raise records.Forbidden(f"you may not read the content of {case_id}", decision.reasons)
    return record, decision.view


def _load(node: Node, actor: Actor, case_id: str) -> tuple[Record, CaseState]:
    """For a change: the stored case (a new version keeps its fields) and its state."""
    record, _ = _read(node, actor, case_id)
    return record, state_from_body(record.id, record.body)


def _save(node: Node, actor: Actor, record: Record, state: CaseState) -> Record:
    return records.update_record(node, actor, record.id, body_from_state(state, _extra(record.body)),
                                 expected_version=record.version)


def advance_case(node: Node, actor: Actor, case_id: str, to: str, at: dt.date | str, reason: str) -> Record:
    """Move the case to ``to`` on ``at`` for ``reason`` (a new version). Raises ``InvalidTransition``
    naming the allowed next steps when the machine or a treaty guard refuses it."""
    if not reason or not reason.strip():
        raise RecordInvalid([FieldError("reason", "say why the case moves")])
    record, state = _load(node, actor, case_id)
    return _save(node, actor, record, advance(state, to, _date(at, "at"), reason))


def record_case_event(node: Node, actor: Actor, case_id: str, name: str, at: dt.date | str,
                      note: str = "") -> Record:
    """Record a dated fact without a change of state (e.g. ``objections_filed``)."""
    record, state = _load(node, actor, case_id)
    return _save(node, actor, record, record_event(state, name, _date(at, "at"), note))


def add_case_assurance(node: Node, actor: Actor, case_id: str, kind: str, given_on: dt.date | str,
                       given_by: str, text: str = "") -> Record:
    record, state = _load(node, actor, case_id)
    return _save(node, actor, record, add_assurance(state, Assurance(kind, _date(given_on, "given_on"),
                                                                     given_by, text)))


def extend_case_deadline(node: Node, actor: Actor, case_id: str, rule_id: str, days: int) -> Record:
    record, state = _load(node, actor, case_id)
    return _save(node, actor, record, grant_extension(state, rule_id, days))


def answer_case(node: Node, actor: Actor, case_id: str, text: str, kind: str = "response",
                markings: dict | None = None) -> Record:
    """This node's answer about a case (its own ``note`` record referencing the case)."""
    if kind not in ANSWER_KINDS:
        raise RecordInvalid([FieldError("kind", f"one of {', '.join(ANSWER_KINDS)}")])
    _load(node, actor, case_id)
    return records.create_record(node, actor, "note", {"kind": kind, "about_refs": [case_id], "text": text},
                                 markings)


def _all_views(node: Node, actor: Actor, filters: Filters) -> list[dict]:
    views: list[dict] = []
    cursor = None
    while True:
        page = records.list_records(node, actor, filters, cursor, records.MAX_PAGE)
        views.extend(page.items)
        if page.next_cursor is None:
            return views
        cursor = page.next_cursor


def deadline_dicts(state: CaseState, today: dt.date) -> list[dict]:
    return [{**asdict(d), "due": d.due.isoformat(), "start": d.start.isoformat(),
             "satisfied_on": d.satisfied_on.isoformat() if d.satisfied_on else None} for d in
            deadlines(state, today)]


def summary(view: dict, today: dt.date, local_node: str | None = None) -> dict:
    """What a list shows for one case view: stage, age, overdue rules, next due date, next steps."""
    body = view["body"]
    state = state_from_body(view["id"], body)
    dls = deadlines(state, today)
    pending = [d for d in dls if d.status == "pending"]
    end = state.last_change if state.is_closed else today
    nodes = {body.get("requesting_node"), body.get("requested_node")} - {None, local_node}
    return {
        "id": view["id"], "version": view["version"], "origin": view["origin"],
        "reference": body.get("reference"), "kind": state.kind.value, "state": state.state,
        "requesting_country": state.requesting_state, "requested_country": state.requested_state,
        "requesting_node": body.get("requesting_node"), "requested_node": body.get("requested_node"),
        "partner": min(nodes) if nodes else None, "subject": state.subject or None,
        "opened": state.opened_on.isoformat(), "last_change": state.last_change.isoformat(),
        "age_days": (end - state.opened_on).days, "closed": state.is_closed,
        "overdue": [d.rule_id for d in dls if d.overdue],
        "next_due": ({"rule_id": pending[0].rule_id, "due": pending[0].due.isoformat()} if pending else None),
        "allowed_next": allowed_next(state.kind, state.state),
        "tlp": view["markings"]["tlp"],
    }


def _matches(s: dict, f: CaseFilters) -> bool:
    return ((not f.overdue or bool(s["overdue"])) and (not f.stage or s["state"] == f.stage)
            and (not f.kind or s["kind"] == f.kind) and (not f.open_only or not s["closed"])
            and (not f.partner or f.partner in (s["requesting_node"], s["requested_node"]))
            and (not f.country or f.country.upper() in (s["requesting_country"], s["requested_country"])))


def list_cases(node: Node, actor: Actor, filters: CaseFilters | None = None,
               today: dt.date | None = None) -> list[dict]:
    """Summaries of the cases the actor may read, oldest first, filtered (every listing is audited)."""
    f = filters or CaseFilters()
    if f.kind:
        try:
            CaseKind(f.kind)
        except ValueError:
            raise RecordInvalid([FieldError("kind", f"one of {', '.join(k.value for k in CaseKind)}")]) from None
    day = _today(today)
    out = [summary(v, day, node.id) for v in _all_views(node, actor, Filters(type="case")) if v.get("body")]
    return sorted((s for s in out if _matches(s, f)), key=lambda s: (s["opened"], s["id"]))


def get_case(node: Node, actor: Actor, case_id: str, today: dt.date | None = None) -> dict:
    """One case: its view, summary, deadlines and the answers (notes) about it the actor may read."""
    _, view = _read(node, actor, case_id)
    state = state_from_body(view["id"], view["body"])
    day = _today(today)
    answers = [n for n in _all_views(node, actor, Filters(type="note", text=case_id))
               if case_id in n.get("body", {}).get("about_refs", ())]
    return {"case": view, "summary": summary(view, day, node.id), "deadlines": deadline_dicts(state, day),
            "answers": sorted(answers, key=lambda n: n["created"])}


def case_deadlines(node: Node, actor: Actor, case_id: str, today: dt.date | None = None) -> list[dict]:
    _, view = _read(node, actor, case_id)
    return deadline_dicts(state_from_body(view["id"], view["body"]), _today(today))


def case_alerts(node: Node, actor: Actor, today: dt.date | None = None, within_days: int = 0,
                partner: str | None = None) -> list[dict]:
    """Overdue steps (and, with ``within_days``, steps due that soon) of the open cases the actor may read.

    Computed from the cases' histories and the rule tables each time: nothing is stored.
    """
    day = _today(today)
    alerts: list[dict] = []
    for view in _all_views(node, actor, Filters(type="case")):
        body = view.get("body")
        if not body:
            continue
        s = summary(view, day, node.id)
        if s["closed"] or (partner and partner not in (s["requesting_node"], s["requested_node"])):
            continue
        for d in deadlines(state_from_body(view["id"], body), day):
            soon = d.status == "pending" and (d.due - day).days <= within_days
            if d.overdue or (within_days and soon):
                alerts.append({"case": view["id"], "reference": s["reference"], "kind": s["kind"],
                               "state": s["state"], "partner": s["partner"], "rule_id": d.rule_id,
                               "level": "overdue" if d.overdue else "due-soon", "due": d.due.isoformat(),
                               "days": (day - d.due).days, "description": d.description,
                               "reference_text": d.reference})
    return sorted(alerts, key=lambda a: (a["level"] != "overdue", a["due"], a["case"]))
