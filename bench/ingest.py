"""Benchmark: import the 311,038-row UNODC IDS file into a fresh SQLite node, against a raw
`sqlite3.executemany` of the same parsed rows into a plain table, in the same run.

    .venv/bin/python bench/ingest.py [--rows N] [--file PATH]

Prints records/s for both and the ratio (goal: Vinculo >= 1/3 of the raw rate).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import itertools
import sqlite3
import tempfile
import time
import zipfile
from pathlib import Path

from vinculo.accounts.model import operator
from vinculo.node.home import resolve
from vinculo.node.service import init_node
from vinculo.records.importers import unodc
from vinculo.records.importers.rows import Unknowns
from vinculo.records.importers.service import import_file, import_rows
from vinculo.records.importers.sources import FileSource

DEFAULT = Path(__file__).parent.parent / "examples" / "data" / "drug-trafficking-unodc.zip"


def _read_csv(path: Path, limit: int | None) -> tuple[list[str], list[list[str]]]:
    with zipfile.ZipFile(path) as zf, zf.open(zf.namelist()[0]) as fh:
        reader = csv.reader(io.TextIOWrapper(fh, encoding="utf-8-sig", newline=""), delimiter=";")
        header = next(reader)
        return header, list(itertools.islice(reader, limit))


def _typed(cells: list[str]) -> list:
    """The parse a plain loader would do: trimmed text, the date as a date, the amount as a number."""
    row: list = [c.strip() for c in cells]
    try:
        row[5] = dt.date.fromisoformat(row[5][:10]).isoformat()
    except ValueError:
        row[5] = None
    try:
        row[7] = float(row[7].replace(",", ".")) if row[7] else None
    except ValueError:
        row[7] = None
    return row


def raw_rate(path: Path, limit: int | None, db: Path, typed: bool) -> tuple[int, float]:
    """Rows read from the zip and written with one executemany into a table without indexes."""
    t0 = time.perf_counter()
    header, rows = _read_csv(path, limit)
    if typed:
        rows = [_typed(r) for r in rows]
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"CREATE TABLE ids ({', '.join(f'c{i}' for i in range(len(header)))})")
    with conn:
        conn.executemany(f"INSERT INTO ids VALUES ({', '.join('?' * len(header))})", rows)
    conn.close()
    return len(rows), time.perf_counter() - t0


def vinculo_rate(path: Path, limit: int | None, home: Path) -> tuple[int, float]:
    node = init_node(resolve(home), "bench", "Benchmark node", "US")
    t0 = time.perf_counter()
    if limit is None:  # the whole file, as `vinculo import unodc-ids` does it
        report = import_file(node, operator(node.id), FileSource("unodc-ids", path))
    else:
        unknowns = Unknowns()
        rows = itertools.islice(unodc.parse(path, unknowns), limit)
        report = import_rows(node, operator(node.id), str(path), rows, unknowns=unknowns)
    return report.imported, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--file", type=Path, default=DEFAULT)
    ap.add_argument("--rows", type=int, default=None, help="Only the first N rows.")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        n_raw, t_raw = raw_rate(args.file, args.rows, Path(tmp) / "raw.db", typed=False)
        n_typed, t_typed = raw_rate(args.file, args.rows, Path(tmp) / "typed.db", typed=True)
        n_vin, t_vin = vinculo_rate(args.file, args.rows, Path(tmp) / "node")
    raw, typed, vin = n_raw / t_raw, n_typed / t_typed, n_vin / t_vin
    print(f"raw sqlite3.executemany, cells as read (parse included): {n_raw} rows in {t_raw:.2f} s = {raw:,.0f} rows/s")
    print(f"raw sqlite3.executemany, typed (trim, date, number):    {n_typed} rows in {t_typed:.2f} s = "
          f"{typed:,.0f} rows/s")
    print(f"vinculo import (validate, map vocabularies, hash, index, Merkle, audit): {n_vin} records in "
          f"{t_vin:.2f} s = {vin:,.0f} records/s")
    print(f"ratio vinculo/raw = {vin / raw:.3f} (cells as read), {vin / typed:.3f} (typed); goal >= 0.333")

if __name__ == "__main__":
    main()
