"""The selector value type shared by every normaliser."""

from __future__ import annotations

from dataclasses import dataclass

MAX_RAW = 512
"""Longest raw value any normaliser looks at; longer input is refused, not truncated."""


@dataclass(frozen=True, slots=True)
class Selector:
    """A canonical, exactly comparable key derived from one raw value of a record.

    ``kind`` names the key family (one PSI run per kind); ``value`` is the canonical text.
    An invalid selector (``valid=False``) carries a ``reason`` and must never be matched:
    its ``value`` is only a cleaned, shortened echo of the input for display.
    """

    kind: str
    value: str
    valid: bool = True
    reason: str | None = None


def ok(kind: str, value: str) -> Selector:
    """A valid selector."""
    return Selector(kind, value, True, None)


def invalid(kind: str, raw: object, reason: str) -> Selector:
    """An invalid selector echoing at most 64 printable characters of the raw value."""
    text = raw if isinstance(raw, str) else repr(raw)
    echo = "".join(ch for ch in text[:64] if ch.isprintable())
    return Selector(kind, echo, False, reason)


def too_long(kind: str, raw: str, limit: int = MAX_RAW) -> Selector | None:
    """An invalid selector when ``raw`` is longer than ``limit`` characters, else None."""
    if len(raw) > limit:
        return invalid(kind, raw, f"longer than {limit} characters")
    return None
