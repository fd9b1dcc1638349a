"""Job tables: the node's queue of background work (`vinculo.jobs`), and the open half-runs of private
matching that the responder must find again on whichever server process the partner's next request reaches.

A job row is the whole state of one piece of background work: any process may claim it (a lease with an
expiry, so a job whose worker died is claimed again), and a scheduled job's `key` ("sync.partner:mx-fgr:
<slot>") is unique, so it is queued once however many processes schedule it.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, Text

from vinculo.store.tables import TS, metadata

jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(64), nullable=False),
    Column("key", String(200), nullable=True, unique=True),  # a scheduled job's slot: queued once
    Column("payload", Text, nullable=False),  # JSON
    Column("status", String(12), nullable=False),  # queued | running | done | failed
    Column("run_after", TS, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("max_attempts", Integer, nullable=False),
    Column("lease_until", TS, nullable=True),
    Column("worker", String(120), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("result", Text, nullable=True),  # JSON, what the handler returned
    Column("created", TS, nullable=False),
    Column("finished", TS, nullable=True),
    Index("ix_jobs_status_run_after", "status", "run_after"),
    Index("ix_jobs_kind_finished", "kind", "finished"),
)

# One open stage of a matching run we answer (deconfliction.psi_state): what the partner declared, which
# families were answered, and per family the sealed scalars of a mutual half-run awaiting its finish.
psi_pending = Table(
    "psi_pending",
    metadata,
    Column("run_id", String(32), primary_key=True),
    Column("partner", String(64), nullable=False),
    Column("stage", String(16), nullable=False),
    Column("cap", Integer, nullable=False),
    Column("declared", Text, nullable=False),  # JSON kind -> their declared size
    Column("mine", Text, nullable=False),  # JSON kind -> our set size when declared
    Column("answered", Text, nullable=False),  # JSON list of kinds
    Column("sets", Text, nullable=False),  # JSON kind -> {selector value: our record ids}
    Column("peers", Text, nullable=False),  # JSON kind -> sealed half-run state (hex)
    Column("created", TS, nullable=False),
    Column("expires", TS, nullable=False),
)
