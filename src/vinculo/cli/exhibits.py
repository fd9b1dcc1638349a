"""`vinculo exhibits attach|list|get|lab-result|fetch|purge`: forensic exhibits from the console."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import typer

from vinculo.accounts.model import operator
from vinculo.cli.common import emit_json, errors, fail, node
from vinculo.exhibits import service as exhibits
from vinculo.exhibits import transfer
from vinculo.exhibits.files import CHUNK
from vinculo.records import service

app = typer.Typer(no_args_is_help=True, help="Lab results, photos and PDFs attached to records.")
FileArg = typer.Argument(..., exists=True, dir_okay=False, readable=True)
OutOpt = typer.Option(..., "--out", "-o", help="Where to write the file.")
MethodOpt = typer.Option(..., "--method", help="GC-MS, FTIR, LC-MS, ... (repeat)")
AnalyteOpt = typer.Option(..., "--analyte", help="fentanyl=2.1%, xylazine, ... (repeat)")


def _chunks(path: Path):
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            yield chunk


@app.command("attach")
def attach(record_id: str, file: Path = FileArg,
           caption: str = typer.Option(None, "--caption"),
           keep_metadata: bool = typer.Option(False, "--keep-metadata",
                                              help="Keep EXIF/GPS and other metadata (stripped by default).")) -> None:
    """Attach a photo (JPEG, PNG, WebP) or a PDF to a record; its markings are the record's."""
    n = node()
    with errors():
        rec = exhibits.upload(n, operator(n.id), record_id, _chunks(file), file.name, caption, keep_metadata)
    typer.echo(f"{rec.id}  {rec.body['media_type']}  {rec.body['size']} bytes  sha256 {rec.body['sha256']}")


@app.command("list")
def list_(record_id: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """The attachments of a record you may see."""
    n = node()
    with errors():
        items = exhibits.attachments_of(n, operator(n.id), record_id)
    if as_json:
        emit_json(items)
        return
    for a in items:
        b = a["body"]
        typer.echo(f"{a['id']}  {b.get('media_type', '?'):<16} {b.get('size', 0):>10}  {b.get('filename', '')}"
                   f"{'' if a['has_file'] else '  (bytes not fetched yet)'}")


@app.command("get")
def get(attachment_id: str, out: Path = OutOpt,
        thumbnail: bool = typer.Option(False, "--thumbnail")) -> None:
    """Copy an attachment's file out (audited)."""
    n = node()
    with errors():
        path, _media, _name = exhibits.open_for(n, operator(n.id), attachment_id, thumbnail)
    if out.exists():
        fail(f"{out}: exists; not overwritten", 2)
    shutil.copyfile(path, out)
    typer.echo(str(out))


def _analyte(text: str) -> dict:
    name, _, amount = text.partition("=")
    item: dict = {"analyte": name.strip()}
    amount = amount.strip()
    if not amount:
        item["identified_only"] = True
    elif amount.endswith("mg"):
        item["mg_per_unit"] = _number(amount[:-2], text)
    else:
        item["percent"] = _number(amount.rstrip("%"), text)
    return item


def _number(value: str, where: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"--analyte {where}: give NAME, NAME=PERCENT% or NAME=MGmg") from None


@app.command("lab-result")
def lab_result(seizure_id: str, laboratory: str = typer.Option(..., "--lab"),
               method: list[str] = MethodOpt,
               analyte: list[str] = AnalyteOpt,
               date: str = typer.Option(None, "--date", help="YYYY-MM-DD (default today)"),
               sample: str = typer.Option(None, "--sample"), custody: str = typer.Option(None, "--custody"),
               route: str = typer.Option(None, "--route", help="siegfried, janssen, gupta, one-pot, unknown"),
               tlp: str = typer.Option(None, "--tlp", help="default: the seizure's markings")) -> None:
    """Record a laboratory's analysis of a sample of a seizure."""
    n = node()
    with errors():
        actor = operator(n.id)
        seizure, _ = service.get_record(n, actor, seizure_id)
        body = {"seizure_ref": seizure_id, "laboratory": laboratory, "method": method,
                "date": date or dt.date.today().isoformat(), "analytes": [_analyte(a) for a in analyte],
                "sample_id": sample, "custody_ref": custody, "route_class": route}
        markings = {"tlp": tlp} if tlp else seizure.markings
        rec = service.create_record(n, actor, "lab-result", {k: v for k, v in body.items() if v is not None},
                                    markings)
    typer.echo(rec.id)


@app.command("fetch")
def fetch(partner: str) -> None:
    """Fetch the bytes of a partner's attachments held here (hashes verified); `vinculo sync` does it too."""
    n = node()
    with errors():
        report = transfer.fetch_from(n, partner)
    typer.echo(f"fetched {len(report.fetched)}, rejected {len(report.rejected)}")
    for line in report.rejected:
        typer.echo(f"  - {line}")


@app.command("purge")
def purge() -> None:
    """Delete attachment files no current record names any more (revoked, withdrawn or purged)."""
    n = node()
    with errors():
        gone = exhibits.purge_unreferenced(n)
    typer.echo(f"deleted {len(gone)} files")
