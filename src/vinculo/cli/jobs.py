"""`vinculo worker` (runs the node's background jobs, nothing else) and `vinculo jobs list`."""

from __future__ import annotations

import signal

import typer

from vinculo.cli.common import emit_json, errors, fail, node

jobs_app = typer.Typer(no_args_is_help=True, help="The node's background jobs (sync, signing, retention, index).")

SYNC_HELP = "Seconds between pulls from every partner (0: off)."
RETENTION_HELP = "Seconds between retention runs (0: off)."


def sync_option():
    return typer.Option(300, "--sync-interval", envvar="VINCULO_SYNC_INTERVAL", help=SYNC_HELP)


def retention_option():
    return typer.Option(3600, "--retention-interval", envvar="VINCULO_RETENTION_INTERVAL", help=RETENTION_HELP)


@jobs_app.command("list")
def list_(status: str = typer.Option(None, "--status", help="queued, running, done or failed."),
          limit: int = typer.Option(50, "--limit", min=1, max=500), as_json: bool = typer.Option(False, "--json")) -> None:
    """The latest jobs, newest first, and how many there are in each state."""
    from vinculo.jobs.model import STATUSES
    from vinculo.jobs.service import counts, list_jobs

    if status is not None and status not in STATUSES:
        fail(f"--status: one of {', '.join(STATUSES)}", 2)
    n = node()
    found, total = list_jobs(n, status, limit), counts(n)
    if as_json:
        emit_json({"counts": total, "jobs": found})
        return
    typer.echo("  ".join(f"{s}: {total.get(s, 0):,}" for s in STATUSES))
    for j in found:
        typer.echo(f"{j['id']:>8}  {j['status']:<8} {j['kind']:<22} attempt {j['attempts']}/{j['max_attempts']}  "
                   f"{j['key'] or ''}{'  ' + j['last_error'][:80] if j['last_error'] else ''}")


def register(app: typer.Typer) -> None:
    app.add_typer(jobs_app, name="jobs")

    @app.command()
    def worker(sync_interval: float = sync_option(), retention_interval: float = retention_option(),
               lease: float = typer.Option(None, "--lease", min=1, max=3600, envvar="VINCULO_JOB_LEASE",
                                           help="Seconds a claimed job stays this worker's without a heartbeat.")) -> None:
        """Run the node's background jobs (no HTTP): as many `vinculo worker` processes as you like, on one
        database; each job runs in one of them, and a job whose worker died is taken by another."""
        from vinculo.jobs.work import runner
        from vinculo.node.key_rotation import hold_key

        n = node()
        hold_key(n.home)  # a worker signs with the key it loaded: no rotation meanwhile (as `vinculo serve`)
        with errors():
            r = runner(n, sync_interval, retention_interval, lease=lease)
        signal.signal(signal.SIGTERM, lambda *_: r.stopped.set())
        typer.echo(f"node {n.id}: worker {r.worker} running jobs ({', '.join(sorted(r.handlers))})")
        try:
            r.run()
        except KeyboardInterrupt:
            pass
        finally:
            n.engine.dispose()
        typer.echo(f"worker {r.worker} stopped after {r.ran} jobs")
