"""Control status of substances as data: 1988 Convention tables, US lists, Mexico, INCB watch.

Read once from ``vocab/control.csv`` (see ``vocab/README.md``, section *control.csv*, for the sources and
for what was and was not verified). Every code must be a ``substances.csv`` code. Lookups take any value
:func:`vinculo.records.vocabulary.substance` resolves (code, name, alias, CAS number).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from vinculo.records import vocabulary
from vinculo.records.vocab_keys import VocabularyError, _read_rows

COLUMNS = ("code", "un1988_table", "un1988_added", "un1988_ref", "us_list", "us_ref", "mx_list", "mx_ref",
           "incb_watch", "verified")
VERIFIABLE = ("un1988", "us", "mx", "incb")


@dataclass(frozen=True, slots=True)
class ControlStatus:
    """Where one substance is controlled. Empty strings mean "not listed there" (or not known here)."""

    code: str
    un1988_table: str  # "I", "II" or ""
    un1988_added: int | None
    un1988_ref: str
    us_list: str  # "I", "II" or "" (21 CFR 1310.02)
    us_ref: str
    mx_list: str
    mx_ref: str
    watch: bool  # INCB limited international special surveillance list (not scheduled)
    verified: tuple[str, ...]

    @property
    def controlled(self) -> bool:
        """Scheduled internationally or by the US or Mexican lists."""
        return bool(self.un1988_table or self.us_list or self.mx_list)

    @property
    def label(self) -> str:
        """A short flag for lists: ``1988-I (2024) · US-I``, ``watch``."""
        parts = []
        if self.un1988_table:
            added = f" ({self.un1988_added})" if self.un1988_added else ""
            parts.append(f"1988-{self.un1988_table}{added}")
        if self.us_list:
            parts.append(f"US-{self.us_list}")
        if self.mx_list:
            parts.append(f"MX-{self.mx_list}")
        if self.watch:
            parts.append("watch")
        return " · ".join(parts)

    def as_dict(self) -> dict:
        return {"code": self.code, "controlled": self.controlled, "label": self.label,
                "un1988": {"table": self.un1988_table or None, "added": self.un1988_added,
                           "reference": self.un1988_ref or None},
                "us": {"list": self.us_list or None, "reference": self.us_ref or None},
                "mx": {"list": self.mx_list or None, "reference": self.mx_ref or None},
                "watch": self.watch, "verified": list(self.verified)}


@cache
def _table() -> dict[str, ControlStatus]:
    filename = "control.csv"
    out: dict[str, ControlStatus] = {}
    for line, row in _read_rows(filename, COLUMNS):
        where = f"{filename}:{line}"
        code = row["code"]
        entry = vocabulary.substance(code)
        if entry is None or entry.code != code or code in out:
            raise VocabularyError(f"{where}: {code!r} is not a substances.csv code, or is listed twice")
        for col, allowed in (("un1988_table", ("", "I", "II")), ("us_list", ("", "I", "II")),
                             ("mx_list", ("", "I", "II")), ("incb_watch", ("", "watch"))):
            if row[col] not in allowed:
                raise VocabularyError(f"{where}: {col} {row[col]!r} not one of {allowed}")
        added = row["un1988_added"]
        if added and not (added.isdigit() and 1988 <= int(added) <= 2100):
            raise VocabularyError(f"{where}: un1988_added {added!r} is not a year")
        if added and not row["un1988_table"]:
            raise VocabularyError(f"{where}: un1988_added without un1988_table")
        verified = tuple(v for v in row["verified"].split(";") if v)
        if any(v not in VERIFIABLE for v in verified):
            raise VocabularyError(f"{where}: verified {row['verified']!r}: use {';'.join(VERIFIABLE)}")
        out[code] = ControlStatus(code, row["un1988_table"], int(added) if added else None, row["un1988_ref"],
                                  row["us_list"], row["us_ref"], row["mx_list"], row["mx_ref"],
                                  row["incb_watch"] == "watch", verified)
    return out


def control_status(value: str | None) -> ControlStatus | None:
    """The control status of the substance ``value`` designates, ``None`` if it is listed nowhere."""
    entry = vocabulary.substance(value) if value else None
    return _table().get(entry.code) if entry else None


def statuses() -> tuple[ControlStatus, ...]:
    return tuple(_table().values())


def flag(record_type: str, body: dict | None) -> dict | None:
    """The control flag a shipment or seizure view carries (``None`` for other records, withheld
    substances and substances listed nowhere). Only the released view's own ``substance`` is read."""
    if record_type not in ("shipment", "seizure") or not body:
        return None
    status = control_status(body.get("substance"))
    if status is None:
        return None
    return {"controlled": status.controlled, "watch": status.watch, "label": status.label}
