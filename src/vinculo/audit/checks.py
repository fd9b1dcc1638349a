"""`vinculo audit verify`: the log, its signed tree heads, and the record versions it vouches for."""

from __future__ import annotations

from dataclasses import dataclass

from vinculo.audit.verify import verify_log
from vinculo.node import key_periods
from vinculo.node.context import Node
from vinculo.node.keys import public_from_hex
from vinculo.records.integrity import check_records


@dataclass(frozen=True)
class Verification:
    ok: bool
    entries: int
    root: str
    records: int
    problem: str | None


def verify_node(node: Node) -> Verification:
    with node.engine.connect() as conn:
        older = key_periods.retired(conn, node.id).get(node.id, ())  # keys this node rotated away from
        log = verify_log(conn, node.id, node.key.public_key(),
                         [(public_from_hex(k.public_key), k.valid_to) for k in older])
        if not log.ok:
            return Verification(False, log.entries, "", 0, log.problem)
        checked, problem = check_records(conn)
    return Verification(problem is None, log.entries, log.root, checked, problem)
