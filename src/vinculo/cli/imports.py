"""`vinculo import unodc-ids FILE` and `vinculo import records FILE`.

A file refused as a whole (unreadable, not of its format, over a limit of records/importers/limits.py)
is one line on stderr naming the file, the row and the reason, exit code 2; nothing is written."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from vinculo.accounts.model import operator
from vinculo.cli.common import emit_json, errors, fail, node
from vinculo.records.importers.service import ImportFailed, ImportReport, import_file
from vinculo.records.importers.sources import FileSource
from vinculo.records.importers.worker import WorkerFailed

app = typer.Typer(no_args_is_help=True, help="Import records from files (all or nothing by default).")

SkipInvalid = typer.Option(False, "--skip-invalid", help="Import the valid rows; write rejected ones to a reject file.")
RejectFile = typer.Option(None, "--reject-file", help="Where rejected rows go (default: FILE.rejects.csv).")
AsJson = typer.Option(False, "--json", help="Print the report as JSON.")


def _run(source: FileSource, skip: bool, reject: Path | None, as_json: bool) -> None:
    n = node()
    path = source.path
    reject = reject or path.with_name(path.name + ".rejects.csv")
    with Progress(TextColumn("importing {task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), transient=True, disable=as_json) as bar:
        task = bar.add_task(path.name, total=None)
        try:
            with errors():
                report = import_file(n, operator(n.id), source, skip_invalid=skip,
                                     reject_path=reject if skip else None, progress=lambda k: bar.advance(task, k))
        except ImportFailed as exc:
            bar.stop()
            for e in exc.report.errors[:20]:
                typer.echo(str(e), err=True)
            fail(f"{exc.report.rejected} invalid rows of {exc.report.rows}; nothing was imported "
                 "(--skip-invalid imports the valid ones)", 2)
        except WorkerFailed as exc:
            bar.stop()
            fail(f"{path}: {exc}; nothing was imported", 1)
    _print(report, as_json)


def _print(report: ImportReport, as_json: bool) -> None:
    if as_json:
        emit_json(report.__dict__ | {"errors": [str(e) for e in report.errors[:100]]})
        return
    typer.echo(f"{report.source}: {report.rows} rows, {report.imported} imported, {report.duplicates} already "
               f"held, {report.rejected} rejected")
    if report.reject_file:
        typer.echo(f"rejected rows and reasons: {report.reject_file}")
    for what, names in report.unknowns.items():
        shown = ", ".join(f"{k!r} ×{v}" for k, v in names.items())
        typer.echo(f"kept raw (no vocabulary match) {what}: {shown}")
    if report.root:
        typer.echo(f"merkle root of imported versions: {report.root}")


@app.command("unodc-ids")
def unodc_ids(file: Path = typer.Argument(..., exists=True, dir_okay=False), skip_invalid: bool = SkipInvalid,
              reject_file: Path = RejectFile, as_json: bool = AsJson) -> None:
    """Import a UNODC Individual Drug Seizures file (.zip or ;-separated .csv)."""
    _run(FileSource("unodc-ids", file), skip_invalid, reject_file, as_json)


@app.command("records")
def records(file: Path = typer.Argument(..., exists=True, dir_okay=False),
            record_type: str = typer.Option(None, "--type", help="Record type of every row (CSV files)."),
            skip_invalid: bool = SkipInvalid, reject_file: Path = RejectFile, as_json: bool = AsJson) -> None:
    """Import NDJSON (any record type) or CSV (one --type) in Vinculo's own record format."""
    if file.suffix.lower() == ".csv":
        if not record_type:
            fail("CSV files need --type (e.g. --type seizure)", 2)
        _run(FileSource("csv", file, record_type), skip_invalid, reject_file, as_json)
    else:
        _run(FileSource("ndjson", file), skip_invalid, reject_file, as_json)
