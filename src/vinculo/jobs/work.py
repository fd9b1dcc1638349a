"""The node's background work as jobs: what each kind does, and the schedules `vinculo serve` and
`vinculo worker` share (the sync with each partner, signing at rest, retention, the selector index,
expiring the responder's open matching stages, pruning finished jobs).

More handlers may come from the modules named in VINCULO_JOB_MODULES (comma-separated; each exposes
`HANDLERS: dict[str, callable(node, payload)]`): operators' own jobs, and the tests' slow ones.
"""

from __future__ import annotations

import datetime as dt
import importlib
import os

from vinculo.jobs import service
from vinculo.jobs.runner import Handler, Runner, Schedule
from vinculo.node.context import Node

SIGN_INTERVAL = 10.0
REFRESH_INTERVAL = 60.0
PRUNE_INTERVAL = 3600.0
PSI_EXPIRE_INTERVAL = 600.0
KEEP_FINISHED = dt.timedelta(days=2)


def sync_partner(node: Node, payload: dict) -> dict:
    """Pull from one partner; a failure is that partner's (audited `sync.failed`); the next slot tries again."""
    from vinculo.federation import sync

    partner = str(payload["partner"])
    try:
        report = sync.pull(node, partner, int(payload.get("page_size", 500)))
    except Exception as exc:  # noqa: BLE001 - as sync.run_all: recorded, and the job is done
        return {"partner": partner, "failed": sync.failed(node, partner, exc)}
    return {"partner": partner, "report": report.line()}


def sign_records(node: Node, payload: dict) -> dict:
    """Sign what bulk imports stored unsigned (federation.at_rest), from where the last run stopped."""
    from vinculo.federation.at_rest import sign_pending

    with node.engine.connect() as conn:
        after = int((service.last_result(conn, "records.sign") or {}).get("after", 0))
    total = 0
    while True:
        signed, after = sign_pending(node, after)
        total += signed
        if not signed:
            return {"signed": total, "after": after}


def run_retention(node: Node, payload: dict) -> dict:
    from vinculo.retention.job import run_once

    return {"lines": run_once(node).lines()[:100]}


def refresh_index(node: Node, payload: dict) -> dict:
    from vinculo.deconfliction import alerts

    indexed, raised = alerts.refresh(node)
    return {"indexed": indexed, "alerts": raised}


def expire_psi(node: Node, payload: dict) -> dict:
    from vinculo.deconfliction import psi_state

    return {"expired": psi_state.expire(node)}


def prune_jobs(node: Node, payload: dict) -> dict:
    return {"pruned": service.prune(node, KEEP_FINISHED)}


HANDLERS: dict[str, Handler] = {
    "sync.partner": sync_partner,
    "records.sign": sign_records,
    "retention.run": run_retention,
    "deconfliction.refresh": refresh_index,
    "jobs.prune": prune_jobs,
    "deconfliction.psi_expire": expire_psi,
}


def partners_to_pull(page_size: int):
    def subjects(node: Node) -> list[tuple[str | None, dict]]:
        from vinculo.sharing import service as sharing

        with node.engine.connect() as conn:
            found = [p for p in sharing.list_partners(conn) if p["url"] and not p["disabled"]]
        return [(p["node_id"], {"partner": p["node_id"], "page_size": page_size}) for p in found]

    return subjects


def once(node: Node) -> list[tuple[str | None, dict]]:
    return [(None, {})]


def schedules(sync_interval: float, retention_interval: float, page_size: int = 500) -> list[Schedule]:
    """The node's periodic work; an interval of 0 turns that schedule off."""
    out = [Schedule("records.sign", SIGN_INTERVAL, once), Schedule("deconfliction.refresh", REFRESH_INTERVAL, once),
           Schedule("jobs.prune", PRUNE_INTERVAL, once), Schedule("deconfliction.psi_expire", PSI_EXPIRE_INTERVAL, once)]
    if sync_interval > 0:
        out.append(Schedule("sync.partner", sync_interval, partners_to_pull(page_size)))
    if retention_interval > 0:
        out.append(Schedule("retention.run", retention_interval, once))
    return out


def handlers() -> dict[str, Handler]:
    found = dict(HANDLERS)
    for name in filter(None, (m.strip() for m in os.environ.get("VINCULO_JOB_MODULES", "").split(","))):
        found.update(importlib.import_module(name).HANDLERS)
    return found


def runner(node: Node, sync_interval: float, retention_interval: float, lease: float | None = None,
           poll: float | None = None) -> Runner:
    """The runner of `vinculo serve` / `vinculo worker`: VINCULO_JOB_LEASE and VINCULO_JOB_POLL (seconds)
    override the lease (60) and the idle poll (1)."""
    lease = lease or float(os.environ.get("VINCULO_JOB_LEASE", "60"))
    poll = poll or float(os.environ.get("VINCULO_JOB_POLL", "1"))
    return Runner(node, handlers(), schedules(sync_interval, retention_interval), lease=lease, poll=poll)
