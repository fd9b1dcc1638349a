"""Small server-drawn SVG charts (no chart library in the browser)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    month: str


def bars(series: list[int], months: list[str], width: float = 240, height: float = 40) -> list[Bar]:
    """One bar per month, scaled to the largest value of the series."""
    top = max(series, default=0) or 1
    step = width / max(len(series), 1)
    out = []
    for i, (value, month) in enumerate(zip(series, months)):
        h = round(height * value / top, 1)
        out.append(Bar(round(i * step, 1), round(height - h, 1), round(max(step - 1, 1), 1), h, value, month))
    return out
