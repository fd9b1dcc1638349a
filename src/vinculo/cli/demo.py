"""`vinculo demo`."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def demo(directory: Path = typer.Option(Path("var/demo"), "--dir", help="Where the two demo nodes live."),
             us_port: int = typer.Option(8000, "--us-port"), mx_port: int = typer.Option(8001, "--mx-port"),
             full_unodc: bool = typer.Option(False, "--full-unodc", help="Also import all 311,038 UNODC seizures."),
             serve: bool = typer.Option(True, "--serve/--no-serve", help="Keep both nodes running afterwards."),
             interval: int = typer.Option(30, "--sync-interval")) -> None:
        """Two nodes (US and MX) on loopback: real and made-up records, synced both ways, explained."""
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        from vinculo.demo import run

        with Progress(TextColumn("importing UNODC seizures"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      transient=True) as bar:
            task = bar.add_task("unodc", total=311038)
            run(directory, us_port, mx_port, full_unodc, serve, interval, say=typer.echo,
                progress=lambda k: bar.advance(task, k))
