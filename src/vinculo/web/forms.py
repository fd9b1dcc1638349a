"""Record forms generated from the pydantic body models: which inputs to show, and form data -> body.

The models stay the only place that validates; this module only maps fields to inputs and back.
Fields the form cannot show (lists of nested objects, free-form dicts, import provenance) are kept as
they are when a record gets a new version.
"""

from __future__ import annotations

import datetime as dt
import enum
import types
import typing
from dataclasses import dataclass, field

from pydantic import BaseModel

from vinculo.records import fields as rf
from vinculo.records import vocabulary
from vinculo.records.model import FieldError
from vinculo.records.types import BODY_TYPES
from vinculo.sharing.markings import TLP, Handling, Reliability

SKIPPED = {"source", "category"}  # provenance of imports; derived from the substance
LIST_SEP = "\n"


@dataclass
class Input:
    name: str  # form field name, dotted for nested fields ("quantity.amount")
    widget: str  # text, textarea, date, number, select, checkbox, lines
    required: bool = False
    options: list[tuple[str, str]] = field(default_factory=list)  # (value, label)
    value: str = ""
    errors: list[str] = field(default_factory=list)
    option_kind: str | None = None  # options whose labels are translated (see labels.KINDS)
    datalist: str | None = None


def _unwrap(annotation: typing.Any) -> tuple[typing.Any, bool]:
    """(the type inside Optional[...], whether None is allowed)."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return (args[0] if len(args) == 1 else annotation), True
    return annotation, False


@typing.no_type_check
def _options(vocab: str) -> list[tuple[str, str]]:
    if vocab == "country":
        return [(c.alpha2, f"{c.name} ({c.alpha2})") for c in vocabulary.countries()]
    if vocab == "unit":
        return [(u.code, u.name) for u in vocabulary.units()]
    terms = {"transport": vocabulary.transport_modes, "location": vocabulary.location_types,
             "concealment": vocabulary.concealments}[vocab]()
    return [(t.code, t.name) for t in terms]


_VOCABS = {rf.CountryCode: "country", rf.TransportCode: "transport", rf.LocationTypeCode: "location",
           rf.ConcealmentCode: "concealment", rf.SubstanceCode: "substance"}


def _vocab(inner: typing.Any, metadata: list) -> str | None:
    """Which vocabulary checks this field: from its Annotated type, or (required fields, where pydantic
    moves the Annotated metadata onto the field) from the same validator in `metadata`."""
    if inner in _VOCABS:
        return _VOCABS[inner]
    for annotated, name in _VOCABS.items():
        if any(m in metadata for m in typing.get_args(annotated)[1:]):
            return name
    return None


def _input(name: str, annotation: typing.Any, required: bool, metadata: list) -> list[Input]:
    inner, _ = _unwrap(annotation)
    origin = typing.get_origin(inner)
    if origin is list:
        (item,) = typing.get_args(inner)
        if isinstance(item, type) and issubclass(item, BaseModel):
            return []
        return [Input(name, "lines", required)]
    vocab = _vocab(inner, metadata)
    if vocab == "substance":
        return [Input(name, "text", required, datalist="substances")]
    if vocab:
        return [Input(name, "select", required, _options(vocab))]
    if inner is rf.Quantity:
        return [Input(f"{name}.amount", "number", required), Input(f"{name}.unit", "select", required, _options("unit"))]
    if inner is rf.Coordinates:
        return [Input(f"{name}.lat", "number", required), Input(f"{name}.lon", "number", required)]
    if isinstance(inner, type) and issubclass(inner, BaseModel) or origin is dict or inner is dict:
        return []
    if origin is typing.Literal:
        return [Input(name, "select", required, [(str(v), str(v)) for v in typing.get_args(inner)])]
    if isinstance(inner, type) and issubclass(inner, enum.Enum):
        return [Input(name, "select", required, [(str(m.value), str(m.value)) for m in inner])]
    if inner is bool:
        return [Input(name, "checkbox", False)]
    base = typing.get_args(inner)[0] if typing.get_origin(inner) is typing.Annotated else inner
    if base is dt.date:
        return [Input(name, "date", required)]
    if base in (int, float):
        return [Input(name, "number", required)]
    long_text = any(getattr(m, "max_length", 0) and m.max_length > 2000 for m in metadata) or \
        (typing.get_origin(inner) is typing.Annotated and inner == rf.LongText)
    return [Input(name, "textarea" if long_text else "text", required)]


def body_inputs(record_type: str) -> list[Input]:
    model = BODY_TYPES[record_type]
    out: list[Input] = []
    for name, info in model.model_fields.items():
        if name not in SKIPPED:
            out.extend(_input(name, info.annotation, info.is_required(), list(info.metadata)))
    return out


def marking_inputs(partners: list[str]) -> list[Input]:
    return [
        Input("markings.tlp", "select", True, [(t.value, t.value) for t in TLP], option_kind="tlp"),
        Input("markings.handling", "select", True, [(h.value, h.value) for h in Handling], option_kind="handling"),
        Input("markings.handling_text", "textarea"),
        Input("markings.reliability", "select", True, [(r.value, r.value) for r in Reliability],
              option_kind="reliability"),
        Input("markings.accuracy", "select", True, [(str(i), str(i)) for i in range(1, 5)], option_kind="accuracy"),
        Input("markings.partners", "checkboxes", False, [(p, p) for p in partners]),
        Input("markings.onward", "checkbox"),
        Input("markings.excluded", "checkboxes", False, [(p, p) for p in partners]),
    ]


def _flat(value: typing.Any, prefix: str, out: dict[str, str]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flat(v, f"{prefix}.{k}" if prefix else k, out)
    elif isinstance(value, list):
        out[prefix] = LIST_SEP.join(str(v) for v in value if not isinstance(v, (dict, list)))
    elif isinstance(value, bool):
        out[prefix] = "on" if value else ""
    elif value is not None:
        out[prefix] = str(value)


def fill(inputs: list[Input], values: dict[str, str], errors: list[FieldError]) -> list[str]:
    """Put values and errors into the inputs; return the errors no input shows (shown above the form)."""
    names = {i.name for i in inputs}
    unplaced = []
    for e in errors:
        target = e.field if e.field in names else next(
            (n for n in names if e.field.startswith(n + ".") or n.startswith(e.field + ".")), None)
        if target is None:
            unplaced.append(str(e))
            continue
        for i in inputs:
            if i.name == target:
                i.errors.append(e.reason)
                break
    for i in inputs:
        i.value = values.get(i.name, "")
    return unplaced


def values_of(body: dict, markings: dict | None) -> dict[str, str]:
    out: dict[str, str] = {}
    _flat(body, "", out)
    if markings:
        _flat({"markings": markings}, "", out)
    return out


def _set(target: dict, dotted: str, value: typing.Any) -> None:
    parts = dotted.split(".")
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value


def parse(inputs: list[Input], form: typing.Mapping[str, typing.Any], getlist: typing.Callable[[str], list],
          keep: dict | None = None) -> dict:
    """Form data -> a dict for the model (blank inputs omitted); `keep`: body fields the form does not show."""
    out: dict = {}
    shown = {i.name.split(".")[0] for i in inputs}
    for k, v in (keep or {}).items():
        if k not in shown:
            out[k] = v
    for i in inputs:
        if i.widget == "checkboxes":
            chosen = [v for v in getlist(i.name) if isinstance(v, str) and v]
            if chosen:
                _set(out, i.name, chosen)
            continue
        raw = form.get(i.name)
        if i.widget == "checkbox":
            if raw:
                _set(out, i.name, True)
            continue
        if not isinstance(raw, str) or not raw.strip():
            continue
        if i.widget == "lines":
            _set(out, i.name, [line.strip() for line in raw.replace(",", LIST_SEP).split(LIST_SEP) if line.strip()]
                 if i.name in _CODE_LISTS else [line.strip() for line in raw.splitlines() if line.strip()])
        else:
            _set(out, i.name, raw.strip())
    return out


_CODE_LISTS = {"transit_countries", "nationality", "cas_numbers", "about_refs", "subject_refs"}


def split_markings(data: dict) -> tuple[dict, dict]:
    markings = data.pop("markings", {})
    return data, markings
