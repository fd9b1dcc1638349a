"""`vinculo partner ...`, `vinculo agreement ...` and `vinculo sync ...`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from vinculo.cli.common import emit_json, errors, fail, node
from vinculo.federation import credentials as fed_credentials
from vinculo.federation import partners as fed_partners
from vinculo.federation import receipts as fed_receipts
from vinculo.federation import sync as fed_sync
from vinculo.federation.agreements import plan_change, update_agreement
from vinculo.node.keys import fingerprint
from vinculo.sharing import service as sharing

partner_app = typer.Typer(no_args_is_help=True, help="Partner nodes, their keys and credentials.")
agreement_app = typer.Typer(no_args_is_help=True, help="Sharing agreements (versioned; nothing is shared without one).")
sync_app = typer.Typer(no_args_is_help=True, help="Pull what partners release to this node.")


@partner_app.command("add")
def add(partner: str, url: str = typer.Option(None, "--url", help="The partner node's base URL."),
        key: str = typer.Option(..., "--key", help="Its Ed25519 public key: 64 hex characters or a file."),
        name: str = typer.Option(None, "--name"), country: str = typer.Option(None, "--country")) -> None:
    """Register a partner with its pinned key; prints the credential it will use to pull from us (once)."""
    with errors():
        fp, credential = fed_partners.add_partner(node(), partner, name or partner, key, url, country, by="cli")
    typer.echo(f"partner {partner} added; pinned key {fp}")
    typer.echo(f"credential for {partner} to pull from this node (give it to them; shown once):")
    typer.echo(credential)


@partner_app.command("credential")
def credential(partner: str, token_stdin: bool = typer.Option(False, "--token-stdin",
                                                               help="Read the credential from stdin.")) -> None:
    """Store the credential `partner` issued to this node, for pulling from it."""
    token = sys.stdin.readline().strip() if token_stdin else typer.prompt("credential", hide_input=True)
    with errors():
        fed_partners.partner_row(node(), partner)
        fed_partners.store_pull_credential(node(), partner, token)
    typer.echo(f"credential for pulling from {partner} stored")


@partner_app.command("issue-credential")
def issue(partner: str) -> None:
    """Issue another credential for `partner` (e.g. after rotating)."""
    with errors():
        typer.echo(fed_partners.issue_credential(node(), partner, by="cli"))


@partner_app.command("credentials")
def credentials(partner: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """The credentials issued to `partner`: id, created, last used (to the minute), revoked."""
    with errors():
        rows = fed_credentials.list_credentials(node(), partner)
    if as_json:
        emit_json(rows)
        return
    typer.echo(f"{'id':>5}  {'created':<27}  {'last used':<27}  revoked")
    for r in rows:
        revoked = f"revoked {r['revoked_at'] or ''}".strip() if r["revoked"] else "valid"
        typer.echo(f"{r['id']:>5}  {r['created']:<27}  {r['last_used'] or 'never':<27}  {revoked}")


@partner_app.command("revoke-credential")
def revoke_credential(partner: str, credential_id: int = typer.Argument(
        None, metavar="[ID]", help="The credential to revoke (see `partner credentials`); without it, all.")) -> None:
    """Revoke a credential issued to `partner` (or all of them): its next request is refused (401)."""
    with errors():
        ids = fed_credentials.revoke(node(), partner, credential_id, by="cli")
    typer.echo(f"revoked {len(ids)} credential(s) of {partner}" + (f": {', '.join(map(str, ids))}" if ids else ""))
    if credential_id is None and ids:
        typer.echo(f"{partner} can no longer pull; issue a new one with `vinculo partner issue-credential {partner}`")


@partner_app.command("list")
def list_(as_json: bool = typer.Option(False, "--json")) -> None:
    n = node()
    with n.engine.connect() as conn:
        rows = sharing.list_partners(conn)
        versions = {r["node_id"]: sharing.current_agreement(conn, r["node_id"]) for r in rows}
    state = {s["partner"]: s for s in fed_sync.status(n)}
    if as_json:
        emit_json([r | {"agreement_version": versions[r["node_id"]].version if versions[r["node_id"]] else None,
                        "sync": state.get(r["node_id"])} for r in rows])
        return
    for r in rows:
        a = versions[r["node_id"]]
        s = state.get(r["node_id"], {})
        typer.echo(f"{r['node_id']:<14} {fingerprint(r['public_key'])[:27]}…  {r['url'] or '-':<28} "
                   f"agreement {'v' + str(a.version) if a else 'none':<5} last sync {s.get('last_run') or 'never'}")


@partner_app.command("repin")
def repin(partner: str,
          key: str = typer.Option(..., "--key", help="Its new Ed25519 public key: 64 hex characters or a file."),
          fp: str = typer.Option(..., "--fingerprint", help="The new key's fingerprint as its operator read it "
                                                            "to you out of band (SHA256:...)."),
          compromised_since: str = typer.Option(None, "--compromised-since",
                                                help="When its old key was stolen (ISO 8601 with zone): what "
                                                     "that key signed from then on is rejected."),
          as_json: bool = typer.Option(False, "--json")) -> None:
    """Pin a new key for `partner` without a rotation statement (its old key is lost or compromised)."""
    from vinculo.federation import rotation

    with errors():
        done = rotation.repin(node(), partner, key, fp, compromised_since, by="cli")
    if as_json:
        emit_json(done.__dict__)
        return
    typer.echo(f"partner {partner}: pinned {fingerprint(done.new_key)}; old key {fingerprint(done.old_key)} "
               + (f"compromised since {done.retired_at}" if done.compromised else f"retired {done.retired_at}"))
    if done.compromised:
        typer.echo(f"{len(done.suspects)} held versions from {partner} were made since then and signed by the "
                   "compromised key" + (" (purge them):" if done.suspects else ""))
        for s in done.suspects:
            typer.echo(f"  {s['id']}  v{s['version']}  made {s['modified']}")


@partner_app.command("keys")
def keys(partner: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """The key pinned for `partner`, the keys it retired (rotation or repin) with their periods, and the
    versions held from it that a compromised key signed after its compromise time (to purge)."""
    from vinculo.federation.rotation import suspects as held_suspects
    from vinculo.node.key_periods import history

    n = node()
    with errors():
        row = fed_partners.partner_row(n, partner)
    with n.engine.connect() as conn:
        rows = history(conn, partner)
    suspects = held_suspects(n, partner)
    if as_json:
        emit_json({"public_key": row.public_key, "fingerprint": fingerprint(row.public_key), "history": rows,
                   "suspects": suspects})
        return
    typer.echo(f"pinned:  {fingerprint(row.public_key)}")
    for r in rows:
        if r["valid_to"]:
            what = "compromised since" if r["compromised"] else "retired"
            typer.echo(f"{'old:':<8} {r['fingerprint']}  {what} {r['valid_to']}  (came in: {r['valid_from'] or 'first'})")
    for s in suspects:
        typer.echo(f"suspect: {s['id']}  v{s['version']}  made {s['modified']}, signed by a compromised key")


@partner_app.command("receipts")
def receipts(partner: str, status: str = typer.Option(None, "--status", help="stored, withdrawn or purged"),
             limit: int = typer.Option(50, "--limit"), as_json: bool = typer.Option(False, "--json")) -> None:
    """Receipts `partner` returned for what we released (incl. withdrawals it applied)."""
    rows = fed_receipts.list_receipts(node(), partner, status, limit)
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        typer.echo(f"{r['record_id']}  v{r['version']}  {r['status']:<9} received {r['received_at']}")


def _withheld(values: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for v in values:
        rtype, _, fieldname = v.partition(":")
        if not fieldname:
            raise typer.BadParameter(f"--withhold {v!r}: use TYPE:FIELD, e.g. person:date_of_birth")
        out.setdefault(rtype, []).append(fieldname)
    return out


@agreement_app.command("set")
def set_(partner: str,
         file: Path = typer.Option(None, "--file", help="JSON file with the terms (options below override it)."),
         types: str = typer.Option(None, "--types", help="Record types, comma-separated."),
         max_tlp: str = typer.Option(None, "--max-tlp"),
         withhold: list[str] = typer.Option(None, "--withhold", help="TYPE:FIELD, repeatable."),
         handling_required: str = typer.Option(None, "--handling-required"),
         handling_refused: str = typer.Option(None, "--handling-refused"),
         purpose: str = typer.Option(None, "--purpose"), retention_days: int = typer.Option(None, "--retention-days"),
         onward: bool = typer.Option(None, "--onward/--no-onward",
                                     help="May the partner relay what we mark onward (TLP:CLEAR/GREEN, H0/H1)?"),
         relay: str = typer.Option(None, "--relay", help="Origins whose H2 records may be relayed, comma-separated."),
         start: str = typer.Option(None, "--start"),
         end: str = typer.Option(None, "--end", help='Last day in force; --end "" makes it open-ended.'),
         yes: bool = typer.Option(False, "--yes", "-y", help="Withdraw what the change withdraws without asking.")
         ) -> None:
    """Change the agreement with `partner`: a new version with the terms given, the others kept from the
    version in force. A first agreement states --types, --max-tlp and --start. A change that withdraws
    records the partner holds says how many and asks first (--yes for scripts; no terminal: refused)."""
    terms: dict = json.loads(file.read_text()) if file else {}
    split = lambda v: [x.strip() for x in v.split(",") if x.strip()]  # noqa: E731
    for key, value in (("record_types", split(types) if types is not None else None), ("max_tlp", max_tlp),
                       ("withheld_fields", _withheld(withhold) if withhold else None),
                       ("handling_required", split(handling_required) if handling_required is not None else None),
                       ("handling_refused", split(handling_refused) if handling_refused is not None else None),
                       ("purpose", purpose), ("retention_days", retention_days), ("onward_sharing", onward),
                       ("relay_origins", split(relay) if relay is not None else None), ("start", start)):
        if value is not None:
            terms[key] = value
    if end is not None:
        terms["end"] = end or None
    n = node()
    with errors():
        change = plan_change(n, partner, terms, merge=True)
    if change.current is not None and not change.changed_terms():
        typer.echo(f"agreement with {partner} unchanged (v{change.current.version})")
        return
    for term, (old, new) in change.changed_terms().items():
        typer.echo(f"  {term}: {_term(old)} -> {_term(new)}")
    count = change.withdrawals.count
    if count and not yes:
        question = f"this change withdraws {change.withdrawals.summary()}; go on?"
        if not sys.stdin.isatty():
            fail(f"{question.removesuffix('; go on?')}: nothing changed; run it in a terminal to confirm, "
                 "or pass --yes", 6)
        if not typer.confirm(question, default=False):
            fail("nothing changed", 1)
    with errors():
        agreement, withdrawn = update_agreement(n, partner, terms, by="cli", merge=True, confirm_withdrawn=count)
    typer.echo(f"agreement with {partner} is now v{agreement.version}"
               + (f"; {withdrawn:,} records it holds will be withdrawn on its next sync" if withdrawn else ""))


def _term(value: object) -> str:
    if isinstance(value, list | dict):
        return json.dumps(value, sort_keys=True) if value else "none"
    return "none" if value is None else str(value)


@agreement_app.command("show")
def show(partner: str, version: int = typer.Option(None, "--version")) -> None:
    n = node()
    with n.engine.connect() as conn:
        history = sharing.agreement_history(conn, partner)
    if not history:
        fail(f"no agreement with {partner}: nothing is shared with it", 4)
    emit_json(next((h for h in history if h["version"] == version), None) if version else history[-1])


@agreement_app.command("list")
def list_agreements() -> None:
    n = node()
    with n.engine.connect() as conn:
        for p in sharing.list_partners(conn):
            a = sharing.current_agreement(conn, p["node_id"])
            if a:
                typer.echo(f"{p['node_id']:<14} v{a.version}  {','.join(sorted(a.record_types))}  "
                           f"max TLP:{a.max_tlp.value.upper()}  {a.start}..{a.end or ''}")
            else:
                typer.echo(f"{p['node_id']:<14} none (nothing is shared)")


@sync_app.command("pull")
def pull(partner: str, page_size: int = typer.Option(500, "--page-size"),
         as_json: bool = typer.Option(False, "--json")) -> None:
    """Pull, verify and store what `partner` releases to this node."""
    try:
        with errors():
            report = fed_sync.pull(node(), partner, page_size)
    except fed_sync.SyncError as exc:
        fail(f"sync with {partner}: {exc}")
    if as_json:
        emit_json(report.__dict__)
        return
    typer.echo(report.line())
    for rid, reason in report.rejected[:20]:
        typer.echo(f"  rejected {rid}: {reason}")


@sync_app.command("run")
def run(page_size: int = typer.Option(500, "--page-size")) -> None:
    """Pull from every partner."""
    failed = False
    for item in fed_sync.run_all(node(), page_size):
        typer.echo(item if isinstance(item, str) else item.line())
        failed |= isinstance(item, str)
    if failed:
        raise typer.Exit(1)
