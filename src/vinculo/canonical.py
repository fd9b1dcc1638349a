"""Canonical JSON (RFC 8785, JCS) for hashing and signing.

`rfc8785` is the reference implementation; it is correct but slow (~40 µs for a
seizure). JCS differs from `json.dumps(sort_keys=True, separators=(",", ":"),
ensure_ascii=False)` only in how numbers are written and in key order for
non-ASCII keys, so the fast path pre-converts the numbers whose Python and
ECMAScript spellings agree and falls back to `rfc8785` for anything else.
The prepared copy is written by orjson (sorted keys), which spells it exactly as
the `json` encoder would, about six times faster (a nesting orjson refuses goes
through `json`). Most documents need no conversion at all (`_plain`): they are
written by orjson as they are, without the copy; that check is done in C
(`vinculo._canonical`) when the package was built with a compiler. A property test
checks every path against the reference, and the C check against the Python one.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import orjson
import rfc8785

_dumps = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
).encode
_MAX_SAFE = 2**53
_SORTED = orjson.OPT_SORT_KEYS


class _NeedsReference(Exception):
    pass


def _plain(value: Any) -> bool:
    """True if `value` needs no preparing: only JSON types, ASCII keys, safe integers, and floats that
    `_prepare` would keep as they are. Checks without copying (strings are orjson's to refuse)."""
    t = type(value)
    if t is dict:
        for key, item in value.items():
            if type(key) is not str or not key.isascii():
                return False
            ti = type(item)
            if ti is str or item is None or ti is bool:
                continue
            if ti is int:
                if -_MAX_SAFE < item < _MAX_SAFE:
                    continue
                return False
            if not _plain(item):
                return False
        return True
    if t is list:
        for item in value:
            if not _plain(item):
                return False
        return True
    if t is str or value is None or t is bool:
        return True
    if t is int:
        return -_MAX_SAFE < value < _MAX_SAFE
    if t is float:
        return jcs_number(value) is value  # kept as it is (not turned into an int, not refused)
    return False


_plain_py = _plain
try:  # the same check in C (`src/vinculo/_canonical.c`), built when the package is installed
    from vinculo._canonical import plain as _plain  # noqa: F811
except ImportError:  # pragma: no cover - installed without a C compiler
    pass


def _prepare(value: Any) -> Any:
    """Copy `value` with JCS-safe numbers; raise _NeedsReference where only the reference will do."""
    t = type(value)
    if t is str:
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:  # lone surrogates: let the reference refuse them
                raise _NeedsReference from None
        return value
    if t is dict:
        out = {}
        for key, item in value.items():
            if type(key) is not str or not key.isascii():
                raise _NeedsReference
            ti = type(item)
            out[key] = item if (ti is str and item.isascii()) or item is None or ti is bool else _prepare(item)
        return out
    if t is list or t is tuple:
        return [_prepare(item) for item in value]
    if t is float:
        number = jcs_number(value)
        if number is None:
            raise _NeedsReference
        return number
    if t is int:
        if abs(value) >= _MAX_SAFE:
            raise _NeedsReference
        return value
    if value is None or t is bool:
        return value
    raise _NeedsReference  # subclasses and other types: the reference decides


def jcs_number(value: float) -> int | float | None:
    """`value` in a form whose Python JSON spelling is its RFC 8785 spelling, or None if there is none."""
    if value.is_integer():
        return int(value) if abs(value) < _MAX_SAFE else None
    if not (1e-6 <= abs(value) < 1e16) or "e" in repr(value):
        return None
    return value


def dumps_prepared(value: Any) -> str:
    """Encode a value whose numbers already passed `jcs_number` and whose keys are ASCII.

    For hot paths (bulk import) that build documents themselves; the result is RFC 8785 only
    under those conditions, which the import tests check against the reference.
    """
    return _encode(value).decode()


def _encode(prepared: Any) -> bytes:
    """orjson with sorted keys (the same bytes as `_dumps`, faster); `json` for nesting orjson refuses."""
    try:
        return orjson.dumps(prepared, option=_SORTED)
    except orjson.JSONEncodeError:
        return _dumps(prepared).encode("utf-8")


def canonical_json(value: Any) -> bytes:
    """Return the RFC 8785 canonical UTF-8 encoding of a JSON-compatible value."""
    if _plain(value):
        try:
            return orjson.dumps(value, option=_SORTED)
        except orjson.JSONEncodeError:  # lone surrogates, deep nesting: the slower paths decide
            pass
    try:
        prepared = _prepare(value)
    except _NeedsReference:
        return rfc8785.dumps(value)
    return _encode(prepared)


def content_hash(value: Any) -> str:
    """SHA-256 (hex) of the canonical JSON of `value`."""
    return hashlib.sha256(canonical_json(value)).hexdigest()
