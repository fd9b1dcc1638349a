"""`vinculo case open|advance|event|assure|answer|list|show|deadlines|alerts`."""

from __future__ import annotations

import datetime as dt

import typer

from vinculo.accounts.model import operator
from vinculo.cases import service
from vinculo.cases.kinds import CaseKind
from vinculo.cli.common import emit_json, errors, fail, node

app = typer.Typer(no_args_is_help=True, help="Cases between states: extradition and assistance requests.")

Today = typer.Option(None, "--today", help="Evaluate deadlines as of this date (YYYY-MM-DD; default today).")
Json = typer.Option(False, "--json")


def _day(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(f"--today: not a date (YYYY-MM-DD): {value!r}", 2)
        raise


@app.command("open")
def open_(kind: str = typer.Option(..., "--kind", help="; ".join(k.value for k in CaseKind)),
          requesting: str = typer.Option(..., "--requesting", help="Requesting country (ISO code)."),
          requested: str = typer.Option(..., "--requested", help="Requested country (ISO code)."),
          date: str = typer.Option(..., "--date", help="Date the case was opened (YYYY-MM-DD)."),
          partner: str = typer.Option(None, "--partner", help="The other state's node id."),
          treaty: str = typer.Option(None, "--treaty", help="Rule table, e.g. us-mx-1978."),
          reference: str = typer.Option(None, "--reference"), subject: str = typer.Option(None, "--subject"),
          subject_ref: list[str] = typer.Option(None, "--subject-ref", help="Record id of the person sought."),
          charge: list[str] = typer.Option(None, "--charge"),
          nationality: list[str] = typer.Option(None, "--nationality"),
          red_notice: str = typer.Option(None, "--red-notice"),
          death_penalty: bool = typer.Option(False, "--death-penalty-possible"),
          tlp: str = typer.Option(None, "--tlp"), reason: str = typer.Option("opened", "--reason"),
          as_json: bool = Json) -> None:
    """Open a case (a `case` record, version 1)."""
    n = node()
    data: dict = {"kind": kind, "date": date, "requesting_country": requesting, "requested_country": requested,
                  "treaty": treaty, "reference": reference, "subject": subject, "subject_refs": subject_ref or [],
                  "charges": charge or [], "nationality": nationality or [], "red_notice": red_notice,
                  "death_penalty_possible": death_penalty, "reason": reason}
    if partner:
        side = "requested_node" if n.country == requesting.upper() else "requesting_node"
        data[side] = partner
    data = {k: v for k, v in data.items() if v not in (None, [])}
    with errors():
        record = service.open_case(n, operator(n.id), data, {"tlp": tlp} if tlp else None)
    emit_json(record.document()) if as_json else typer.echo(f"{record.id}  v{record.version}  {record.body['state']}")


@app.command("advance")
def advance(case_id: str, to: str = typer.Argument(..., help="The next state."),
            date: str = typer.Option(..., "--date", help="When it happened (YYYY-MM-DD)."),
            reason: str = typer.Option(..., "--reason"), as_json: bool = Json) -> None:
    """Move a case to its next state (refused with the allowed next steps when not allowed)."""
    n = node()
    with errors():
        record = service.advance_case(n, operator(n.id), case_id, to, date, reason)
    emit_json(record.document()) if as_json else typer.echo(f"{record.id}  v{record.version}  {record.body['state']}")


@app.command("event")
def event(case_id: str, name: str, date: str = typer.Option(..., "--date"),
          note: str = typer.Option("", "--note")) -> None:
    """Record a dated event without a change of state (e.g. objections_filed)."""
    n = node()
    with errors():
        record = service.record_case_event(n, operator(n.id), case_id, name, date, note)
    typer.echo(f"{record.id}  v{record.version}  {name} on {date}")


@app.command("assure")
def assure(case_id: str, kind: str = typer.Option("death_penalty", "--kind"),
           date: str = typer.Option(..., "--date"), by: str = typer.Option(..., "--by"),
           text: str = typer.Option("", "--text")) -> None:
    """Put a diplomatic assurance on file."""
    n = node()
    with errors():
        record = service.add_case_assurance(n, operator(n.id), case_id, kind, date, by, text)
    typer.echo(f"{record.id}  v{record.version}  assurance {kind}")


@app.command("answer")
def answer(case_id: str, text: str = typer.Option(..., "--text"),
           kind: str = typer.Option("response", "--kind", help="response, status or documents-requested"),
           tlp: str = typer.Option(None, "--tlp")) -> None:
    """This node's answer about a case: its own note record referencing the case."""
    n = node()
    with errors():
        record = service.answer_case(n, operator(n.id), case_id, text, kind, {"tlp": tlp} if tlp else None)
    typer.echo(record.id)


@app.command("list")
def list_(overdue: bool = typer.Option(False, "--overdue"), stage: str = typer.Option(None, "--stage"),
          partner: str = typer.Option(None, "--partner"), country: str = typer.Option(None, "--country"),
          kind: str = typer.Option(None, "--kind"), open_only: bool = typer.Option(False, "--open"),
          today: str = Today, as_json: bool = Json) -> None:
    """List cases with their stage, age and overdue deadlines."""
    n = node()
    with errors():
        items = service.list_cases(n, operator(n.id), service.CaseFilters(overdue, stage, partner, country, kind,
                                                                          open_only), _day(today))
    if as_json:
        emit_json(items)
        return
    for s in items:
        late = f"OVERDUE {','.join(s['overdue'])}" if s["overdue"] else ""
        typer.echo(f"{s['id']}  {s['reference'] or '':<14.14}  {s['kind']:<26}  {s['state']:<24}  "
                   f"{s['requesting_country']}->{s['requested_country']}  {s['age_days']:>5}d  {late}")


@app.command("show")
def show(case_id: str, today: str = Today) -> None:
    """A case with its deadlines and the answers about it."""
    n = node()
    with errors():
        emit_json(service.get_case(n, operator(n.id), case_id, _day(today)))


@app.command("deadlines")
def deadlines(case_id: str, today: str = Today, as_json: bool = Json) -> None:
    """The treaty deadlines of a case and their status."""
    n = node()
    with errors():
        items = service.case_deadlines(n, operator(n.id), case_id, _day(today))
    if as_json:
        emit_json(items)
        return
    for d in items:
        typer.echo(f"{d['rule_id']:<28}  due {d['due']}  {d['status']:<8}  {d['reference']}")


@app.command("alerts")
def alerts(today: str = Today, within: int = typer.Option(0, "--within", help="Also steps due within N days."),
           partner: str = typer.Option(None, "--partner"), as_json: bool = Json) -> None:
    """Overdue (and soon due) steps of open cases."""
    n = node()
    with errors():
        items = service.case_alerts(n, operator(n.id), _day(today), within, partner)
    if as_json:
        emit_json(items)
        return
    for a in items:
        typer.echo(f"{a['level']:<8}  {a['case']}  {a['rule_id']:<28}  due {a['due']}  ({a['days']:+d}d)")
