"""Vinculo's own record files: NDJSON (one {"type", "body", "markings", "key"?} per line) or CSV of
one type (`--type`), with dotted columns for nested fields (`quantity.amount`), `|` between list items
and `markings.*` columns."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

from vinculo.canonical import content_hash
from vinculo.records.importers.rows import ParsedRow
from vinculo.records.model import FieldError, RecordInvalid, validate_body, validate_markings
from vinculo.records.types import BODY_TYPES

LIST_SEP = "|"


def _key(record_type: str, given: object, body: object, markings: object) -> str:
    if isinstance(given, str) and given.strip():
        return f"records|{record_type}|{given.strip()}"
    return f"records|{record_type}|{content_hash({'body': body, 'markings': markings})}"


def _validated(rownum: int, record_type: str, key: str, body: object, markings: object, raw: str) -> ParsedRow:
    errors: list[FieldError] = []
    clean = marks = None
    try:
        clean = validate_body(record_type, body)
    except RecordInvalid as exc:
        errors.extend(exc.errors)
    try:
        marks = validate_markings(markings).to_json()
    except RecordInvalid as exc:
        errors.extend(exc.errors)
    return ParsedRow(rownum, record_type, key, None if errors else clean, marks, errors, raw)


def parse_ndjson(path: Path) -> Iterator[ParsedRow]:
    with open(path, encoding="utf-8-sig") as fh:
        for rownum, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield ParsedRow(rownum, "?", f"bad|{rownum}", errors=[FieldError("line", f"not JSON: {exc.msg}")],
                                raw=line.rstrip("\n"))
                continue
            if not isinstance(obj, dict):
                yield ParsedRow(rownum, "?", f"bad|{rownum}", errors=[FieldError("line", "not a JSON object")],
                                raw=line.rstrip("\n"))
                continue
            rtype = obj.get("type")
            if rtype not in BODY_TYPES:
                yield ParsedRow(rownum, "?", f"bad|{rownum}", errors=[FieldError(
                    "type", f"unknown record type {rtype!r}; one of {', '.join(BODY_TYPES)}")], raw=line.rstrip("\n"))
                continue
            extra = set(obj) - {"type", "body", "markings", "key"}
            body, markings = obj.get("body"), obj.get("markings")
            row = _validated(rownum, rtype, _key(rtype, obj.get("key"), body, markings), body, markings,
                             line.rstrip("\n"))
            if extra:
                row.errors.append(FieldError(sorted(extra)[0], "unexpected field (use type, body, markings, key)"))
                row.body = None
            yield row


def _list_fields(record_type: str) -> set[str]:
    model = BODY_TYPES[record_type]
    return {name for name, f in model.model_fields.items() if "list" in str(f.annotation).lower()}


def _set(target: dict, dotted: str, value: object) -> None:
    parts = dotted.split(".")
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value


def parse_csv(path: Path, record_type: str) -> Iterator[ParsedRow]:
    if record_type not in BODY_TYPES:
        raise ValueError(f"--type {record_type!r}: one of {', '.join(BODY_TYPES)}")
    lists = _list_fields(record_type)
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames:
            raise ValueError(f"{path}: empty file")
        for rownum, row in enumerate(reader, start=2):
            if None in row:
                yield ParsedRow(rownum, record_type, f"bad|{rownum}",
                                errors=[FieldError("row", "more fields than the header")])
                continue
            body: dict = {}
            markings: dict = {}
            key = None
            for column, value in row.items():
                value = (value or "").strip()
                if not value:
                    continue
                if column == "key":
                    key = value
                elif column.startswith("markings."):
                    name = column.removeprefix("markings.")
                    markings[name] = value.split(LIST_SEP) if name == "partners" else value
                elif column in lists:
                    body[column] = [v.strip() for v in value.split(LIST_SEP) if v.strip()]
                else:
                    _set(body, column, value)
            yield _validated(rownum, record_type, _key(record_type, key, body, markings), body,
                             markings or None, ",".join(row.get(c) or "" for c in reader.fieldnames))
