"""Cases between states: kinds, state machines, dated transitions and deadlines.

Pure domain code (no I/O besides reading the shipped rule tables)::

    case = open_case("EXT-1", CaseKind.TREATY_EXTRADITION, opened_on=date(2025, 1, 6),
                     requesting_state="US", requested_state="MX", treaty="us-mx-1978")
    case = advance(case, "provisional_arrest", date(2025, 1, 8), "Red Notice + urgent request")
    deadlines(case, today=date(2025, 2, 1))
"""

from .deadlines import Deadline, deadlines
from .kinds import MACHINES, CaseKind, Machine, machine_for
from .machine import (
    GuardFailed,
    InvalidTransition,
    add_assurance,
    advance,
    allowed_next,
    grant_extension,
    record_event,
)
from .model import Assurance, CaseEvent, CaseState, Transition, open_case
from .rules import RuleTable, RuleTableError, load_table, load_table_file, table_for

__all__ = [
    "MACHINES",
    "Assurance",
    "CaseEvent",
    "CaseKind",
    "CaseState",
    "Deadline",
    "GuardFailed",
    "InvalidTransition",
    "Machine",
    "RuleTable",
    "RuleTableError",
    "Transition",
    "add_assurance",
    "advance",
    "allowed_next",
    "deadlines",
    "grant_extension",
    "load_table",
    "load_table_file",
    "machine_for",
    "open_case",
    "record_event",
    "table_for",
]
