"""A compact in-memory adjacency (CSR) of the relationship graph, kept current from the change feed.

Built once per process and database from the current ``relationship`` records (one pass over them, the
endpoints' marking codes in a second), then caught up at every query from the change feed
(``record_versions.seq`` after :attr:`Adjacency.last_seq`): new and changed relationships become edges in a
small overflow list, revoked or replaced ones are marked dead, changed markings update the codes. When
the overflow grows past a tenth of the graph the CSR is rebuilt in memory.

Per node: an ``int8`` marking code (:mod:`vinculo.graph.visibility`); per edge: its relationship's code,
endpoints, id and type. At 1M records and 3M relationships this is a few hundred MB, the ids being most
of it. It holds no content: every record a search returns is decided by ``release()`` before it is shown.
"""

from __future__ import annotations

import threading
import weakref
from array import array
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from sqlalchemy import Connection, Engine, select

from vinculo.graph.rows import raw as _raw
from vinculo.graph.rows import relationship_columns
from vinculo.graph.visibility import MISSING, code_of
from vinculo.records.projection import changes
from vinculo.records.projection import columns as rv_c
from vinculo.store.feed import last_seq

PAGE = 100_000
CHUNK = 500


def _grow(arr: np.ndarray, need: int, fill: int | bool) -> np.ndarray:
    if need <= len(arr):
        return arr
    out = np.full(max(need, 2 * len(arr), 1024), fill, dtype=arr.dtype)
    out[: len(arr)] = arr
    return out


