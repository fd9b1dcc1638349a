"""Deadline rule tables shipped as JSON data in ``treaties/``.

A table holds the rules of one treaty (``us-mx-1978``) or a generic default
(``mla-generic``, ``info-generic``, ``generic``). Each rule says: starting
when (``from``: ``state:X``, ``event:X`` or ``rule:ID``, first match of a
list), how long (``days`` or a case ``params`` key, counted as calendar days,
business days or calendar months), what must happen by then (``until``), and
the legal reference. ``guards`` block transitions unless a condition holds.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from .dates import COUNTS, Count, HolidayCalendar
from .kinds import CaseKind, machine_for
from .model import CaseState

RuleType = Literal["deadline", "window"]

#: Table used when a case names no treaty.
DEFAULT_TABLES: dict[CaseKind, str] = {
    CaseKind.MLA_REQUEST: "mla-generic",
    CaseKind.INFORMATION_REQUEST: "info-generic",
    CaseKind.DEPORTATION: "generic",
    CaseKind.EXTRA_TREATY_TRANSFER: "generic",
    CaseKind.JOINT_OPERATION: "generic",
}

_TABLE_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_REF = re.compile(r"^(state|event|rule):([A-Za-z0-9_.-]+)$")
GUARD_CONDITIONS = ("death_penalty_possible",)


class RuleTableError(ValueError):
    """A rule table is missing or malformed."""


@dataclass(frozen=True)
class Rule:
    rule_id: str
    kinds: tuple[CaseKind, ...]
    start: tuple[str, ...]
    until: tuple[str, ...]
    days: int | None
    days_param: str | None
    count: Count
    type: RuleType
    description: str
    reference: str
    requested_state: str | None = None
    calendar: str | None = None
    paused_by: tuple[str, ...] = ()

    def applies_to(self, case: CaseState) -> bool:
        return case.kind in self.kinds and self.requested_state in (None, case.requested_state)


@dataclass(frozen=True)
class Guard:
    """Forbid moving to ``to`` while ``when`` is true and no ``requires_assurance`` is on file."""

    kinds: tuple[CaseKind, ...]
    to: tuple[str, ...]
    when: str
    requires_assurance: str
    reference: str


@dataclass(frozen=True)
class RuleTable:
    table_id: str
    title: str
    rules: tuple[Rule, ...]
    guards: tuple[Guard, ...] = ()

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.rule_id == rule_id:
                return rule
        raise KeyError(rule_id)


def _check_ref(table: str, rule_id: str, ref: str, kinds: tuple[CaseKind, ...], allow_rule: bool) -> None:
    match = _REF.match(ref)
    if not match or (match.group(1) == "rule" and not allow_rule):
        raise RuleTableError(f"{table}: rule {rule_id}: bad reference {ref!r}")
    what, name = match.groups()
    for kind in kinds:
        m = machine_for(kind)
        if (what == "state" and name not in m.transitions) or (what == "event" and name not in m.events):
            raise RuleTableError(f"{table}: rule {rule_id}: {kind} has no {what} {name!r}")


def _as_tuple(value: Any) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value or ())


def parse_table(data: dict[str, Any]) -> RuleTable:
    """Validate the JSON form of a rule table and build a :class:`RuleTable`."""
    table = str(data.get("table_id", "?"))
    rules: list[Rule] = []
    try:
        for raw in data["rules"]:
            kinds = tuple(CaseKind(k) for k in raw["kinds"])
            days = raw.get("days")
            rule = Rule(
                rule_id=raw["id"],
                kinds=kinds,
                start=_as_tuple(raw["from"]),
                until=_as_tuple(raw["until"]),
                days=None if days is None else int(days),
                days_param=raw.get("days_param"),
                count=raw["count"],
                type=raw.get("type", "deadline"),
                description=raw["description"],
                reference=raw["reference"],
                requested_state=raw.get("requested_state"),
                calendar=raw.get("calendar"),
                paused_by=_as_tuple(raw.get("paused_by")),
            )
            rules.append(rule)
        guards = tuple(
            Guard(
                tuple(CaseKind(k) for k in g["kinds"]),
                _as_tuple(g["to"]),
                g["when"],
                g["requires_assurance"],
                g["reference"],
            )
            for g in data.get("guards", ())
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise RuleTableError(f"{table}: malformed table: {exc!r}") from None
    ids = [r.rule_id for r in rules]
    if len(set(ids)) != len(ids):
        raise RuleTableError(f"{table}: duplicate rule ids")
    for rule in rules:
        if rule.count not in COUNTS or rule.type not in ("deadline", "window"):
            raise RuleTableError(f"{table}: rule {rule.rule_id}: bad count or type")
        if rule.days is None and rule.days_param is None:
            raise RuleTableError(f"{table}: rule {rule.rule_id}: needs days or days_param")
        if rule.days is not None and rule.days < 0:
            raise RuleTableError(f"{table}: rule {rule.rule_id}: negative days")
        if not rule.start or not rule.until:
            raise RuleTableError(f"{table}: rule {rule.rule_id}: empty from/until")
        for ref in rule.start:
            _check_ref(table, rule.rule_id, ref, rule.kinds, allow_rule=True)
            if ref.startswith("rule:") and ref[5:] not in ids[: ids.index(rule.rule_id)]:
                raise RuleTableError(f"{table}: rule {rule.rule_id}: {ref} must name an earlier rule")
        for ref in rule.until:
            _check_ref(table, rule.rule_id, ref, rule.kinds, allow_rule=False)
        for state in rule.paused_by:
            _check_ref(table, rule.rule_id, f"state:{state}", rule.kinds, allow_rule=False)
    for guard in guards:
        if guard.when not in GUARD_CONDITIONS:
            raise RuleTableError(f"{table}: guard condition {guard.when!r} not one of {GUARD_CONDITIONS}")
        for state in guard.to:
            _check_ref(table, "guard", f"state:{state}", guard.kinds, allow_rule=False)
    return RuleTable(table, str(data.get("title", table)), tuple(rules), guards)


def _read_json(name: str) -> dict[str, Any]:
    try:
        text = resources.files(__package__).joinpath("treaties", f"{name}.json").read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RuleTableError(f"no rule table named {name!r}") from None
    return json.loads(text)


@cache
def load_table(table_id: str) -> RuleTable:
    """Load a shipped rule table by id (``us-mx-1978``, ``mla-generic`` ...)."""
    if not _TABLE_ID.match(table_id):
        raise RuleTableError(f"bad rule table id {table_id!r}")
    return parse_table(_read_json(table_id))


def load_table_file(path: str | Path) -> RuleTable:
    """Load a rule table from any JSON file (e.g. an agency's own service levels)."""
    return parse_table(json.loads(Path(path).read_text(encoding="utf-8")))


def table_for(case: CaseState) -> RuleTable | None:
    """The case's treaty table, else its kind's generic table, else ``None``."""
    table_id = case.treaty or DEFAULT_TABLES.get(case.kind)
    return load_table(table_id) if table_id else None


@cache
def holiday_calendars() -> MappingProxyType[str, HolidayCalendar]:
    """Holiday calendars keyed by ISO country code, from ``treaties/holidays.json``."""
    data = _read_json("holidays")
    return MappingProxyType(
        {code: HolidayCalendar.from_spec(code, spec) for code, spec in data["calendars"].items()}
    )
