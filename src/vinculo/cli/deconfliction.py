"""`vinculo alerts|psi|selectors`: correlation alerts, private matching with partners, selectors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer

from vinculo.accounts.model import operator
from vinculo.cli.common import emit_json, errors, fail, node
from vinculo.deconfliction import alerts, psi_service
from vinculo.deconfliction.psi_channel import PsiRateLimited
from vinculo.deconfliction.psi_messages import PsiError, PsiRefused

alerts_app = typer.Typer(no_args_is_help=True, help="Correlation alerts: records here that share a selector.")
psi_app = typer.Typer(no_args_is_help=True, help="Private matching (PSI) with a partner: counts, then approved hits.")
selectors_app = typer.Typer(no_args_is_help=True, help="Selectors of records, and identifiers that failed checks.")
Json = typer.Option(False, "--json", help="Print JSON.")


@contextmanager
def _psi_errors() -> Iterator[None]:
    with errors():
        try:
            yield
        except PsiRateLimited as exc:
            fail(str(exc), 6)
        except PsiRefused as exc:
            fail(f"refused: {exc}", 7)
        except PsiError as exc:
            fail(str(exc), 8)


@alerts_app.command("list")
def list_alerts(limit: int = typer.Option(50, "--limit"), record: str = typer.Option(None, "--record"),
                as_json: bool = Json) -> None:
    """Newest alerts you may see (both records readable)."""
    n = node()
    with errors():
        found, cursor = alerts.list_alerts(n, operator(n.id), limit, None, record)
    if as_json:
        emit_json({"alerts": found, "next": cursor})
        return
    if not found:
        typer.echo("no alerts")
    for a in found:
        if a["status"] == "over-common":
            typer.echo(f"#{a['id']}  {a['kind']:<20} {a['value']}  over-common: {a['note']}")
        else:
            ids = " <-> ".join(r["id"] for r in a["records"])
            typer.echo(f"#{a['id']}  {a['kind']:<20} {a['value']}  {ids}")


@alerts_app.command("refresh")
def refresh() -> None:
    """Index what was written since the last refresh (imports, sync) and raise its alerts now."""
    n = node()
    with errors():
        done, raised = alerts.refresh(n)
    typer.echo(f"indexed {done} record versions, {raised} new alerts")


def _run_lines(run: dict) -> None:
    typer.echo(f"run {run['id']} with {run['partner']}: {run['stage']} {run['status']}")
    for kind, e in run["result"].get("kinds", {}).items():
        got = f"overlap {e['overlap']}" if "overlap" in e else f"hits {e.get('hits', 0)}"
        tx = f"  transcript {e['transcript'][:16]}…" if e.get("transcript") else ""
        typer.echo(f"  {kind:<22} ours {e['mine']:>6}  theirs {e['theirs']:>6}  {got}{tx}")


@psi_app.command("run")
def run(partner: str, kind: str = typer.Option(..., "--kind", help="e.g. phone,plate,person (or event)"),
        as_json: bool = Json) -> None:
    """Stage 1 with PARTNER: how many of our selectors it also holds (counts only)."""
    n = node()
    with _psi_errors():
        result = psi_service.start_run(n, operator(n.id), partner, kind)
    if as_json:
        emit_json(result)
        return
    _run_lines(result)
    typer.echo(f"to learn which ones (both sides get notices): vinculo psi approve {result['id']}")


@psi_app.command("approve")
def approve(run_id: str, as_json: bool = Json) -> None:
    """Stage 2 (supervisor): both sides learn which of their own selectors match; notices are recorded."""
    n = node()
    with _psi_errors():
        result = psi_service.approve_run(n, operator(n.id), run_id)
    if as_json:
        emit_json(result)
        return
    _run_lines(result)
    typer.echo(f"{result['result'].get('notices', 0)} notices: vinculo psi notices --run {run_id}")


@psi_app.command("list")
def runs(limit: int = typer.Option(20, "--limit"), as_json: bool = Json) -> None:
    """Matching runs of this node (both roles)."""
    n = node()
    with errors():
        found = psi_service.list_runs_for(n, operator(n.id), limit)
    if as_json:
        emit_json(found)
        return
    for r in found:
        typer.echo(f"{r['created'][:19]}  {r['id']}  {r['role']:<9} {r['partner']:<12} {r['stage']} {r['status']}")


@psi_app.command("notices")
def notices(run_id: str = typer.Option(None, "--run"), limit: int = typer.Option(100, "--limit"),
            as_json: bool = Json) -> None:
    """Deconfliction notices: our records a partner also holds a selector of, and whom to contact."""
    n = node()
    with errors():
        found = alerts.list_notices(n, operator(n.id), limit, run_id)
    if as_json:
        emit_json(found)
        return
    if not found:
        typer.echo("no notices")
    for x in found:
        typer.echo(f"{x['kind']:<20} {x['value']}  {x['record']['id']}  contact {x['contact']} ({x['partner']})")


@selectors_app.command("show")
def show(record_id: str, as_json: bool = Json) -> None:
    """The selectors of one record, invalid ones with the reason."""
    n = node()
    with errors():
        found = alerts.record_selectors(n, operator(n.id), record_id)
    if as_json:
        emit_json(found)
        return
    for s in found:
        flag = "ok     " if s["valid"] else "INVALID"
        typer.echo(f"{flag} {s['kind']:<20} {s['value']}" + (f"  ({s['reason']})" if s["reason"] else ""))


@selectors_app.command("invalid")
def invalid(limit: int = typer.Option(200, "--limit"), as_json: bool = Json) -> None:
    """Records with identifiers that failed their checks (never matched until corrected)."""
    n = node()
    with errors():
        found = alerts.invalid_selectors(n, operator(n.id), limit)
    if as_json:
        emit_json(found)
        return
    for record_id, items in found.items():
        for s in items:
            typer.echo(f"{record_id}  {s['kind']:<12} {s['value']}  {s['reason']}")
