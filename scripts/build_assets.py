#!/usr/bin/env python3
"""`make assets`: copy the web UI's front-end files from web/node_modules into the package.

Run `npm ci --prefix web` first. Output goes to src/vinculo/web/static/vendor/ and is committed, so that
`pip install` needs no npm and the node serves everything itself (no other host at run time).
Maps are turned into SVG path data here, once: us-atlas (already Albers-projected TopoJSON) is decoded
to paths; @svg-maps/mexico already is SVG path data.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = ROOT / "web" / "node_modules"
VENDOR = ROOT / "src" / "vinculo" / "web" / "static" / "vendor"

COPIES = {
    "htmx.org/dist/htmx.min.js": "htmx.min.js",
    "@picocss/pico/css/pico.min.css": "pico.min.css",
    # The API's /docs page (Swagger UI), served by the node instead of a CDN.
    "swagger-ui-dist/swagger-ui-bundle.js": "swagger/swagger-ui-bundle.js",
    "swagger-ui-dist/swagger-ui.css": "swagger/swagger-ui.css",
}


def _arcs(topo: dict) -> list[list[tuple[float, float]]]:
    sx, sy = topo["transform"]["scale"]
    tx, ty = topo["transform"]["translate"]
    out = []
    for arc in topo["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        out.append(points)
    return out


def _ring(arcs: list, indexes: list[int]) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for i in indexes:
        arc = arcs[i] if i >= 0 else arcs[~i][::-1]
        points.extend(arc if not points else arc[1:])
    return points


def _path(rings: list[list[tuple[float, float]]]) -> str:
    parts = []
    for ring in rings:
        pts = [f"{x:.1f},{y:.1f}" for x, y in ring]
        dedup = [p for i, p in enumerate(pts) if i == 0 or p != pts[i - 1]]
        parts.append("M" + "L".join(dedup) + "Z")
    return "".join(parts)


def us_states() -> dict:
    topo = json.loads((MODULES / "us-atlas" / "states-albers-10m.json").read_text())
    arcs = _arcs(topo)
    shapes = []
    for geom in topo["objects"]["states"]["geometries"]:
        polygons = geom["arcs"] if geom["type"] == "MultiPolygon" else [geom["arcs"]]
        rings = [_ring(arcs, ring) for polygon in polygons for ring in polygon]
        shapes.append({"id": geom["id"], "name": geom["properties"]["name"], "path": _path(rings)})
    return {"source": "us-atlas states-albers-10m (U.S. Census Bureau cartographic boundaries)",
            "viewBox": "0 0 975 610", "shapes": sorted(shapes, key=lambda s: s["name"])}


def mx_states() -> dict:
    text = (MODULES / "@svg-maps" / "mexico" / "index.js").read_text()
    data = json.loads(text[text.index("{"): text.rindex("}") + 1])
    shapes = [{"id": loc["id"], "name": loc["name"], "path": loc["path"]} for loc in data["locations"]]
    return {"source": "@svg-maps/mexico (Victor Cazanave, CC BY 4.0)", "viewBox": data["viewBox"],
            "shapes": sorted(shapes, key=lambda s: s["name"])}


def main() -> None:
    (VENDOR / "maps").mkdir(parents=True, exist_ok=True)
    (VENDOR / "swagger").mkdir(parents=True, exist_ok=True)
    for src, dest in COPIES.items():
        shutil.copyfile(MODULES / src, VENDOR / dest)
    for name, build in (("us-states.json", us_states), ("mx-states.json", mx_states)):
        (VENDOR / "maps" / name).write_text(json.dumps(build(), ensure_ascii=False, separators=(",", ":")))
    for f in sorted(VENDOR.rglob("*")):
        if f.is_file():
            print(f"{f.relative_to(ROOT)}  {f.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
