"""Hostile import files, each crafted here from nothing (no fixtures: a plain helper module)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

HEADER = ("REGION;SUBREGION;COUNTRY;ADMINISTRATIVE_DIVISION;PLACE;SEIZURE_DATE;DRUG_NAME;AMOUNT;DRUG_UNIT;"
          "HIDING_PLACE;INSTALLATION;TRANSPORT;PRODUCING_COUNTRY;DEPARTURE_COUNTRY;DESTINATION_COUNTRY;ROUTING")
GOOD_ROW = ("Americas;Central America;Mexico;Baja California;Tijuana;2014-03-02;Fentanyl;2.5;Kilogram;"
            "Vehicle;Land border crossing;Private vehicle;Unknown;Mexico;United States of America;Border - outbound")
SEIZURE = {"date": "2025-06-01", "country": "US", "substance": "fentanyl", "quantity": {"amount": 12.5, "unit": "kg"}}
CSV_HEADER = "date,country,substance,quantity.amount,quantity.unit\n"
GiB = 1 << 30


def zipped(path: Path, member: str, chunks, level: int | None = None) -> Path:
    """A zip whose one member is the concatenation of `chunks` (bytes), streamed: never held whole."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf, \
            zf.open(member, "w", force_zip64=True) as out:
        for chunk in chunks:
            out.write(chunk)
    return path


def blank_lines_zip(path: Path, lines: int) -> Path:
    """A UNODC zip: the header, `lines` blank lines, one good row."""
    block = b"\n" * (1 << 20)
    chunks = [HEADER.encode() + b"\n"] + [block] * (lines // len(block)) + [b"\n" * (lines % len(block))]
    return zipped(path, "ids.csv", chunks + [GOOD_ROW.encode() + b"\n"])


def huge_line_zip(path: Path, size: int = GiB) -> Path:
    """A UNODC zip holding the header and one line of `size` bytes (about 1000 times smaller zipped)."""
    block = b"A" * (1 << 20)
    return zipped(path, "ids.csv", [HEADER.encode() + b"\n"] + [block] * (size // len(block)), level=1)


def sparse(path: Path, size: int = 2 * GiB) -> Path:
    """A file of `size` NUL bytes that takes no disk space (and has no line break)."""
    with open(path, "wb") as fh:
        fh.truncate(size)
    return path


def ndjson(path: Path, *objects: object, raw: bytes = b"") -> Path:
    path.write_bytes(b"".join(json.dumps(o).encode() + b"\n" for o in objects) + raw)
    return path


def seizure_line(**body: object) -> dict:
    return {"type": "seizure", "body": SEIZURE | body}


def run_cli(home: Path, db_url: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environ = os.environ | {"VINCULO_HOME": str(home), "VINCULO_DATABASE_URL": db_url} | (env or {})
    return subprocess.run([sys.executable, "-m", "vinculo.cli.main", *args], capture_output=True, text=True,
                          env=environ, timeout=600, check=False)


PEAK = """
import resource, subprocess, sys
proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)
sys.stderr.write(proc.stderr)
print(proc.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)
"""


def peak_cli(home: Path, db_url: str, *args: str, env: dict | None = None) -> tuple[int, int, str]:
    """Run the CLI under a small parent that reports the largest resident set (MB) of the CLI process
    and of the import worker it waits for: (exit code, peak MB, stderr)."""
    environ = os.environ | {"VINCULO_HOME": str(home), "VINCULO_DATABASE_URL": db_url} | (env or {})
    proc = subprocess.run([sys.executable, "-c", PEAK, sys.executable, "-m", "vinculo.cli.main", *args],
                          capture_output=True, text=True, env=environ, timeout=900, check=False)
    code, peak = proc.stdout.split()
    return int(code), int(peak), proc.stderr
