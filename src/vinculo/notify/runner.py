"""The background work of one serving node: a matcher thread and a delivery thread, woken by the write
hooks (`hooks`), and also every `POLL` seconds (writes from another process: the CLI, an import worker).

In-process and bounded (a wake-up is an event, not a queued item; each pass is bounded by the engine and
the outbox), so it can later move to the node's job queue as two jobs without changing `engine` or
`delivery`. Nothing here runs inside a write's transaction: a pull stores and commits its page, then pokes.
"""

from __future__ import annotations

import logging
import threading

from vinculo.node.context import Node
from vinculo.notify import delivery, engine
from vinculo.notify.live import hub_for
from vinculo.notify.service import item_json
from vinculo.store.engine import locked

log = logging.getLogger(__name__)
POLL = 5.0
SETTLE = 0.05  # after a wake-up, let a burst of commits (pages of a pull) gather into one pass


class Runner:
    def __init__(self, node: Node) -> None:
        self.node = node
        self.stop_event = threading.Event()
        self.match_wake = threading.Event()
        self.send_wake = threading.Event()
        self.threads = [threading.Thread(target=self._loop, args=(self.match_wake, self._match), daemon=True,
                                         name=f"notify-match-{node.id}"),
                        threading.Thread(target=self._loop, args=(self.send_wake, self._send), daemon=True,
                                         name=f"notify-send-{node.id}")]

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def stop(self, timeout: float = 10) -> None:
        self.stop_event.set()
        self.match_wake.set()
        self.send_wake.set()
        for t in self.threads:
            t.join(timeout)

    def _loop(self, wake: threading.Event, work) -> None:
        while not self.stop_event.is_set():
            wake.wait(POLL)
            if self.stop_event.is_set():
                return
            self.stop_event.wait(SETTLE) if wake.is_set() else None
            wake.clear()
            try:
                while work() and not self.stop_event.is_set():
                    pass
            except Exception as exc:  # noqa: BLE001 - a failed pass is logged; the next wake-up tries again
                if locked(exc):  # SQLite held by another writer past the busy wait: one line, as the jobs say it
                    log.warning("notifications: the database is busy with another writer; trying again later")
                else:
                    log.exception("notification pass failed on %s", self.node.id)

    def _match(self) -> bool:
        done = publish(self.node, engine.run(self.node))
        if done.items:
            self.send_wake.set()
        return done.more

    def _send(self) -> bool:
        return delivery.deliver_due(self.node) >= delivery.MAX_ITEMS


def publish(node: Node, done: engine.Pass) -> engine.Pass:
    """Hand the in-app notifications of a pass to their users' open streams."""
    hub = hub_for(node.id)
    for item in done.items:
        if not item["read"]:
            hub.publish(item["user"], {"type": "notification", "item": item_json(_Row(item))})
    return done


class _Row:
    def __init__(self, values: dict) -> None:
        self.__dict__.update(values)


_runners: dict[str, Runner] = {}
_lock = threading.Lock()


def start(node: Node) -> Runner:
    with _lock:
        runner = _runners.get(node.id)
        if runner is None or runner.node is not node:
            if runner is not None:
                runner.stop()
            runner = _runners[node.id] = Runner(node)
            runner.start()
        return runner


def stop(node: Node) -> None:
    with _lock:
        runner = _runners.pop(node.id, None)
    if runner is not None:
        runner.stop()


def poke(node: Node, send: bool = False) -> None:
    """Wake the node's matcher (and its sender): cheap, never blocks, a no-op if nothing runs."""
    runner = _runners.get(node.id)
    if runner is not None and runner.node is node:
        runner.match_wake.set()
        if send:
            runner.send_wake.set()
