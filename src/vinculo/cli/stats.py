"""`vinculo stats import|series|list`: public statistics (CBP, NFLIS, CDC VSRR, UNODC) in the database."""

from __future__ import annotations

import json
import sys

import typer

from vinculo import csvsafe
from vinculo.accounts.model import operator
from vinculo.cli.common import emit_json, errors, fail, node
from vinculo.stats import service
from vinculo.stats.series import StatsFormatError

app = typer.Typer(no_args_is_help=True, help="Public drug statistics as time series.")


@app.command("import")
def import_(source: str = typer.Argument(..., help="cbp, nflis, cdc or unodc"),
            file: str = typer.Argument(..., help="The file as published (.csv, or .zip for UNODC).")) -> None:
    """Import a file: all or nothing; importing it again updates, never duplicates."""
    n = node()
    try:
        with errors():
            result = service.import_file(n, operator(n.id), source, file)
    except (StatsFormatError, FileNotFoundError) as exc:
        fail(str(exc), 2)
        raise
    typer.echo(f"{result.source}: {result.points} points ({result.inserted} new, {result.updated} updated)")


def _dims(values: list[str]) -> dict[str, str]:
    out = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            fail(f"--dim: expected KEY=VALUE, got {item!r}", 2)
        out[key.strip()] = value.strip()
    return out


@app.command("series")
def series(source: str = typer.Argument(None, help="cbp, nflis, cdc or unodc"),
           name: str = typer.Argument(None, help="Series, e.g. events, weight_kg, drug_reports"),
           dim: list[str] = typer.Option(None, "--dim", help="KEY=VALUE (repeatable), e.g. drug=Fentanyl"),
           period_from: str = typer.Option(None, "--from", help="First period (YYYY-MM or YYYY-H1)."),
           period_to: str = typer.Option(None, "--to", help="Last period."),
           by: str = typer.Option(None, "--by", help="Sum over the other dims, keeping these (comma list; "
                                                     "'' for a total per period)."),
           limit: int = typer.Option(None, "--limit"),
           fmt: str = typer.Option("table", "--format", help="table, csv or json")) -> None:
    """Query stored points (or sums per period with --by)."""
    if fmt not in ("table", "csv", "json"):
        fail(f"--format: one of table, csv, json, not {fmt!r}", 2)
    n = node()
    group_by = None if by is None else tuple(k.strip() for k in by.split(",") if k.strip())
    with errors():
        points = service.query_points(n, service.SeriesQuery(source, name, _dims(dim or []), period_from, period_to,
                                                             group_by, limit))
    if fmt == "json":
        emit_json(points)
        return
    keys = sorted({k for p in points for k in p["dims"]})
    if fmt == "csv":
        w = csvsafe.writer(sys.stdout, lineterminator="\r\n")
        w.writerow(["source", "series", *keys, "period", "value", "unit", "attrs"])
        for p in points:
            w.writerow([p["source"], p["series"], *(p["dims"].get(k, "") for k in keys), p["period"],
                        p["value"], p["unit"], json.dumps(p["attrs"], sort_keys=True)])
        return
    for p in points:
        dims = " ".join(f"{k}={p['dims'][k]}" for k in keys if k in p["dims"])
        value = f"{p['value']:,.0f}" if float(p["value"]).is_integer() else f"{p['value']:,.3f}"
        typer.echo(f"{p['source']:<8} {p['series']:<20} {p['period']:<8} {value:>16} {p['unit']:<8} {dims}")


@app.command("list")
def list_(as_json: bool = typer.Option(False, "--json")) -> None:
    """Which series are stored, with point counts and period ranges."""
    items = service.catalogue(node())
    if as_json:
        emit_json(items)
        return
    for c in items:
        typer.echo(f"{c['source']:<8} {c['series']:<20} {c['unit']:<22} {c['points']:>7}  {c['from']}..{c['to']}")
