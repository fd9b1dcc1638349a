"""Retention enforcement in one run (`vinculo retention run`, and every hour in `vinculo serve`):

1. our agreements that ended withdraw what their partner holds (`ended`);
2. received records whose retention or agreement ended are purged (`received`);
3. the nodes they came from are sent `purged` receipts (retried on every run until acknowledged);
4. the review list of our own rules is refreshed (`rules`): nothing of ours is purged without approval.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from vinculo.node.context import Node
from vinculo.records.model import utcnow
from vinculo.retention import ended, received, rules
from vinculo.store.engine import locked

log = logging.getLogger("vinculo.retention")


@dataclass
class RunReport:
    ended: list[ended.Ended] = field(default_factory=list)
    purged: list[received.Purged] = field(default_factory=list)
    receipts: dict[str, int] = field(default_factory=dict)
    pending_review: int = 0

    def lines(self) -> list[str]:
        out = [e.line() for e in self.ended] + [p.line() for p in self.purged]
        out += [f"{p}: {n:,} purged receipts sent" for p, n in self.receipts.items() if n]
        out.append(f"{self.pending_review:,} own records await a supervisor's approval (vinculo retention review)")
        return out

    def as_json(self) -> dict:
        return {"ended": [e.__dict__ | {"end": e.end.isoformat()} for e in self.ended],
                "purged": [p.__dict__ for p in self.purged], "receipts": self.receipts,
                "pending_review": self.pending_review}


def run_once(node: Node) -> RunReport:
    now = utcnow()
    report = RunReport()
    report.ended = ended.withdraw_ended(node, now.date())
    report.purged = received.purge_received(node, now)
    for partner in received.unsent_partners(node):
        report.receipts[partner] = received.send_purged_receipts(node, partner)
    report.pending_review = len(rules.refresh_review(node, f"node:{node.id}", now))
    return report


class RetentionLoop(threading.Thread):
    """`vinculo serve`'s retention job: `run_once` every `interval` seconds (the first right away)."""

    def __init__(self, node: Node, interval: float = 3600.0):
        super().__init__(name="vinculo-retention", daemon=True)
        self.node, self.interval = node, interval
        self.stopped = threading.Event()
        self.runs = 0

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                for line in run_once(self.node).lines():
                    log.info("retention: %s", line)
            except Exception as exc:  # the loop must outlive one failure; it is logged
                if locked(exc):  # another writer held the database longer than the wait: next round
                    log.warning("retention: the database is busy with another writer; trying again later")
                else:
                    log.exception("retention run failed")
            self.runs += 1
            self.stopped.wait(self.interval)

    def stop(self) -> None:
        self.stopped.set()
