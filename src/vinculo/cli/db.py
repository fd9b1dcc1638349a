"""`vinculo db migrate-to URL`: move a SQLite node into PostgreSQL (node.migrate_to)."""

from __future__ import annotations

import typer

from vinculo.cli.common import fail, node

db_app = typer.Typer(no_args_is_help=True, help="The node's database.")


@db_app.command("migrate-to")
def migrate_to(url: str = typer.Argument(..., help="A new, empty PostgreSQL database: postgresql://user@host/db")) -> None:
    """Copy this SQLite node into PostgreSQL and verify its audit log and records there (the SQLite file is
    left as it was; point VINCULO_DATABASE_URL at URL afterwards)."""
    from vinculo.node.migrate_to import MigrateError
    from vinculo.node.migrate_to import migrate_to as migrate

    n = node()
    try:
        done = migrate(n, url)
    except MigrateError as exc:
        fail(str(exc), 2)
        return
    finally:
        n.engine.dispose()
    for table, count in done.rows.items():
        if count:
            typer.echo(f"{table}: {count:,} rows")
    if not done.ok:
        fail(f"copied, but the copy does not verify: {done.problem} (keep using the SQLite database)", 1)
    typer.echo(f"audit log verified in PostgreSQL: {done.entries:,} entries, root {done.root}; "
               f"{done.records:,} records checked")
    typer.echo(f"now serve from it: VINCULO_DATABASE_URL={url} vinculo serve")
