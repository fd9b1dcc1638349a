"""What a node does once when it starts serving, in the background, and whether it has finished.

A freshly started server answers its first requests slowly: FastAPI builds each included router's
route table on the first request that reaches it (tens of milliseconds for the whole app), the
dashboard's counts are computed on first use (seconds with hundreds of thousands of records), and the
statements of a partner's first feed page are compiled when it asks (about 10 ms on that page). The
warm-up does all three as soon as the server starts (the feed's queries read nothing); `GET
/api/v1/ready` answers 503 until it is done, so a load balancer, a script or a benchmark can wait for
a node that answers at full speed. The node serves meanwhile: readiness is advice, not a gate.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

from fastapi import FastAPI

log = logging.getLogger(__name__)


def build_routes(routes: Iterable[object]) -> int:
    """Build the route tables FastAPI builds lazily (its `_IncludedRouter`s), recursively; how many
    routes were visited. Duck-typed: with a FastAPI that builds them eagerly there is nothing to do."""
    count = 0
    for route in routes:
        count += 1
        candidates = getattr(route, "effective_candidates", None)
        if callable(candidates):
            count += build_routes(candidates())
            low_priority = getattr(route, "effective_low_priority_routes", None)
            if callable(low_priority):
                low_priority()
    return count


class Warmup:
    """The start-up work of one app, run once in a daemon thread; `ready` is set when it is done
    (also when a step failed: the failure is logged, and the node serves as it would have anyway)."""

    def __init__(self, app: FastAPI):
        self.app = app
        self.ready = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        if self.thread is None:
            self.thread = threading.Thread(target=self._run, name="vinculo-warmup", daemon=True)
            self.thread.start()

    def wait(self, timeout: float) -> None:
        """Until the warm-up has finished (or `timeout` seconds): a stopping server calls it."""
        if self.thread is not None:
            self.thread.join(timeout)

    def _run(self) -> None:
        from vinculo.federation import outbox
        from vinculo.records import dashboard

        try:
            build_routes(self.app.router.routes)
            outbox.warm(self.app.state.node)
            dashboard.warm(self.app.state.node)
        except Exception:
            log.exception("warm-up failed")
        finally:
            self.ready.set()
