"""Write a graph result as GraphML (Gephi, i2, yEd) or CSV (nodes and edges), from released views only."""

from __future__ import annotations

import io
from xml.sax.saxutils import quoteattr

from vinculo import csvsafe
from vinculo.graph.service import GraphResult

_LABEL_FIELDS = ("full_name", "name", "reference", "subject", "number", "plate", "substance", "substance_raw",
                 "kind", "relationship_type")
NODE_COLUMNS = ("id", "type", "label", "origin", "version", "tlp", "country", "date", "depth")
EDGE_COLUMNS = ("id", "source", "target", "type")


def label(view: dict) -> str:
    """A short human label for a node from its released view (the id when the body is withheld)."""
    body = view.get("body") or {}
    for key in _LABEL_FIELDS:
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
    return view["id"]


def node_row(view: dict) -> dict:
    body = view.get("body") or {}
    return {"id": view["id"], "type": view["type"], "label": label(view), "origin": view["origin"],
            "version": view["version"], "tlp": view["markings"]["tlp"], "country": body.get("country", ""),
            "date": body.get("date", ""), "depth": view.get("depth", "")}


def to_graphml(result: GraphResult) -> str:
    out = io.StringIO()
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n'
              '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">\n')
    for key in NODE_COLUMNS[1:]:
        out.write(f'  <key id="n_{key}" for="node" attr.name="{key}" attr.type="string"/>\n')
    out.write('  <key id="e_type" for="edge" attr.name="type" attr.type="string"/>\n')
    out.write('  <graph id="vinculo" edgedefault="directed">\n')
    for view in result.nodes:
        row = node_row(view)
        out.write(f'    <node id={quoteattr(row["id"])}>')
        for key in NODE_COLUMNS[1:]:
            if row[key] != "":
                out.write(f'<data key="n_{key}">{_text(row[key])}</data>')
        out.write("</node>\n")
    for e in result.edges:
        out.write(f'    <edge id={quoteattr(e["id"])} source={quoteattr(e["source"])} '
                  f'target={quoteattr(e["target"])}><data key="e_type">{_text(e["type"])}</data></edge>\n')
    out.write("  </graph>\n</graphml>\n")
    return out.getvalue()


def _text(value: object) -> str:
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_csv(result: GraphResult) -> tuple[str, str]:
    """``(nodes.csv, edges.csv)`` contents: cells neutralised (`vinculo.csvsafe`), CRLF rows (RFC 4180), so a
    carriage return inside a cell is quoted rather than read as the end of a row."""
    nodes, edges = io.StringIO(), io.StringIO()
    w = csvsafe.DictWriter(nodes, NODE_COLUMNS, lineterminator="\r\n")
    w.writeheader()
    for view in result.nodes:
        w.writerow(node_row(view))
    w = csvsafe.DictWriter(edges, EDGE_COLUMNS, lineterminator="\r\n")
    w.writeheader()
    for e in result.edges:
        w.writerow({k: e[k] for k in EDGE_COLUMNS})
    return nodes.getvalue(), edges.getvalue()
