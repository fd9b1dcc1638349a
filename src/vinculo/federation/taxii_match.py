"""TAXII 2.1 filtering parameters (match[type], match[id], match[version], match[spec_version]) and a page.

Each parameter is a comma-separated list; an object matches a parameter if it matches any value, and
the filter if it matches every parameter given. This server serves one version of each object, the one
released to the partner now, so `first`, `last` and `all` all name it; a timestamp names it if it is its
version (`modified`, or `created` for objects that are not versioned). Every object is STIX 2.1.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from vinculo.federation.stix_defs import version_of
from vinculo.records.model import parse_ts

SPEC_VERSION = "2.1"
MAX_VALUES = 1000  # values of one match[...] parameter: an IN list per value, and no client needs more
_KEYWORDS = frozenset(("first", "last", "all"))


class BadFilter(ValueError):
    def __init__(self, name: str, why: str):
        super().__init__(f"{name}: {why}")
        self.name = name


def _values(raw: str | None, name: str) -> list[str] | None:
    if raw is None:
        return None
    values = [v.strip() for v in raw.split(",") if v.strip()]
    if len(values) > MAX_VALUES:
        raise BadFilter(name, f"at most {MAX_VALUES} comma-separated values")
    return values or None


def _versions(values: list[str] | None) -> frozenset[dt.datetime] | None:
    if values is None or _KEYWORDS & set(values):
        return None  # first, last and all: the one version this server serves
    out = set()
    for v in values:
        try:
            out.add(parse_ts(v))
        except ValueError:
            raise BadFilter("match[version]", f"{v[:40]!r} is not first, last, all or an RFC 3339 timestamp") from None
    return frozenset(out)


@dataclass(frozen=True)
class Match:
    types: tuple[str, ...] | None = None
    ids: tuple[str, ...] | None = None
    versions: frozenset[dt.datetime] | None = None
    spec_version_ok: bool = True

    @classmethod
    def parse(cls, match_type: str | None, match_id: str | None, match_version: str | None,
              match_spec_version: str | None) -> Match:
        types, ids = _values(match_type, "match[type]"), _values(match_id, "match[id]")
        spec = _values(match_spec_version, "match[spec_version]")
        return cls(tuple(types) if types is not None else None, tuple(ids) if ids is not None else None,
                   _versions(_values(match_version, "match[version]")), spec is None or SPEC_VERSION in spec)

    def only(self, oid: str) -> Match:
        """This filter, narrowed to the object `oid` (Get Object, Get Object Versions)."""
        return replace(self, ids=(oid,) if self.ids is None or oid in self.ids else ())

    def keeps(self, obj: dict) -> bool:
        """Whether a STIX object (a definition) matches."""
        return ((self.types is None or obj["type"] in self.types) and (self.ids is None or obj["id"] in self.ids)
                and (self.versions is None or parse_ts(version_of(obj)) in self.versions) and self.spec_version_ok)


@dataclass
class Page:
    entries: list[tuple[str, dict]]  # (date_added, object or manifest entry), in date_added order
    more: bool
    next: str | None
    cursor: str | None = None  # the feed position after this page, even the last (X-Vinculo-Next)
