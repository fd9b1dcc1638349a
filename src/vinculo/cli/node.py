"""`vinculo init`, `vinculo serve` and `vinculo node ...` (the node's own key)."""

from __future__ import annotations

import typer

from vinculo.cli.common import emit_json, errors, fail, home, node
from vinculo.node.keys import fingerprint
from vinculo.node.service import NodeExists, init_node

node_app = typer.Typer(no_args_is_help=True, help="This node's own signing key.")


@node_app.command("rotate-key")
def rotate_key() -> None:
    """Move this node to a new Ed25519 key; partners follow on their next pull (stop `vinculo serve` first)."""
    from vinculo.node.key_rotation import RotationError
    from vinculo.node.key_rotation import rotate_key as rotate

    n = node()
    with errors():
        try:
            done = rotate(n)
        except RotationError as exc:
            fail(str(exc))
    typer.echo(f"node {n.id} now signs with key {done.new_key}")
    typer.echo(f"new fingerprint: {done.new_fingerprint}")
    typer.echo(f"old fingerprint: {done.old_fingerprint} (retired {done.time}; what it signed before still verifies)")
    typer.echo("partners pin the new key on their next pull; tell their operators the new fingerprint out of band")


@node_app.command("keys")
def keys_(as_json: bool = typer.Option(False, "--json")) -> None:
    """This node's key in force and the keys it retired, with their periods."""
    from vinculo.node.key_periods import history

    n = node()
    with n.engine.connect() as conn:
        rows = history(conn, n.id)
    if as_json:
        emit_json({"public_key": n.public_key_hex, "fingerprint": fingerprint(n.public_key_hex), "history": rows})
        return
    typer.echo(f"in force: {fingerprint(n.public_key_hex)}")
    for r in rows:
        if r["valid_to"]:
            typer.echo(f"retired:  {r['fingerprint']}  {r['valid_from'] or 'first key'} .. {r['valid_to']}")


def register(app: typer.Typer) -> None:
    app.add_typer(node_app, name="node")

    @app.command()
    def init(node_id: str = typer.Option(..., "--node-id", help="Short id, e.g. us-dea or mx-fgr."),
             name: str = typer.Option(..., "--name", help="The agency's name."),
             country: str = typer.Option(..., "--country", help="ISO 3166-1 country code.")) -> None:
        """Create a node: database, Ed25519 key pair, first audit entry."""
        h = home()
        with errors():
            try:
                created = init_node(h, node_id, name, country)
            except NodeExists as exc:
                fail(str(exc))
        typer.echo(f"node {created.id} ({created.name}, {created.country}) created in {h.path}")
        typer.echo(f"database: {h.db_url}")
        typer.echo(f"public key: {created.public_key_hex}")
        typer.echo(f"fingerprint: {fingerprint(created.public_key_hex)}")

    @app.command()
    def serve(host: str = typer.Option("127.0.0.1", "--host"), port: int = typer.Option(8000, "--port"),
              sync_interval: float = typer.Option(300, "--sync-interval", envvar="VINCULO_SYNC_INTERVAL",
                                                  help="Seconds between pulls from every partner (0: off)."),
              retention_interval: float = typer.Option(3600, "--retention-interval", envvar="VINCULO_RETENTION_INTERVAL",
                                                       help="Seconds between retention runs (0: off)."),
              workers: int = typer.Option(1, "--workers", min=1, max=64,
                                          help="Server processes (more than 1: PostgreSQL only)."),
              jobs: bool = typer.Option(True, "--jobs/--no-jobs",
                                        help="Also run the background jobs in this process (--no-jobs: leave "
                                             "them to `vinculo worker` processes).")) -> None:
        """Serve the HTTP API (OpenAPI at /docs), the TAXII 2.1 server (/taxii2/) and the background jobs
        (the sync with partners, the signer, retention, the selector index: vinculo.jobs)."""
        import os

        import uvicorn

        from vinculo.api.app import create_app
        from vinculo.cli.listen import PortTaken, bind
        from vinculo.jobs.work import runner
        from vinculo.node.key_rotation import hold_key

        n = node()
        if workers > 1 and n.engine.dialect.name != "postgresql":
            fail(f"--workers {workers}: more than one server process needs PostgreSQL; this node's database is "
                 f"{n.engine.dialect.name} (one writer at a time). See docs/operators.md, 'Growing a node'.", 2)
        try:
            sock = bind(host, port)  # before anything starts or is announced
        except PortTaken as exc:
            fail(str(exc))
        hold_key(n.home)  # until this process exits: `vinculo node rotate-key` is refused meanwhile
        r = runner(n, sync_interval, retention_interval) if jobs else None
        if r:
            r.start()
        typer.echo(f"node {n.id} serving on http://{host}:{port} (API under /api/v1, docs at /docs, TAXII at "
                   f"/taxii2/) in {workers} process{'es' if workers > 1 else ''}; "
                   + (f"jobs run here, pulling from partners {f'every {sync_interval:g}s' if sync_interval > 0 else 'only on demand'}"
                      if r else "jobs left to `vinculo worker`"))
        try:
            if workers > 1:  # each process builds its own app from the environment (api.factory), on our socket
                os.environ["VINCULO_HOME"], os.environ["VINCULO_DATABASE_URL"] = str(n.home.path), n.home.db_url
                uvicorn.run("vinculo.api.factory:from_environment", factory=True, fd=sock.fileno(),
                            workers=workers, log_level="warning", timeout_graceful_shutdown=30)
            else:
                uvicorn.Server(uvicorn.Config(create_app(n), log_level="warning", timeout_graceful_shutdown=30)).run(
                    sockets=[sock])  # open live streams (notify) must not hold a stop
        finally:
            if r:
                r.stop()
