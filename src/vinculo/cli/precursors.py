"""`vinculo precursors control|notify|answer|outcome|list|show|alerts|watch|scorecard`."""

from __future__ import annotations

import datetime as dt
import json

import typer

from vinculo.accounts.model import operator
from vinculo.cases.preexport import ANSWERS, OUTCOMES
from vinculo.cli.common import emit_json, errors, fail, node
from vinculo.precursors import incidents, service
from vinculo.records.control import control_status, statuses

app = typer.Typer(no_args_is_help=True, help="Precursor chemicals: control status and pre-export notifications.")
Json = typer.Option(False, "--json")
Today = typer.Option(None, "--today", help="Evaluate deadlines as of this date (YYYY-MM-DD; default today).")


def _day(value: str | None, name: str = "--today") -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(f"{name}: not a date (YYYY-MM-DD): {value!r}", 2)
        raise


@app.command("control")
def control(substance: str = typer.Argument(None, help="A substance (code, name, alias or CAS)."),
            as_json: bool = Json) -> None:
    """Where chemicals are controlled: 1988 Convention table and year, US list, Mexico, INCB watch."""
    items = [s for s in statuses()] if substance is None else [s for s in [control_status(substance)] if s]
    if substance is not None and not items:
        fail(f"{substance}: listed nowhere in control.csv (not a controlled or watched chemical)", 2)
    if as_json:
        emit_json([s.as_dict() for s in items])
        return
    for s in items:
        typer.echo(f"{s.code:<28} {s.label}")


def _json_object(value: str | None, name: str) -> dict | None:
    if not value:
        return None
    if len(value) > 20_000:
        fail(f"{name}: at most 20,000 characters", 2)
    try:
        data = json.loads(value)
    except ValueError as exc:
        fail(f"{name}: not JSON: {exc}", 2)
        raise
    if not isinstance(data, dict):
        fail(f"{name}: give a JSON object", 2)
    return data


@app.command("incident")
def incident(record: str = typer.Argument(..., help="A stopped/suspicious shipment or a seizure."),
             fields: str = typer.Option(None, "--fields", help='PICS fields as JSON, e.g. {"modus_operandi": "..."}'),
             text: str = typer.Option("", "--text"), tlp: str = typer.Option(None, "--tlp")) -> None:
    """Report an incident to partners and the hub in one step; prints who will receive it."""
    extra = _json_object(fields, "--fields")
    n = node()
    with errors():
        emit_json(incidents.report_incident(n, operator(n.id), record, extra, text, {"tlp": tlp} if tlp else None))


@app.command("incidents")
def incidents_(as_json: bool = Json) -> None:
    """Incidents reported here and by partners."""
    n = node()
    with errors():
        items = incidents.list_incidents(n, operator(n.id))
    if as_json:
        emit_json(items)
        return
    for i in items:
        f = i["fields"]
        typer.echo(f"{i['id']}  {i['origin']:<14}  {f.get('substance', '?'):<20.20}  {f.get('status', '')}")


@app.command("notify")
def notify(shipment: str = typer.Argument(..., help="The shipment record id."),
           importer_node: str = typer.Option(..., "--to", help="The importing authority's node id."),
           reply_days: int = typer.Option(None, "--reply-days", help="Reply period asked for (default 15)."),
           date: str = typer.Option(None, "--date", help="Date sent (YYYY-MM-DD, default today)."),
           reference: str = typer.Option(None, "--reference"),
           fields: str = typer.Option(None, "--fields", help='JSON object, e.g. {"consignee": "..."}'),
           tlp: str = typer.Option(None, "--tlp"), as_json: bool = Json) -> None:
    """Send a pre-export notification made from a shipment to the importing country's node."""
    extra = _json_object(fields, "--fields")
    _day(date, "--date")
    n = node()
    with errors():
        record = service.notify(n, operator(n.id), shipment, importer_node, reply_days=reply_days, on=date,
                                fields=extra, markings={"tlp": tlp} if tlp else None, reference=reference)
    emit_json(record.document()) if as_json else typer.echo(f"{record.id}  v{record.version}  {record.body['state']}")