class Adjacency:
    """Nodes ``0..n-1`` (``ids``/``pos``), edges ``0..m-1``, CSR over the edges alive at the last build."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._reset()

    def _reset(self) -> None:
        self.loaded = False
        self.ids: list[str] = []
        self.pos: dict[str, int] = {}
        self.code = np.full(0, MISSING, dtype=np.int8)
        self.e_src = np.zeros(0, dtype=np.int32)
        self.e_dst = np.zeros(0, dtype=np.int32)
        self.e_code = np.full(0, MISSING, dtype=np.int8)
        self.e_alive = np.zeros(0, dtype=bool)
        self.e_rel: list[str] = []
        self.e_type: list[str] = []
        self.m = 0
        self.base_n = 0
        self.off = np.zeros(1, dtype=np.int64)
        self.nbr = np.zeros(0, dtype=np.int32)
        self.nbe = np.zeros(0, dtype=np.int32)
        self.extra: dict[int, list[int]] = {}
        self.has_extra = np.zeros(0, dtype=bool)
        self.last_seq = 0
        self.dead_since_build = 0
        self._types: dict[str, str] = {}
        self._scratch: list[np.ndarray] = []
        self._gen = 0

    @property
    def n(self) -> int:
        return len(self.ids)

    # -- building -------------------------------------------------------------------------------------

    def _node(self, record_id: str) -> int:
        p = self.pos.get(record_id)
        if p is None:
            p = self.pos[record_id] = len(self.ids)
            self.ids.append(record_id)
        return p

    def _fit_nodes(self) -> None:
        self.code = _grow(self.code, self.n, MISSING)
        self.has_extra = _grow(self.has_extra, self.n, False)

    def load(self, conn: Connection) -> None:
        """Build from scratch: the relationships (one keyset-paged pass), then the endpoints' codes."""
        self._reset()
        try:
            self._load(conn)
        except BaseException:
            self._reset()
            raise
        self.loaded = True

    def _load(self, conn: Connection) -> None:
        upto = last_seq(conn)
        src, dst, codes = array("i"), array("i"), array("b")
        pos, ids, e_rel, e_type, types = self.pos, self.ids, self.e_rel, self.e_type, self._types
        after = 0
        cols = (rv_c.seq, rv_c.id, rv_c.markings, rv_c.revoked, *relationship_columns(conn))
        while True:
            rows = _raw(conn, changes(cols, after, upto, rv_c.type == "relationship", current_only=True, limit=PAGE))
            if not rows:
                break
            for _, rel_id, markings, revoked, a, b, rtype in rows:  # the hot loop: kept flat
                if revoked or not a or not b:
                    continue
                p = pos.get(a)
                if p is None:
                    p = pos[a] = len(ids)
                    ids.append(a)
                q = pos.get(b)
                if q is None:
                    q = pos[b] = len(ids)
                    ids.append(b)
                src.append(p)
                dst.append(q)
                codes.append(code_of(markings, False))
                e_rel.append(rel_id)
                e_type.append(types.setdefault(rtype, rtype))
            after = rows[-1][0]
        self.m = len(src)
        self.e_src = np.frombuffer(src, dtype=np.int32).copy()
        self.e_dst = np.frombuffer(dst, dtype=np.int32).copy()
        self.e_code = np.frombuffer(codes, dtype=np.int8).copy()
        self.e_alive = np.ones(self.m, dtype=bool)
        self._fit_nodes()
        found = np.zeros(self.n, dtype=bool)
        code = self.code
        for rid, markings, revoked in _raw(conn, select(rv_c.id, rv_c.markings, rv_c.revoked).where(
                rv_c.type != "relationship", rv_c.current.is_(True), rv_c.seq <= upto)):
            p = pos.get(rid)
            if p is not None:
                code[p] = code_of(markings, revoked)
                found[p] = True
        self._codes_by_id(conn, [ids[p] for p in np.nonzero(~found)[0]])  # relationships as endpoints
        self.last_seq = upto
        self.rebuild()

    @classmethod
    def from_edges(cls, edges: list[tuple[str, str, str, str, int]], codes: dict[str, int]) -> Adjacency:
        """An adjacency from ``(rel_id, source, target, type, code)`` edges and node codes (no database)."""
        adj = cls()
        ends = [(adj._node(a), adj._node(b)) for _, a, b, _, _ in edges]
        adj.m = len(edges)
        adj.e_src = np.array([s for s, _ in ends], dtype=np.int32)
        adj.e_dst = np.array([t for _, t in ends], dtype=np.int32)
        adj.e_code = np.array([e[4] for e in edges], dtype=np.int8)
        adj.e_alive = np.ones(adj.m, dtype=bool)
        adj.e_rel = [e[0] for e in edges]
        adj.e_type = [e[3] for e in edges]
        adj._fit_nodes()
        for record_id, value in codes.items():
            if record_id in adj.pos:
                adj.code[adj.pos[record_id]] = value
        adj.loaded = True
        adj.rebuild()
        return adj

    def _codes_by_id(self, conn: Connection, record_ids: list[str]) -> None:
        for i in range(0, len(record_ids), CHUNK):
            for r in conn.execute(select(rv_c.id, rv_c.markings, rv_c.revoked, rv_c.current)
                                  .where(rv_c.id.in_(record_ids[i : i + CHUNK]))):
                if r.current:
                    self.code[self.pos[r.id]] = code_of(r.markings, r.revoked)

    def rebuild(self) -> None:
        """Lay the CSR out again over the live edges (in memory; numpy sort)."""
        alive = np.nonzero(self.e_alive[: self.m])[0].astype(np.int32)
        ends = np.concatenate([self.e_src[alive], self.e_dst[alive]])
        others = np.concatenate([self.e_dst[alive], self.e_src[alive]])
        order = np.argsort(ends, kind="stable")
        self.nbr = others[order]
        self.nbe = np.concatenate([alive, alive])[order]
        self.off = np.zeros(self.n + 1, dtype=np.int64)
        np.cumsum(np.bincount(ends, minlength=self.n), out=self.off[1:])
        self.base_n = self.n
        self.extra.clear()
        self.has_extra[:] = False
        self.dead_since_build = 0

    # -- following the change feed --------------------------------------------------------------------

    def catch_up(self, conn: Connection) -> int:
        """Apply the record versions written since :attr:`last_seq`; return how many rows were read."""
        upto = last_seq(conn)
        seen = 0
        while self.last_seq < upto:
            rows = conn.execute(changes((rv_c.seq, rv_c.id, rv_c.type, rv_c.markings, rv_c.revoked, rv_c.current,
                                         *relationship_columns(conn)), self.last_seq, upto, limit=PAGE)).all()
            if not rows:
                break
            self._apply(conn, rows)
            seen += len(rows)
            self.last_seq = rows[-1].seq
        self.last_seq = max(self.last_seq, upto)
        if len(self.extra) + self.dead_since_build > max(1000, self.m // 10):
            self.rebuild()
        return seen

    def _apply(self, conn: Connection, rows: list) -> None:
        current = [r for r in rows if r.current]
        rels = [r for r in current if r.type == "relationship"]
        if rels:
            self._drop_old_edges(conn, [r.id for r in rels], rows[0].seq)
        new_nodes: list[str] = []
        for r in rels:
            if r.revoked or not r.src or not r.dst:
                continue
            ends = []
            for ref in (r.src, r.dst):
                if ref not in self.pos:
                    new_nodes.append(ref)
                ends.append(self._node(ref))
            self._add_edge(r.id, ends[0], ends[1], self._types.setdefault(r.rtype, r.rtype),
                           code_of(r.markings, False))
        self._fit_nodes()
        batch = {r.id: code_of(r.markings, r.revoked) for r in current}
        for rid, value in batch.items():
            p = self.pos.get(rid)
            if p is not None:
                self.code[p] = value
        self._codes_by_id(conn, [i for i in dict.fromkeys(new_nodes) if i not in batch])

    def _add_edge(self, rel_id: str, s: int, t: int, rtype: str, value: int) -> None:
        e = self.m
        self.m += 1
        self.e_src = _grow(self.e_src, self.m, 0)
        self.e_dst = _grow(self.e_dst, self.m, 0)
        self.e_code = _grow(self.e_code, self.m, MISSING)
        self.e_alive = _grow(self.e_alive, self.m, False)
        self.e_src[e], self.e_dst[e], self.e_code[e], self.e_alive[e] = s, t, value, True
        self.e_rel.append(rel_id)
        self.e_type.append(rtype)
        for end in (s, t):
            self.extra.setdefault(end, []).append(e)
            self.has_extra[end] = True

    def _drop_old_edges(self, conn: Connection, rel_ids: list[str], before: int) -> None:
        """Mark dead the edges of earlier versions of ``rel_ids`` (found through their old endpoints)."""
        wanted = set(rel_ids)
        ends: set[int] = set()
        cols = (rv_c.id, *relationship_columns(conn))
        for i in range(0, len(rel_ids), CHUNK):
            q = select(*cols).where(rv_c.id.in_(rel_ids[i : i + CHUNK]), rv_c.seq < before)
            for r in conn.execute(q):
                ends.update(self.pos[x] for x in (r.src, r.dst) if x in self.pos)
        for end in ends:
            for e in self.edge_ids_of(end):
                if self.e_alive[e] and self.e_rel[e] in wanted:
                    self.e_alive[e] = False
                    self.dead_since_build += 1

    def edge_ids_of(self, p: int) -> list[int]:
        out = self.nbe[self.off[p] : self.off[p + 1]].tolist() if p < self.base_n else []
        return out + self.extra.get(p, [])

    def scratch(self) -> tuple[int, list[np.ndarray]]:
        """Eight ``int32`` work arrays over the nodes and a fresh stamp: a search marks a node as its own by
        writing the stamp, so the arrays never need clearing (callers hold :attr:`lock`)."""
        if not self._scratch or len(self._scratch[0]) < self.n:
            size = max(1024, self.n + self.n // 4)
            self._scratch = [np.zeros(size, dtype=np.int32) for _ in range(8)]
            self._gen = 0
        self._gen += 1
        return self._gen, self._scratch

    # -- reading --------------------------------------------------------------------------------------

    def gather(self, frontier: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(from, other, edge)`` for every live edge at the nodes of ``frontier`` (vectorised)."""
        base = frontier[frontier < self.base_n]
        starts = self.off[base]
        lens = self.off[base + 1] - starts
        total = int(lens.sum())
        if total:
            shift = np.repeat(starts - (np.cumsum(lens) - lens), lens)
            idx = shift + np.arange(total, dtype=np.int64)
            frm, oth, eid = np.repeat(base, lens), self.nbr[idx], self.nbe[idx]
        else:
            frm = oth = eid = np.zeros(0, dtype=np.int32)
        if self.extra:
            more = frontier[self.has_extra[frontier]]
            if len(more):
                xs = [(int(f), e) for f in more for e in self.extra[int(f)]]
                xf = np.array([f for f, _ in xs], dtype=np.int32)
                xe = np.array([e for _, e in xs], dtype=np.int32)
                xo = np.where(self.e_src[xe] == xf, self.e_dst[xe], self.e_src[xe])
                frm, oth, eid = np.concatenate([frm, xf]), np.concatenate([oth, xo]), np.concatenate([eid, xe])
        live = self.e_alive[eid]
        return frm[live], oth[live], eid[live]


_CACHE: weakref.WeakKeyDictionary[Engine, Adjacency] = weakref.WeakKeyDictionary()
_CACHE_LOCK = threading.Lock()


@contextmanager
def adjacency(engine: Engine, conn: Connection) -> Iterator[Adjacency]:
    """This process's adjacency for ``engine``, built on first use, caught up to what ``conn`` sees and
    held (locked) for the ``with`` block."""
    with _CACHE_LOCK:
        adj = _CACHE.get(engine)
        if adj is None:
            adj = _CACHE[engine] = Adjacency()
    with adj.lock:
        if adj.loaded:
            adj.catch_up(conn)
        else:
            adj.load(conn)
        yield adj


def forget(engine: Engine) -> None:
    """Drop this process's adjacency for ``engine`` (the next query rebuilds it)."""
    with _CACHE_LOCK:
        _CACHE.pop(engine, None)
