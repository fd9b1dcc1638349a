"""`vinculo records list|show|count`."""

from __future__ import annotations

import typer

from vinculo.accounts.model import operator
from vinculo.cli.common import emit_json, errors, node
from vinculo.records import service
from vinculo.records.query import build_filters

app = typer.Typer(no_args_is_help=True, help="Find and read records (every read is audited).")

Type = typer.Option(None, "--type")
Country = typer.Option(None, "--country", help="ISO code of the country the record is about.")
Substance = typer.Option(None, "--substance", help="Substance code, name or CAS number.")
From = typer.Option(None, "--from", help="Earliest event date (YYYY-MM-DD).")
To = typer.Option(None, "--to", help="Latest event date (YYYY-MM-DD).")
Text = typer.Option(None, "--text", help="Words anywhere in the record.")
Origin = typer.Option(None, "--origin", help="Node the records come from.")


@app.command("list")
def list_(type_: str = Type, country: str = Country, substance: str = Substance, date_from: str = From,
          date_to: str = To, text: str = Text, origin: str = Origin,
          limit: int = typer.Option(20, "--limit"), cursor: int = typer.Option(None, "--cursor"),
          as_json: bool = typer.Option(False, "--json")) -> None:
    """List current records, newest change first."""
    n = node()
    with errors():
        page = service.list_records(n, operator(n.id), build_filters(type_, country, substance, date_from, date_to,
                                                                text, origin), cursor, limit)
    if as_json:
        emit_json({"items": page.items, "next_cursor": page.next_cursor})
        return
    for item in page.items:
        b = item["body"]
        what = b.get("substance") or b.get("substance_raw") or b.get("full_name") or b.get("name") or ""
        qty = b.get("quantity") or {}
        amount = f"{qty.get('amount', '')} {qty.get('unit', '')}".strip()
        typer.echo(f"{item['id']}  v{item['version']}  {b.get('date', ''):<10}  {b.get('country', ''):<2}  "
                   f"{what:<22.22}  {amount:<16}  TLP:{item['markings']['tlp'].upper()}  {item['origin']}")
    if page.next_cursor:
        typer.echo(f"-- more: --cursor {page.next_cursor}")


@app.command("show")
def show(record_id: str, history: bool = typer.Option(False, "--history", help="All versions."),
         as_json: bool = typer.Option(False, "--json")) -> None:
    """Show one record (the view release() allows)."""
    n = node()
    with errors():
        if history:
            emit_json(service.history(n, operator(n.id), record_id))
            return
        _, decision = service.get_record(n, operator(n.id), record_id)
    if as_json:
        emit_json(decision.view)
        return
    emit_json(decision.view)
    for reason in decision.reasons:
        typer.echo(f"# {reason}")


@app.command("count")
def count(type_: str = Type, country: str = Country, substance: str = Substance, date_from: str = From,
          date_to: str = To, text: str = Text, origin: str = Origin,
          as_json: bool = typer.Option(False, "--json")) -> None:
    """Count current records matching the filters."""
    n = node()
    with errors():
        total = service.count_records(n, operator(n.id), build_filters(type_, country, substance, date_from, date_to,
                                                                  text, origin))
    emit_json({"count": total}) if as_json else typer.echo(str(total))


@app.command("sign")
def sign() -> None:
    """Sign this node's versions that a bulk import stored unsigned (`serve` also does it, in the background)."""
    from vinculo.federation.at_rest import sign_all

    n = node()
    with errors():
        signed = sign_all(n)
    typer.echo(f"{signed} version(s) signed" if signed else "every current version of this node is signed")