@app.command("answer")
def answer(case_id: str, what: str = typer.Argument(..., help=", ".join(ANSWERS)),
           text: str = typer.Option("", "--text"), tlp: str = typer.Option(None, "--tlp")) -> None:
    """This node's signed answer to a notification (importer: acknowledged, no-objection,
    legitimate-consignee, objection, information-requested; exporter: information-provided)."""
    n = node()
    with errors():
        record = service.answer(n, operator(n.id), case_id, what, text, {"tlp": tlp} if tlp else None)
    typer.echo(record.id)


@app.command("outcome")
def outcome(case_id: str, what: str = typer.Argument(..., help=", ".join(OUTCOMES)),
            date: str = typer.Option(..., "--date"), reason: str = typer.Option(..., "--reason"),
            seizure: str = typer.Option(None, "--seizure", help="The resulting seizure record id.")) -> None:
    """The exporter records what happened to the shipment."""
    n = node()
    with errors():
        record = service.record_outcome(n, operator(n.id), case_id, what, date, reason, seizure)
    typer.echo(f"{record.id}  v{record.version}  {record.body['state']}")


@app.command("list")
def list_(direction: str = typer.Option(None, "--direction", help="sent, received or copy"),
          company: str = typer.Option(None, "--company"), country: str = typer.Option(None, "--country"),
          substance: str = typer.Option(None, "--substance"), overdue: bool = typer.Option(False, "--overdue"),
          open_only: bool = typer.Option(False, "--open"), today: str = Today, as_json: bool = Json) -> None:
    """Notifications with the importer's decision and the reply deadline."""
    n = node()
    with errors():
        items = service.list_notifications(n, operator(n.id), service.PenFilters(
            direction, company, country, substance, overdue, open_only), _day(today))
    if as_json:
        emit_json(items)
        return
    for s in items:
        late = f"OVERDUE {','.join(s['overdue'])}" if s["overdue"] else ""
        typer.echo(f"{s['id']}  {s['direction']:<8}  {s['substance']:<20.20}  {s['exporting_country']}->"
                   f"{s['importing_country']}  {s['state']:<10}  {s['decision'] or '-':<22}  due {s['reply_due']}  {late}")


@app.command("show")
def show(case_id: str, today: str = Today) -> None:
    n = node()
    with errors():
        emit_json(service.get_notification(n, operator(n.id), case_id, _day(today)))


@app.command("alerts")
def alerts(today: str = Today, as_json: bool = Json) -> None:
    """Overdue acknowledgements and replies, on the exporter's and the importer's node alike."""
    n = node()
    with errors():
        items = service.alerts(n, operator(n.id), _day(today))
    if as_json:
        emit_json(items)
        return
    for a in items:
        typer.echo(f"{a['notification']}  {a['rule_id']:<10}  due {a['due']}  {a['direction']}  {a['substance']}")


@app.command("watch")
def watch(by: str = typer.Option("company", "--by", help="company, country or substance"), today: str = Today,
          as_json: bool = Json) -> None:
    """Notifications by company, country or substance, with objection rates."""
    n = node()
    with errors():
        items = service.watch(n, operator(n.id), by, _day(today))
    if as_json:
        emit_json(items)
        return
    for g in items:
        rate = "-" if g["objection_rate"] is None else f"{g['objection_rate']:.0%}"
        typer.echo(f"{g['key']:<40.40}  {g['notifications']:>4}  objections {g['objections']:>3} ({rate})  "
                   f"stopped {g['stopped']}")


@app.command("scorecard")
def scorecard(partner: str = typer.Option(..., "--partner"), start: str = typer.Option(..., "--from"),
              end: str = typer.Option(..., "--to"), today: str = Today) -> None:
    """Notifications sent to and received from one partner: answered in period, objections, stopped."""
    s, e = _day(start, "--from"), _day(end, "--to")
    n = node()
    with errors():
        emit_json(service.figures(n, operator(n.id), partner, s, e, _day(today)))
