"""Pre-export notifications (PEN) of controlled chemicals: the case body part and the signed answers.

A notification is a ``case`` of kind ``pre_export_notification`` owned by the exporting state's node; its
``precursor`` part says what is shipped, by whom, to whom and how. The importing authority cannot change
that record: it answers with its own ``note`` records about the case (signed by its node like every
record), whose text starts with a tag, ``[PEN no-objection] ...``. :func:`with_answers` reads the notes of
the importing node (and, for ``information-provided``, of the exporting node) into the case's events, so
both nodes compute the same reply deadline from the same signed records. Pure: no I/O.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

from pydantic import Field, model_validator

from vinculo.records.fields import Body, Quantity, RecordRef, ShortText, SubstanceCode, TransportCode

from .convert import state_from_body
from .deadlines import deadlines
from .model import CaseEvent, CaseState
from .rules import RuleTable, load_table

TABLE_ID = "pen-generic"
DEFAULT_REPLY_DAYS = 15
MAX_REPLY_DAYS = 90

#: answer -> (note kind, case event, who may give it: "importer" or "exporter")
ANSWERS: dict[str, tuple[str, str, str]] = {
    "acknowledged": ("status", "acknowledged", "importer"),
    "no-objection": ("response", "cleared", "importer"),
    "legitimate-consignee": ("response", "cleared", "importer"),
    "objection": ("response", "objected", "importer"),
    "information-requested": ("documents-requested", "information_requested", "importer"),
    "information-provided": ("response", "information_provided", "exporter"),
}
OUTCOMES = ("shipped", "suspended", "stopped", "withdrawn", "delivered", "seized_on_arrival")
_TAG = re.compile(r"^\[PEN ([a-z-]{1,40})\]")


def _bounded_day(value: dt.date) -> dt.date:
    today = dt.datetime.now(dt.UTC).date()
    if not (today - dt.timedelta(days=3660) <= value <= today + dt.timedelta(days=730)):
        raise ValueError("a shipment date within ten years back and two years ahead")
    return value


class PreExport(Body):
    """What the exporting authority notifies: the shipment before it leaves."""

    shipment_ref: RecordRef | None = None
    substance: SubstanceCode
    quantity: Quantity | None = None
    exporter: ShortText
    exporter_address: ShortText | None = None
    exporter_phone: ShortText | None = None
    importer: ShortText
    importer_address: ShortText | None = None
    importer_phone: ShortText | None = None
    consignee: ShortText | None = None
    consignee_address: ShortText | None = None
    consignee_phone: ShortText | None = None
    route: list[ShortText] = Field(default_factory=list, max_length=50)
    transport: TransportCode | None = None
    ship_date: dt.date | None = None
    arrival_date: dt.date | None = None
    reply_days: int = Field(default=DEFAULT_REPLY_DAYS, ge=1, le=MAX_REPLY_DAYS)
    purpose: ShortText | None = None

    @model_validator(mode="after")
    def _check(self) -> PreExport:
        for name in ("ship_date", "arrival_date"):
            value = getattr(self, name)
            if value is not None:
                try:
                    _bounded_day(value)
                except ValueError as exc:
                    raise ValueError(f"{name}: {exc}") from None
        if self.ship_date and self.arrival_date and self.arrival_date < self.ship_date:
            raise ValueError("arrival_date: before ship_date")
        return self


def answer_text(answer: str, text: str) -> str:
    if answer not in ANSWERS:
        raise ValueError(f"answer: one of {', '.join(ANSWERS)}")
    return f"[PEN {answer}] {text.strip()}".strip()


def parse_answer(note_body: dict) -> str | None:
    """The answer a note's text carries, if its kind matches that answer's note kind."""
    match = _TAG.match(str(note_body.get("text") or ""))
    if not match or match.group(1) not in ANSWERS:
        return None
    return match.group(1) if ANSWERS[match.group(1)][0] == note_body.get("kind") else None


def answers_of(case_id: str, case_body: dict, notes: list[dict]) -> list[tuple[str, dt.date, str]]:
    """``(answer, date, note id)`` of the notes about the case that count: each from the node its
    answer belongs to (the importing node, or the exporting node for ``information-provided``)."""
    nodes = {"importer": case_body.get("requested_node"), "exporter": case_body.get("requesting_node")}
    out = []
    for note in notes:
        body = note.get("body") or {}
        answer = parse_answer(body)
        if answer is None or case_id not in body.get("about_refs", ()):
            continue
        who = nodes[ANSWERS[answer][2]]
        if who and note.get("origin") == who:
            out.append((str(note["created"]), answer, dt.date.fromisoformat(note["created"][:10]), note["id"]))
    return [(a, day, nid) for _, a, day, nid in sorted(out)]  # in the order they were written


def with_answers(state: CaseState, answers: list[tuple[str, dt.date, str]]) -> CaseState:
    """``state`` with the answers as dated events (answers dated before the opening are ignored)."""
    events = [CaseEvent(ANSWERS[a][1], max(day, state.opened_on), note) for a, day, note in answers]
    return replace(state, events=(*state.events, *events))


def decision(answers: list[tuple[str, dt.date, str]]) -> str | None:
    """The importing authority's last word: ``cleared``, ``objected``, ``information_requested``,
    ``acknowledged`` or ``None``."""
    events = [ANSWERS[a][1] for a, _, _ in answers]
    for wanted in (("cleared", "objected"), ("information_requested",), ("acknowledged",)):
        found = [e for e in events if e in wanted]
        if found:
            return found[-1]  # a clearance or objection is the answer, whatever came after it
    return None


def table() -> RuleTable:
    return load_table(TABLE_ID)


def scorecard_figures(cases: list[dict], answers: list[dict], sent_from: dt.date, sent_to: dt.date,
                      today: dt.date) -> dict:
    """Scorecard figures for the notification ``cases`` (released views) sent in [sent_from, sent_to], with
    ``answers`` the released note views: how many, answered (cleared or objected) within the reply period,
    objections, stopped or suspended, overdue as of ``today``."""
    out = {"notifications": 0, "answered_in_period": 0, "objections": 0, "stopped": 0, "overdue": 0}
    for c in cases:
        body = c.get("body") or {}
        sent = body.get("date", "")
        if body.get("kind") != "pre_export_notification" or not sent_from.isoformat() <= sent <= sent_to.isoformat():
            continue
        answers_here = answers_of(c["id"], body, answers)
        state = with_answers(state_from_body(c["id"], body), answers_here)
        reply = {d.rule_id: d for d in deadlines(state, today, table=table())}.get("PEN-REPLY")
        out["notifications"] += 1
        out["answered_in_period"] += bool(reply and reply.status == "met")
        out["objections"] += decision(answers_here) == "objected"
        out["stopped"] += any(t.to_state in ("stopped", "suspended") for t in state.history)
        out["overdue"] += bool(reply and reply.overdue)
    return out
