"""Exploring around a record: its neighbourhood, plus the neighbours of nodes the user expanded,
optionally only records of some types. Each neighbourhood goes through the graph service (release()
per record, audited); merging and filtering here are pure."""

from __future__ import annotations

from collections.abc import Iterable

from vinculo.accounts.model import Actor
from vinculo.graph import service
from vinculo.graph.service import GraphResult
from vinculo.node.context import Node
from vinculo.records.model import FieldError, RecordInvalid
from vinculo.records.types import RECORD_TYPES

MAX_EXPAND = 20


def merge(results: Iterable[GraphResult]) -> GraphResult:
    """One graph from several (a node keeps its smallest depth; an edge appears once)."""
    nodes: dict[str, dict] = {}
    edges: dict[str, dict] = {}
    truncated = False
    for r in results:
        truncated |= r.truncated
        for n in r.nodes:
            old = nodes.get(n["id"])
            if old is None or n.get("depth", 99) < old.get("depth", 99):
                nodes[n["id"]] = n
        for e in r.edges:
            edges.setdefault(e["id"], e)
    return GraphResult(list(nodes.values()), list(edges.values()), truncated)


def only_types(result: GraphResult, types: Iterable[str], keep: Iterable[str] = ()) -> GraphResult:
    """Only nodes of `types` (and those in `keep`), and the edges between the nodes left."""
    wanted = set(types)
    if not wanted:
        return result
    kept = set(keep)
    nodes = [n for n in result.nodes if n["type"] in wanted or n["id"] in kept]
    ids = {n["id"] for n in nodes}
    edges = [e for e in result.edges if e["source"] in ids and e["target"] in ids]
    return GraphResult(nodes, edges, result.truncated, paths=result.paths)


def check_types(types: Iterable[str]) -> tuple[str, ...]:
    out = tuple(t for t in types if t)
    unknown = [t for t in out if t not in RECORD_TYPES]
    if unknown:
        raise RecordInvalid(
            [FieldError("types", f"unknown record types {unknown}; one of {', '.join(RECORD_TYPES)}")]
        )
    return out


def explore(
    node: Node,
    actor: Actor,
    record_id: str,
    k: int = 2,
    types: Iterable[str] = (),
    expand: Iterable[str] = (),
    max_nodes: int = 500,
) -> GraphResult:
    """The neighbourhood of `record_id` within `k` hops, each record of `expand` opened one hop further,
    filtered to `types` (the start and expanded records always stay)."""
    kinds = check_types(types)
    opened = [x for x in dict.fromkeys(expand) if x and x != record_id]
    if len(opened) > MAX_EXPAND:
        raise RecordInvalid([FieldError("expand", f"at most {MAX_EXPAND} expanded records")])
    parts = [service.neighbourhood(node, actor, record_id, k, max_nodes)]
    parts += [service.neighbourhood(node, actor, x, 1, max_nodes) for x in opened]
    merged = merge(parts)
    depth = {n["id"]: n.get("depth", 0) for n in parts[0].nodes}
    for x, part in zip(opened, parts[1:]):  # depth counts from the start record, through the expansion
        base = depth.get(x, k + 1)
        for n in part.nodes:
            depth[n["id"]] = min(depth.get(n["id"], base + n.get("depth", 0)), base + n.get("depth", 0))
    nodes = [n | {"depth": depth.get(n["id"], 0)} for n in merged.nodes]
    return only_types(GraphResult(nodes, merged.edges, merged.truncated), kinds, {record_id, *opened})
