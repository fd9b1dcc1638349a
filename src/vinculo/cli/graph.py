"""`vinculo graph neighbours|path|groups|chain`: link analysis over the records you may see."""

from __future__ import annotations

from pathlib import Path

import typer

from vinculo.accounts.model import operator
from vinculo.cli.common import emit_json, errors, fail, node
from vinculo.graph import export, service
from vinculo.graph.service import GraphResult

app = typer.Typer(no_args_is_help=True, help="Link analysis: neighbourhoods, paths, groups, chains; GraphML/CSV.")

Format = typer.Option("table", "--format", help="table, json, graphml or csv")
Out = typer.Option(None, "--out", help="Write here (csv: FILE gets nodes, FILE.edges.csv the edges).")


def _emit(result: GraphResult, fmt: str, out: Path | None) -> None:
    if fmt not in ("table", "json", "graphml", "csv"):
        fail(f"--format: one of table, json, graphml, csv, not {fmt!r}", 2)
    if fmt == "graphml":
        text = export.to_graphml(result)
        Path(out).write_text(text, encoding="utf-8") if out else typer.echo(text, nl=False)
    elif fmt == "csv":
        nodes, edges = export.to_csv(result)
        if out:
            Path(out).write_text(nodes, encoding="utf-8")
            Path(f"{out}.edges.csv").write_text(edges, encoding="utf-8")
        else:
            typer.echo(nodes + "\n" + edges, nl=False)
    elif fmt == "json":
        emit_json(result.to_json())
    else:
        for view in result.nodes:
            row = export.node_row(view)
            typer.echo(f"{row['depth']!s:>2}  {row['id']}  {row['label'][:40]:<40}  TLP:{row['tlp'].upper()}")
        for e in result.edges:
            typer.echo(f"    {e['source']} -[{e['type']}]-> {e['target']}")
        for p in result.paths or ():
            typer.echo("path: " + " -> ".join(p))
        if result.truncated:
            typer.echo("-- truncated: raise the limit to see more")


@app.command("neighbours")
def neighbours(record_id: str, depth: int = typer.Option(2, "--depth", "-k"),
               max_nodes: int = typer.Option(5000, "--max-nodes"), fmt: str = Format, out: Path = Out) -> None:
    """Records within k hops of a record."""
    n = node()
    with errors():
        result = service.neighbourhood(n, operator(n.id), record_id, depth, max_nodes)
    _emit(result, fmt, out)


@app.command("path")
def path(source: str, target: str, max_depth: int = typer.Option(12, "--max-depth"),
         fmt: str = Format, out: Path = Out) -> None:
    """A shortest path between two records."""
    n = node()
    with errors():
        result = service.path(n, operator(n.id), source, target, max_depth)
    if not result.nodes and fmt == "table":
        typer.echo(f"no path within {max_depth} hops")
        return
    _emit(result, fmt, out)


@app.command("groups")
def groups(seed: list[str] = typer.Option(None, "--seed", help="Only the groups of these records."),
           min_size: int = typer.Option(2, "--min-size"), limit: int = typer.Option(100, "--limit"),
           fmt: str = Format, out: Path = Out) -> None:
    """Connected groups of records, largest first."""
    n = node()
    with errors():
        result = service.groups(n, operator(n.id), seed or None, min_size, limit)
    if fmt == "table":
        for i, g in enumerate(result.groups or (), 1):
            typer.echo(f"group {i}: {len(g)} records: {' '.join(g[:8])}{' ...' if len(g) > 8 else ''}")
        return
    _emit(result, fmt, out)


@app.command("chain")
def chain(start: list[str] = typer.Option(None, "--from", help="Start records (default: every one visible)."),
          types: str = typer.Option(",".join(service.CHAIN), "--types", help="Record types in order."),
          limit: int = typer.Option(1000, "--limit"), fmt: str = Format, out: Path = Out) -> None:
    """Chains such as precursor shipment -> lab -> seizure -> organization."""
    n = node()
    with errors():
        result = service.chain(n, operator(n.id), start or None, tuple(t.strip() for t in types.split(",")), limit)
    _emit(result, fmt, out)
