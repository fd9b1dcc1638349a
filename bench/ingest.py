"""Benchmark: import the 311,038-row UNODC IDS file into a fresh SQLite node, against a raw
`sqlite3.executemany` of the same parsed rows into a plain table, in the same run.

    .venv/bin/python bench/ingest.py [--rows N] [--file PATH] [--db postgresql+psycopg://...]

Prints records/s for both and the ratio (goal: Vinculo >= 1/3 of the raw rate).

With `--db URL` (PostgreSQL) the same run also imports the file into a node on that server (a fresh
schema, dropped afterwards) and times a raw `COPY` of the same rows into a plain table there (psycopg 3,
cells as read and typed): goals, import on PostgreSQL >= 0.8x the SQLite import and >= 1/3 of the raw COPY.
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
import uuid
import zipfile
from pathlib import Path

import sqlalchemy as sa

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


def raw_copy_rate(path: Path, limit: int | None, url: str, typed: bool) -> tuple[int, float]:
    """Rows read from the zip and streamed with one COPY into a PostgreSQL table without indexes."""
    import psycopg

    t0 = time.perf_counter()
    header, rows = _read_csv(path, limit)
    if typed:
        rows = [_typed(r) for r in rows]
    dsn = sa.engine.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(f"CREATE TEMP TABLE ids ({', '.join(f'c{i} text' for i in range(len(header)))})")
        with cur.copy("COPY ids FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        conn.commit()
    return len(rows), time.perf_counter() - t0


class Schema:
    """A fresh PostgreSQL schema for the node, dropped afterwards."""

    def __init__(self, url: str):
        self.url, self.name = url, "bench_" + uuid.uuid4().hex[:12]

    def __enter__(self) -> str:
        engine = sa.create_engine(self.url)
        with engine.begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {self.name}"))
        engine.dispose()
        sep = "&" if "?" in self.url else "?"
        return f"{self.url}{sep}options=-csearch_path%3D{self.name}"

    def __exit__(self, *exc: object) -> None:
        engine = sa.create_engine(self.url)
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {self.name} CASCADE"))
        engine.dispose()


def vinculo_rate(path: Path, limit: int | None, home: Path, db_url: str | None = None) -> tuple[int, float]:
    node = init_node(resolve(home, db_url), "bench", "Benchmark node", "US")
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
    ap.add_argument("--db", default=None, help="Also import into a node on this PostgreSQL URL, against a raw COPY.")
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
    if args.db:
        with tempfile.TemporaryDirectory() as tmp, Schema(args.db) as url:
            n_copy, t_copy = raw_copy_rate(args.file, args.rows, args.db, typed=False)
            n_ctyped, t_ctyped = raw_copy_rate(args.file, args.rows, args.db, typed=True)
            n_pg, t_pg = vinculo_rate(args.file, args.rows, Path(tmp) / "node", url)
        copy, ctyped, pg = n_copy / t_copy, n_ctyped / t_ctyped, n_pg / t_pg
        print(f"raw PostgreSQL COPY, cells as read (parse included): {n_copy} rows in {t_copy:.2f} s = {copy:,.0f} rows/s")
        print(f"raw PostgreSQL COPY, typed (trim, date, number):    {n_ctyped} rows in {t_ctyped:.2f} s = "
              f"{ctyped:,.0f} rows/s")
        print(f"vinculo import into PostgreSQL: {n_pg} records in {t_pg:.2f} s = {pg:,.0f} records/s")
        print(f"ratio PostgreSQL/SQLite import = {pg / vin:.3f} (goal >= 0.8); vinculo/raw COPY = {pg / copy:.3f} "
              f"(cells as read), {pg / ctyped:.3f} (typed); goal >= 0.333")

if __name__ == "__main__":
    main()
