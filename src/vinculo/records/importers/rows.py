"""What importers yield: one parsed row, valid or with its errors, named by file and row."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from vinculo.records.model import FieldError


@dataclass
class ParsedRow:
    row: int
    record_type: str
    key: str  # stable source key: the record id derives from it
    body: dict | None = None
    markings: dict | None = None
    errors: list[FieldError] = field(default_factory=list)
    raw: str = ""
    prepared: bool = False  # every number in body already canonical (see canonical.jcs_number)


@dataclass
class Unknowns:
    """Source names that did not map to a vocabulary: kept raw in the record and counted here."""

    counts: dict[str, Counter] = field(default_factory=dict)

    def add(self, what: str, value: str) -> None:
        self.counts.setdefault(what, Counter())[value] += 1

    def summary(self, top: int = 10) -> dict[str, dict[str, int]]:
        return {what: dict(c.most_common(top)) for what, c in sorted(self.counts.items())}

    def total(self) -> int:
        return sum(sum(c.values()) for c in self.counts.values())
