"""A graph drawn on the server as SVG: a layered layout (one column per hop from the start record).

No graph library runs in the browser; the page gets plain SVG with links, and a list of the same nodes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from vinculo.graph.export import label

COLUMN = 210
ROW = 64
MARGIN_X = 70
MARGIN_Y = 36
RADIUS = 14
LABEL_CHARS = 28


@dataclass(frozen=True)
class Placed:
    id: str
    type: str
    label: str
    short: str
    depth: int
    x: float
    y: float
    origin: str


@dataclass(frozen=True)
class Line:
    id: str
    type: str
    x1: float
    y1: float
    x2: float
    y2: float
    source: str
    target: str


@dataclass(frozen=True)
class Drawing:
    width: int
    height: int
    nodes: list[Placed]
    lines: list[Line]


def _short(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def layered(nodes: list[dict], edges: list[dict]) -> Drawing:
    """Columns by `depth` (hops from the start); within a column by type then label."""
    columns: dict[int, list[dict]] = defaultdict(list)
    for n in nodes:
        columns[int(n.get("depth") or 0)].append(n)
    placed: dict[str, Placed] = {}
    for col, (depth, members) in enumerate(sorted(columns.items())):
        members.sort(key=lambda n: (n["type"], label(n).casefold(), n["id"]))
        for row, n in enumerate(members):
            text = label(n)
            placed[n["id"]] = Placed(
                n["id"],
                n["type"],
                text,
                _short(text),
                depth,
                MARGIN_X + col * COLUMN,
                MARGIN_Y + row * ROW,
                n["origin"],
            )
    lines = [
        Line(
            e["id"],
            e["type"],
            placed[e["source"]].x,
            placed[e["source"]].y,
            placed[e["target"]].x,
            placed[e["target"]].y,
            e["source"],
            e["target"],
        )
        for e in edges
        if e["source"] in placed and e["target"] in placed
    ]
    tallest = max((len(m) for m in columns.values()), default=1)
    width = MARGIN_X * 2 + max(len(columns) - 1, 0) * COLUMN + 60
    height = MARGIN_Y * 2 + (tallest - 1) * ROW + 24
    return Drawing(int(width), int(height), list(placed.values()), lines)
