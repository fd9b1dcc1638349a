"""Scorecard trend plots (PNG and SVG) drawn with matplotlib's Agg backend from ``card["trends"]``.

Three charts, each with this node -> partner on the left and partner -> this node on the right:

* ``shared``: records shared per month (bars);
* ``requests``: requests answered per month (bars) and requests overdue at each month's end (line);
* ``extradition``: extradition cases open at each month's end, stacked by stage.

The plotted numbers are the trend series as they stand (see :mod:`vinculo.cases.trends`), so they add up
to the scorecard's figures; no figure is computed here.
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure

CHARTS = ("shared", "requests", "extradition")
FORMATS = ("png", "svg")
_SIDES = (("out", "{node} → {partner}"), ("in", "{partner} → {node}"))


def _frame(card: dict, title: str) -> tuple[Figure, list]:
    fig = Figure(figsize=(11, 4), dpi=100, layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    fig.suptitle(f"{title} — {card['node']} / {card['partner']}, {card['from']}..{card['to']} "
                 f"(as of {card['as_of']})", fontsize=11)
    months = card["trends"]["months"]
    for ax, (_, label) in zip(axes, _SIDES):
        ax.set_title(label.format(node=card["node"], partner=card["partner"]), fontsize=10)
        ax.set_xticks(range(len(months)), months, rotation=60, fontsize=8)
        ax.set_xlim(-0.6, len(months) - 0.4)
        ax.grid(axis="y", alpha=0.3)
        ax.yaxis.get_major_locator().set_params(integer=True)
    return fig, list(axes)


def _tag(bars, gid: str, months: list[str], xs) -> None:
    """Name each bar ``<gid>:<month>`` (its ``id`` in the SVG), so a reader can tell which figure it is."""
    for patch, x in zip(bars, xs):
        patch.set_gid(f"{gid}:{months[x]}")


def _known(values: list) -> tuple[list[int], list[float]]:
    """The months with a value (``None``: after ``as_of``) and those values."""
    xs = [i for i, v in enumerate(values) if v is not None]
    return xs, [values[i] for i in xs]


def figure(card: dict, chart: str) -> Figure:
    """The matplotlib figure of ``chart`` (one of :data:`CHARTS`) for a computed scorecard."""
    if chart not in CHARTS:
        raise ValueError(f"chart: one of {', '.join(CHARTS)}, not {chart!r}")
    trends = card["trends"]
    months = trends["months"]
    n = len(months)
    if chart == "shared":
        fig, axes = _frame(card, "Records shared per month")
        for ax, (side, _) in zip(axes, _SIDES):
            bars = ax.bar(range(n), trends[side]["shared"], color="#1f77b4", label="records")
            _tag(bars, f"{side}-shared", months, range(n))
            ax.set_ylabel("records")
    elif chart == "requests":
        fig, axes = _frame(card, "Requests answered and overdue")
        for ax, (side, _) in zip(axes, _SIDES):
            req = trends[side]["requests"]
            bars = ax.bar(range(n), req["answered"], color="#2ca02c", label="answered in the month")
            _tag(bars, f"{side}-answered", months, range(n))
            ax.plot(*_known(req["overdue"]), color="#d62728", marker="o", label="overdue at month end",
                    gid=f"{side}-overdue")
            ax.set_ylabel("requests")
            ax.legend(fontsize=8, loc="best")
    else:
        fig, axes = _frame(card, "Extradition pipeline: cases open at month end, by stage")
        for ax, (side, _) in zip(axes, _SIDES):
            stages = trends[side]["extradition"]["open_by_stage"]
            xs, _ = _known(trends[side]["extradition"]["open_total"])
            bottom = [0] * len(xs)
            for stage, values in stages.items():
                heights = [values[i] for i in xs]
                bars = ax.bar(xs, heights, bottom=bottom, label=stage.replace("_", " "))
                _tag(bars, f"{side}-{stage}", months, xs)
                bottom = [b + h for b, h in zip(bottom, heights)]
            ax.set_ylabel("cases")
            if stages:
                ax.legend(fontsize=7, loc="best")
            else:
                ax.text(0.5, 0.5, "no open extradition cases", transform=ax.transAxes, ha="center", color="0.4")
    for ax in axes:
        ax.set_ylim(0, max(1.0, ax.get_ylim()[1]))
    return fig


def render(card: dict, chart: str, fmt: str) -> bytes:
    """``chart`` as PNG or SVG bytes."""
    if fmt not in FORMATS:
        raise ValueError(f"format: png or svg, not {fmt!r}")
    out = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {}
    figure(card, chart).savefig(out, format=fmt, metadata=metadata)
    return out.getvalue()


def write_all(card: dict, folder: Path) -> list[Path]:
    """Every chart in both formats into ``folder`` (``scorecard-<chart>.<fmt>``); the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for chart in CHARTS:
        for fmt in FORMATS:
            path = folder / f"scorecard-{chart}.{fmt}"
            path.write_bytes(render(card, chart, fmt))
            written.append(path)
    return written
