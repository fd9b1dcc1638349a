"""The background sync loop of `vinculo serve`: pull from every partner every N seconds."""

from __future__ import annotations

import logging
import threading

from vinculo.federation import sync
from vinculo.node.context import Node
from vinculo.store.engine import locked

log = logging.getLogger("vinculo.sync")


class SyncLoop(threading.Thread):
    def __init__(self, node: Node, interval: float, page_size: int = 500):
        super().__init__(name="vinculo-sync", daemon=True)
        self.node, self.interval, self.page_size = node, interval, page_size
        self.stopped = threading.Event()
        self.runs = 0

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                for item in sync.run_all(self.node, self.page_size):
                    log.info("sync: %s", item if isinstance(item, str) else item.line())
            except Exception as exc:  # noqa: BLE001 - the loop must outlive one bad run; it is logged
                if locked(exc):  # another writer held the database longer than the wait: next round
                    log.warning("sync: the database is busy with another writer; trying again later")
                else:
                    log.exception("sync run failed")
            self.runs += 1

    def stop(self) -> None:
        self.stopped.set()
