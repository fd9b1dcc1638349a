"""The one call each writing place makes, after its commit: wake the matcher (never work in the writer).

Imports are inside the functions: records and federation call these, and notify reads through them."""

from __future__ import annotations

import logging

from vinculo.node.context import Node

log = logging.getLogger(__name__)


def written(node: Node) -> None:
    """Records were created, changed, imported or received: match them (and raise their correlation)."""
    from vinculo.notify import runner

    runner.poke(node)


def sync_problem(node: Node, partner: str, problem: str, detail: str) -> None:
    """A pull failed, or a page came with rejected objects: tell subscribed administrators."""
    from vinculo.notify import engine, runner

    try:
        runner.publish(node, engine.Pass(items=engine.sync_problem(node, partner, problem, detail)))
    except Exception:  # a notification must never turn a sync result into a failure
        log.exception("sync notification failed on %s", node.id)
    runner.poke(node, send=True)


def received(node: Node, partner: str, stored: int, rejected: int, reasons: list) -> None:
    """A pulled page was stored (`stored` versions; `rejected` objects refused)."""
    from vinculo.notify import runner

    if rejected:
        sync_problem(node, partner, f"{rejected} objects rejected", "; ".join(str(r) for r in reasons[:5]))
    if stored:
        runner.poke(node)
