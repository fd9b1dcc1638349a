"""Planned operations (``event`` records) as space-time cells, and their exact overlap test (pure).

Locally two events conflict when their windows overlap in time and their circles overlap in space
(centre distance <= r1 + r2). Between partners the circles and windows cannot be shown, so each
event is discretised into *cells*: every grid cell of ``CELL_DEG`` x ``CELL_DEG`` degrees that the
circle touches, times every UTC day the window touches; the cells are the PSI set (kind
``event-cell``), one key per (cell, day).

Resolution trade-off. The cover is conservative: two circles that overlap share a point, that point
lies in a cell both covers contain, on a day both windows contain, so a real conflict is never
missed. The price is false alarms: events up to one cell diagonal (about 7 km at 0.05 degrees) apart,
or on the same day but at different hours, also share a cell. Finer cells mean fewer false alarms but
more cells per event (about (2r / cell + 1)^2 per day, so a 10 km radius is ~25 cells a day at 0.05
degrees and ~150 at 0.02), which eats into the agreement's ``psi_max_set_size``, and a matched cell
tells the partner more precisely where and when we operate. 0.05 degrees and one day is the default:
city-district precision, a few dozen keys per event-day. Both sides must use the same resolution
(it is part of every key, so a mismatch finds nothing rather than wrong matches).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

from vinculo.deconfliction.base import Selector, invalid, ok

KIND = "event-cell"
CELL_DEG = 0.05
EARTH_M = 6_371_008.8
MAX_CELLS = 20_000
"""Refuse (flag as invalid) an event whose cover would exceed this many keys."""


def parse_time(value: str) -> dt.datetime:
    """An RFC 3339 time as an aware UTC datetime."""
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("no UTC offset")
    return parsed.astimezone(dt.UTC)


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_M * math.asin(min(1.0, math.sqrt(h)))


def _days(begins: dt.datetime, ends: dt.datetime) -> list[str]:
    last = (ends - dt.timedelta(microseconds=1)).date()
    day, out = begins.date(), []
    while day <= last:
        out.append(day.isoformat())
        day += dt.timedelta(days=1)
    return out


def _cells(lat: float, lon: float, radius: float, size: float) -> list[tuple[int, int]]:
    dlat = math.degrees(radius / EARTH_M)
    dlon = math.degrees(radius / (EARTH_M * max(0.01, math.cos(math.radians(lat)))))
    wrap = round(360 / size)
    out = []
    for i in range(math.floor((lat - dlat) / size), math.floor((lat + dlat) / size) + 1):
        south, north = i * size, (i + 1) * size
        near_lat = min(max(lat, south), north)
        for j in range(math.floor((lon - dlon) / size), math.floor((lon + dlon) / size) + 1):
            west, east = j * size, (j + 1) * size
            near_lon = min(max(lon, west), east)
            if distance_m(lat, lon, near_lat, near_lon) <= radius:
                out.append((i, (j + wrap // 2) % wrap - wrap // 2))
    return out


def cell_selectors(body: Mapping[str, Any], size: float = CELL_DEG) -> list[Selector]:
    """The (cell, day) keys covering one event body; an invalid selector when the body cannot be read."""
    try:
        begins, ends = parse_time(body["begins"]), parse_time(body["ends"])
        lat, lon = float(body["coordinates"]["lat"]), float(body["coordinates"]["lon"])
        radius = float(body["radius_m"])
    except (KeyError, TypeError, ValueError):
        return [invalid(KIND, body.get("begins", "?") if isinstance(body, Mapping) else body,
                        "an event needs begins, ends, coordinates and radius_m")]
    days = _days(begins, ends)
    cells = _cells(lat, lon, radius, size)
    if len(days) * len(cells) > MAX_CELLS:
        return [invalid(KIND, f"{lat},{lon} r={radius}", f"more than {MAX_CELLS} space-time cells")]
    return [ok(KIND, f"{size:g}|{i}|{j}|{day}") for day in days for i, j in cells]


def overlap(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict | None:
    """How two event bodies conflict (window and distance), or None when they do not."""
    try:
        a0, a1, b0, b1 = (parse_time(x[k]) for x in (a, b) for k in ("begins", "ends"))
        dist = distance_m(a["coordinates"]["lat"], a["coordinates"]["lon"],
                          b["coordinates"]["lat"], b["coordinates"]["lon"])
        reach = float(a["radius_m"]) + float(b["radius_m"])
    except (KeyError, TypeError, ValueError):
        return None
    if not (a0 < b1 and b0 < a1) or dist > reach:
        return None
    start, end = max(a0, b0), min(a1, b1)
    return {"from": start.strftime("%Y-%m-%dT%H:%M:%SZ"), "to": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "distance_m": round(dist), "reach_m": round(reach)}
