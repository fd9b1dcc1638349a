"""`vinculo init` and `vinculo serve`."""

from __future__ import annotations

import typer

from vinculo.cli.common import errors, fail, home, node
from vinculo.node.keys import fingerprint
from vinculo.node.service import NodeExists, init_node


def register(app: typer.Typer) -> None:
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
                                                       help="Seconds between retention runs (0: off).")) -> None:
        """Serve the HTTP API (OpenAPI at /docs), the TAXII 2.1 server (/taxii2/), the sync loop, the signer and retention."""
        import uvicorn

        from vinculo.api.app import create_app
        from vinculo.federation.at_rest import SigningLoop
        from vinculo.federation.scheduler import SyncLoop
        from vinculo.retention.job import RetentionLoop

        n = node()
        loop = SyncLoop(n, sync_interval) if sync_interval > 0 else None
        if loop:
            loop.start()
        signer = SigningLoop(n)  # signs what bulk imports stored unsigned (federation.at_rest)
        signer.start()
        retention = RetentionLoop(n, retention_interval) if retention_interval > 0 else None  # retention.job
        if retention:
            retention.start()
        typer.echo(f"node {n.id} serving on http://{host}:{port} (API under /api/v1, docs at /docs, TAXII at "
                   f"/taxii2/); pulling from partners {'every %gs' % sync_interval if loop else 'only on demand'}")
        try:
            uvicorn.run(create_app(n), host=host, port=port, log_level="warning")
        finally:
            signer.stop()
            if retention:
                retention.stop()
            if loop:
                loop.stop()
