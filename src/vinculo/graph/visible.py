"""The graph as one audience may see it: every record decided by ``release()``, once per query."""

from __future__ import annotations

from sqlalchemy import Connection

from vinculo.graph import index
from vinculo.graph.index import Edge, RecordCache
from vinculo.graph.visibility import edge_readable
from vinculo.sharing.release import Audience, Release, release


class Visible:
    """The graph as one audience may see it; decisions are made once per record and query."""

    def __init__(self, conn: Connection, audience: Audience) -> None:
        self.conn = conn
        self.audience = audience
        self.cache = RecordCache(conn)
        self.decisions: dict[str, Release | None] = {}

    def decision(self, record_id: str) -> Release | None:
        if record_id not in self.decisions:
            record = self.cache.get(record_id)
            self.decisions[record_id] = None if record is None else release(record, self.audience)
        return self.decisions[record_id]

    def node_ok(self, record_id: str) -> bool:
        d = self.decision(record_id)
        return d is not None and d.allowed

    def edge_ok(self, edge: Edge) -> bool:
        if not edge_readable(self.decision(edge.rel_id)):
            return False
        return self.node_ok(edge.source) and self.node_ok(edge.target)

    def expand(self, frontier: list[str]) -> dict[str, list[tuple[Edge, str]]]:
        edges = index.edges_of(self.conn, frontier)
        self.cache.load([e.rel_id for e in edges] + [e.source for e in edges] + [e.target for e in edges])
        wanted = set(frontier)
        out: dict[str, list[tuple[Edge, str]]] = {}
        for edge in edges:
            if not self.edge_ok(edge):
                continue
            for end in (edge.source, edge.target):
                if end in wanted:
                    out.setdefault(end, []).append((edge, edge.other(end)))
        return out

    def view(self, record_id: str) -> dict:
        d = self.decision(record_id)
        assert d is not None and d.view is not None
        return d.view
