"""Between the stored ``case`` body (JSON) and the pure :class:`CaseState` (pure functions)."""

from __future__ import annotations

from datetime import date
from typing import Any

from .kinds import CaseKind
from .model import Assurance, CaseEvent, CaseState, Transition

#: Body fields the pure model does not carry; they are kept as they are across transitions.
EXTRA_FIELDS = ("reference", "requesting_node", "requested_node", "subject_refs", "description",
                "precursor")


def _d(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def state_from_body(case_id: str, body: dict) -> CaseState:
    """The :class:`CaseState` held in a (validated) case body."""
    return CaseState(
        case_id=case_id,
        kind=CaseKind(body["kind"]),
        state=body["state"],
        requesting_state=body["requesting_country"],
        requested_state=body["requested_country"],
        opened_on=_d(body["date"]),
        treaty=body.get("treaty"),
        subject=body.get("subject") or "",
        nationality=tuple(body.get("nationality") or ()),
        charges=tuple(body.get("charges") or ()),
        red_notice=body.get("red_notice"),
        death_penalty_possible=bool(body.get("death_penalty_possible")),
        assurances=tuple(Assurance(a["kind"], _d(a["given_on"]), a["given_by"], a.get("text") or "")
                         for a in body.get("assurances") or ()),
        params=dict(body.get("params") or {}),
        extensions=dict(body.get("extensions") or {}),
        history=tuple(Transition(t.get("from_state"), t["to_state"], _d(t["at"]), t["reason"])
                      for t in body["history"]),
        events=tuple(CaseEvent(e["name"], _d(e["at"]), e.get("note") or "") for e in body.get("events") or ()),
    )


def body_from_state(case: CaseState, extra: dict | None = None) -> dict:
    """The case body for ``case``; ``extra`` carries the fields listed in :data:`EXTRA_FIELDS`."""
    body: dict[str, Any] = {
        "kind": case.kind.value,
        "treaty": case.treaty,
        "date": case.opened_on.isoformat(),
        "requesting_country": case.requesting_state,
        "requested_country": case.requested_state,
        "subject": case.subject or None,
        "charges": list(case.charges),
        "nationality": list(case.nationality),
        "death_penalty_possible": case.death_penalty_possible,
        "assurances": [{"kind": a.kind, "given_on": a.given_on.isoformat(), "given_by": a.given_by,
                        "text": a.text or None} for a in case.assurances],
        "red_notice": case.red_notice,
        "params": dict(case.params),
        "extensions": dict(case.extensions),
        "state": case.state,
        "history": [{"from_state": t.from_state, "to_state": t.to_state, "at": t.at.isoformat(),
                     "reason": t.reason} for t in case.history],
        "events": [{"name": e.name, "at": e.at.isoformat(), "note": e.note or None} for e in case.events],
    }
    for key in EXTRA_FIELDS:
        if extra and extra.get(key) not in (None, [], ""):
            body[key] = extra[key]
    return {k: v for k, v in body.items() if v is not None}
