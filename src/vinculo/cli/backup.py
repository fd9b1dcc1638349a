"""`vinculo backup DIR --key FILE`, `vinculo backup keygen FILE`, `vinculo restore ARCHIVE` and `vinculo upgrade`."""

from __future__ import annotations

from pathlib import Path

import click
import typer
from sqlalchemy.engine import make_url
from typer.core import TyperGroup

from vinculo.cli.common import fail, home, node


class _BackupGroup(TyperGroup):
    """`vinculo backup DIR …` runs `create`; `vinculo backup keygen FILE` makes a key."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["create", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(cls=_BackupGroup, no_args_is_help=True,
                  help="Sealed backups: `vinculo backup DIR --key FILE`; `vinculo backup keygen FILE` first.")


@app.command("keygen")
def keygen(file: Path = typer.Argument(..., help="Where to write the new key (0600; never overwritten).")) -> None:
    """Make a backup key: whoever holds it can read the node's backups; without it they cannot be restored."""
    from vinculo.node.sealed import SealError, generate_key_file

    try:
        ident = generate_key_file(file)
    except (SealError, OSError) as exc:
        fail(str(exc))
    typer.echo(f"backup key written to {file} (key id {ident}); keep a copy offline, apart from the backups")


@app.command("create")
def create(folder: Path = typer.Argument(..., help="Folder to write the archive in (made 0700 if absent)."),
           key: Path = typer.Option(..., "--key", help="The backup key file (`vinculo backup keygen`).")) -> None:
    """Back up the node (database and home) into one sealed archive, while it serves."""
    from vinculo.node.backup import BackupError, backup
    from vinculo.node.sealed import SealError

    n = node()
    try:
        result = backup(n, folder, key)
    except (BackupError, SealError, OSError) as exc:
        fail(str(exc))
    finally:
        n.engine.dispose()
    m = result.manifest
    for path in result.skipped:
        typer.echo(f"warning: {path} left out (a restore accepts only names of letters, digits, '.', '_', '-')",
                   err=True)
    typer.echo(f"backup written: {result.path}")
    typer.echo(f"node {m['node']['id']}, schema {', '.join(m['schema']['revisions'])}, audit log "
               f"{m['audit']['size']} entries, root {m['audit']['root']}")
    typer.echo(f"sha256 {result.sha256}")


def restore(archive: Path = typer.Argument(..., help="The archive `vinculo backup` wrote."),
            key: Path = typer.Option(..., "--key", help="The backup key file it was sealed with."),
            folder: Path = typer.Option(..., "--dir", help="The new node home (absent or empty)."),
            db: str = typer.Option(None, "--db", help="The new, empty database (default: SQLite in --dir).")) -> None:
    """Restore a backup into a new home and database; accepted only if the audit log and records verify."""
    from vinculo.node.restore import RestoreError
    from vinculo.node.restore import restore as do_restore

    try:
        result = do_restore(archive, key, folder, db)  # never VINCULO_DATABASE_URL: that is the live one
    except (RestoreError, OSError) as exc:
        fail(f"restore refused: {exc}")
    result.node.engine.dispose()
    shown = make_url(result.node.home.db_url).render_as_string(hide_password=True)
    typer.echo(f"restored node {result.node.id} into {folder} (database {shown})")
    typer.echo(f"verified: audit log {result.entries} entries, {result.records} record versions, "
               f"{result.signatures} signatures ({result.unsigned} own versions still to sign)"
               + ("; schema upgraded to this release" if result.upgraded else ""))


def upgrade() -> None:
    """Migrate the node's database to this release's schema, then verify its audit log and records."""
    from vinculo.node.upgrade import upgrade_node

    h = home()
    result = upgrade_node(h)
    if not result.ok:
        fail(f"upgraded from {', '.join(result.before)} to {', '.join(result.after)}, but verification "
             f"FAILED: {result.problem}")
    typer.echo(f"schema {', '.join(result.before) or '(none)'} -> {', '.join(result.after)}")
    typer.echo(f"ok: {result.entries} entries, root {result.root} ({result.records} record versions checked)")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="backup")
    root.command("restore")(restore)
    root.command("upgrade")(upgrade)
