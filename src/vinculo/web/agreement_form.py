"""The agreement editor's form: form data <-> agreement terms (the Agreement model validates)."""

from __future__ import annotations

from collections.abc import Callable

from vinculo.records.model import FieldError
from vinculo.records.types import BODY_TYPES, RECORD_TYPES
from vinculo.sharing.agreements import TERMS
from vinculo.sharing.markings import TLP, Handling


def choices(partner: str, others: list[str]) -> dict:
    """What the editor offers: record types with their top-level fields, TLPs, handling codes, relays."""
    return {
        "types": RECORD_TYPES,
        "fields": {t: list(BODY_TYPES[t].model_fields) for t in RECORD_TYPES},
        "tlps": [t.value for t in TLP],
        "handlings": [h.value for h in Handling],
        "relays": [o for o in others if o != partner],
    }


def blank() -> dict:
    return {
        "record_types": [],
        "max_tlp": "green",
        "handling_required": [],
        "handling_refused": [],
        "withheld_fields": {},
        "purpose": "",
        "retention_days": 365,
        "onward_sharing": False,
        "relay_origins": [],
        "start": "",
        "end": "",
    }


def from_agreement(doc: dict | None) -> dict:
    """Form values from a stored agreement (its JSON form), sorted for display."""
    if not doc:
        return blank()
    out = {k: doc.get(k) for k in TERMS}
    for k in ("record_types", "handling_required", "handling_refused", "relay_origins"):
        out[k] = sorted(out[k] or [])
    out["withheld_fields"] = {t: sorted(f) for t, f in (doc.get("withheld_fields") or {}).items()}
    out["end"] = out["end"] or ""
    return out


def parse(getlist: Callable[[str], list], get: Callable[[str], object]) -> dict:
    """Agreement terms from a posted form (values are passed on as given; the model judges them)."""
    withheld = {t: [str(f) for f in getlist(f"withheld.{t}")] for t in RECORD_TYPES}
    retention = str(get("retention_days") or "").strip()
    terms: dict = {
        "record_types": [str(v) for v in getlist("record_types")],
        "max_tlp": str(get("max_tlp") or ""),
        "handling_required": [str(v) for v in getlist("handling_required")],
        "handling_refused": [str(v) for v in getlist("handling_refused")],
        "withheld_fields": {t: f for t, f in withheld.items() if f},
        "purpose": str(get("purpose") or "").strip(),
        "retention_days": int(retention) if retention.isdigit() else retention or 365,
        "onward_sharing": get("onward_sharing") is not None,
        "relay_origins": [str(v) for v in getlist("relay_origins")],
        "end": str(get("end") or "").strip() or None,
    }
    start = str(get("start") or "").strip()
    if start:
        terms["start"] = start
    return terms


def errors_by_term(errors: list[FieldError]) -> tuple[dict[str, list[str]], list[str]]:
    """Errors placed next to their term (by the first part of the field path), and the rest."""
    placed: dict[str, list[str]] = {}
    rest = []
    for e in errors:
        head = e.field.split(".")[0]
        if head in TERMS:
            placed.setdefault(head, []).append(f"{e.field}: {e.reason}" if "." in e.field else e.reason)
        else:
            rest.append(str(e))
    return placed, rest
