"""Vinculo's own record files: NDJSON (one {"type", "body", "markings", "key"?} per line) or CSV of
one type (`--type`), with dotted columns for nested fields (`quantity.amount`), `|` between list items
and `markings.*` columns."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from pathlib import Path

from vinculo.canonical import content_hash
from vinculo.records.importers.limits import ImportRejected, Limits
from vinculo.records.importers.rows import ParsedRow
from vinculo.records.importers.text import Lines, csv_rows, open_bytes
from vinculo.records.model import FieldError, RecordInvalid, validate_body, validate_markings
from vinculo.records.types import BODY_TYPES

LIST_SEP = "|"
RAW_KEPT = 10_000  # characters of a bad line kept for the reject file
# A JSON string, or what is left of the line after an unclosed quote: always matches where it starts, so
# the scan is linear whatever the line holds.
_STRINGS = re.compile(r'"(?:[^"\\]|\\[\s\S]?)*+(?:"|$)')
_NESTING = re.compile(r"[\[\]{}]")


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


def _bad(rownum: int, field: str, reason: str, raw: str) -> ParsedRow:
    return ParsedRow(rownum, "?", f"bad|{rownum}", errors=[FieldError(field, reason)], raw=raw[:RAW_KEPT])


def _too_deep(line: str, most: int) -> bool:
    """Whether objects and arrays nest more than `most` deep (looked at before parsing: no recursion)."""
    if line.count("[") + line.count("{") <= most:
        return False
    depth = 0
    for m in _NESTING.finditer(_STRINGS.sub('""', line)):
        depth += 1 if m.group() in "[{" else -1
        if depth > most:
            return True
    return False


def _loads(line: str, limits: Limits) -> object:
    def bounded_int(text: str) -> int:
        if len(text) > 20 or abs(value := int(text)) > limits.max_int:
            raise _BigInt(text)
        return value

    def finite(text: str) -> float:
        if not math.isfinite(value := float(text)):
            raise ValueError(f"number {_short(text)} is too large")
        return value

    def no_constant(name: str) -> None:
        raise json.JSONDecodeError(f"{name} is not JSON", line, line.find(name))

    return json.loads(line, parse_int=bounded_int, parse_float=finite, parse_constant=no_constant)


class _BigInt(ValueError):
    pass


def parse_ndjson(path: Path, limits: Limits | None = None) -> Iterator[ParsedRow]:
    """One ParsedRow a non-blank line; a line that nests too deep or holds an integer beyond
    `limits.max_int` is a row error, refused before it is parsed or as soon as the number is read."""
    limits = limits or Limits.from_env()
    with open_bytes(path, limits) as raw:
        lines = Lines(raw, str(path), limits)
        for line in lines:
            rownum = lines.number
            lines.row_bytes = 0
            if line.isspace():
                continue
            text = line.rstrip("\r\n")
            if "\\u0000" in line:
                yield _bad(rownum, "line", "holds a NUL character (\\u0000)", text)
                continue
            if _too_deep(line, limits.max_depth):
                yield _bad(rownum, "line", f"nested more than {limits.max_depth} deep "
                                           "(VINCULO_IMPORT_MAX_DEPTH)", text)
                continue
            try:
                obj = _loads(line, limits)
            except _BigInt as exc:
                yield _bad(rownum, "line", f"integer {_short(str(exc))} is beyond ±{limits.max_int} "
                                           "(VINCULO_IMPORT_MAX_INT)", text)
                continue
            except (json.JSONDecodeError, ValueError) as exc:
                yield _bad(rownum, "line", f"not JSON: {getattr(exc, 'msg', exc)}", text)
                continue
            if not isinstance(obj, dict):
                yield _bad(rownum, "line", "not a JSON object", text)
                continue
            rtype = obj.get("type")
            if not isinstance(rtype, str) or rtype not in BODY_TYPES:
                yield _bad(rownum, "type", f"unknown record type {_short(repr(rtype))}; one of "
                                           f"{', '.join(BODY_TYPES)}", text)
                continue
            extra = set(obj) - {"type", "body", "markings", "key"}
            body, markings = obj.get("body"), obj.get("markings")
            row = _validated(rownum, rtype, _key(rtype, obj.get("key"), body, markings), body, markings, text)
            if extra:
                row.errors.append(FieldError(_short(min(extra)), "unexpected field (use type, body, markings, key)"))
                row.body = None
            yield row


def _short(text: str, most: int = 60) -> str:
    return text if len(text) <= most else text[:most] + f"… ({len(text)} characters)"


def _list_fields(record_type: str) -> set[str]:
    model = BODY_TYPES[record_type]
    return {name for name, f in model.model_fields.items() if "list" in str(f.annotation).lower()}


def _set(target: dict, dotted: str, value: object) -> None:
    parts = dotted.split(".")
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value


def parse_csv(path: Path, record_type: str, limits: Limits | None = None) -> Iterator[ParsedRow]:
    if record_type not in BODY_TYPES:
        raise ValueError(f"--type {record_type!r}: one of {', '.join(BODY_TYPES)}")
    limits = limits or Limits.from_env()
    lists = _list_fields(record_type)
    with open_bytes(path, limits) as raw:
        rows = csv_rows(Lines(raw, str(path), limits))
        _, header = next(rows, (0, None))
        if not header:
            raise ImportRejected(str(path), None, "empty file")
        for rownum, cells in rows:
            if len(cells) > len(header):
                yield ParsedRow(rownum, record_type, f"bad|{rownum}", errors=[FieldError(
                    "row", f"has {len(cells)} fields, the header has {len(header)}")], raw=",".join(cells)[:RAW_KEPT])
                continue
            body: dict = {}
            markings: dict = {}
            key = None
            for column, value in zip(header, cells):
                value = value.strip()
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
                             markings or None, ",".join(cells))
