"""`vinculo scorecard --partner mx-fgr --period 2025`: cooperation figures, each way, from stored events."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from vinculo import csvsafe
from vinculo.accounts.model import operator
from vinculo.cases.scorecard import rows
from vinculo.cases.scorecard_service import scorecard as compute
from vinculo.cli.common import errors, fail, node


def scorecard(partner: str = typer.Option(..., "--partner", help="The partner node id."),
              period: str = typer.Option(..., "--period", help="2025, 2025-Q2, 2025-06 or a..b dates."),
              csv_out: Path = typer.Option(None, "--csv", help="Also write the figures as CSV here."),
              json_out: Path = typer.Option(None, "--json", help="Also write the scorecard as JSON here."),
              today: str = typer.Option(None, "--today", help="Evaluate as of this date (default today)."),
              plots_dir: Path = typer.Option(None, "--plots", help="Also write the trend plots (PNG and SVG) "
                                                                   "into this folder.")) -> None:
    """Print the cooperation scorecard with a partner and write it as CSV/JSON and trend plots."""
    import datetime as dt

    n = node()
    with errors():
        day = dt.date.fromisoformat(today) if today else None
        card = compute(n, operator(n.id), partner, period, day)
    table = rows(card)
    typer.echo(f"Scorecard {card['node']} <-> {card['partner']}  {card['from']}..{card['to']} (as of {card['as_of']})")
    width = max(len(f) for _, f, _ in table)
    for direction, figure, value in table:
        typer.echo(f"  {direction:<4} {figure:<{width}}  {'-' if value is None else value}")
    if csv_out:
        with open(csv_out, "w", newline="", encoding="utf-8") as handle:
            w = csvsafe.writer(handle, lineterminator="\r\n")
            w.writerow(["partner", "period", "direction", "figure", "value"])
            for direction, figure, value in table:
                w.writerow([partner, card["period"], direction, figure, "" if value is None else value])
    if json_out:
        Path(json_out).write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if plots_dir:
        from vinculo.cases import plots  # matplotlib loads only when plots are asked for

        try:
            written = plots.write_all(card, Path(plots_dir))
        except OSError as exc:
            fail(f"--plots {plots_dir}: {exc.strerror or exc}", 2)
        for path in written:
            typer.echo(f"wrote {path}")
