"""`vinculo audit verify` and `vinculo audit log`."""

from __future__ import annotations

import typer

from vinculo.audit import service as audit
from vinculo.audit.checks import verify_node
from vinculo.cli.common import emit_json, node

app = typer.Typer(no_args_is_help=True, help="The tamper-evident audit log.")


@app.command()
def verify(partners: bool = typer.Option(False, "--partners", help="Check the partners' tree heads this node "
                                         "holds instead (signatures, consistency between consecutive heads).")
           ) -> None:
    """Recompute the Merkle log, check every signed tree head and every record version."""
    if partners:
        _verify_partners()
        return
    result = verify_node(node())
    if result.ok:
        typer.echo(f"ok: {result.entries} entries, root {result.root} ({result.records} record versions checked)")
        return
    typer.echo(f"FAILED: {result.problem}", err=True)
    raise typer.Exit(1)


def _verify_partners() -> None:
    from vinculo.federation.head_store import verify_partners

    results = verify_partners(node())
    for partner, ok, line in results:
        typer.echo(f"{partner}: {line}" if ok else f"{partner}: FAILED: {line}")
    if not results:
        typer.echo("no partners")
    if not all(ok for _p, ok, _l in results):
        raise typer.Exit(1)


@app.command()
def log(limit: int = typer.Option(50, "--limit"), after: int = typer.Option(-1, "--after"),
        action: str = typer.Option(None, "--action"), actor: str = typer.Option(None, "--actor"),
        target: str = typer.Option(None, "--target"), as_json: bool = typer.Option(False, "--json")) -> None:
    """Print audit entries (who read or released what)."""
    n = node()
    with n.engine.connect() as conn:
        rows = audit.entries(conn, actor=actor, action=action, target=target, after=after, limit=limit)
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        typer.echo(f"{r['idx']:>8}  {r['ts']}  {r['actor']:<20}  {r['action']:<14}  {r['target'] or ''}")
