"""Paths of the real data files and an independent csv reader for the stats tests."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "examples" / "data"

CBP_FILE = DATA / "nationwide-drugs-fy23-fy26-dec.csv"
NFLIS_FILE = DATA / "NFLIS_Drug_DQS_2026_03_03_13_26_55.csv"
CDC_FILE = DATA / "VSRR_Provisional_Drug_Overdose_Death_Counts.csv"
UNODC_ZIP = DATA / "drug-trafficking-unodc.zip"


def read_dicts(path: Path, delimiter: str = ",") -> list[dict[str, str]]:
    """Independent plain-csv reading used to compute expected figures."""
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


def write_head(
    tmp_path: Path, source: Path, n: int = 3, edit: Callable[[list[str]], list[str]] | None = None
) -> Path:
    """Write the header plus the first ``n`` data lines of a real file, optionally edited, into ``tmp_path``."""
    with open(source, encoding="utf-8", newline="") as handle:
        lines = [handle.readline() for _ in range(n + 1)]
    if edit is not None:
        lines = edit(lines)
    target = tmp_path / source.name
    target.write_text("".join(lines), encoding="utf-8", newline="")
    return target
