"""Fuzzing the importers: random bytes and random rows give parsed rows or one clean refusal, never a
traceback; every row they accept can be prepared (canonical JSON, hashes) and imported on both databases."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vinculo.accounts.model import Actor
from vinculo.records.importers.limits import ImportRejected
from vinculo.records.importers.prepare import prepare
from vinculo.records.importers.rows import Unknowns
from vinculo.records.importers.service import ImportFailed, import_rows
from vinculo.records.importers.sources import FileSource
from vinculo.records.importers.unodc import COLUMNS, FormatError
from vinculo.records.types import BODY_TYPES

CLEAN = (ImportRejected, FormatError, ValueError)  # what a refused file may raise: each names file and reason
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                         HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20)
SEIZURE_FIELDS = ["date", "country", "substance", "quantity.amount", "quantity.unit", "place", "transit_countries",
                  "markings.tlp", "key", "form"]
cells = st.text(max_size=40) | st.sampled_from(["", "MX", "US", "2025-01-02", "fentanyl", "kg", "25", "-1", "1e400",
                                                 "99999999999999999999999", "amber", "=cmd|'/C calc'!A0", "\x00"])


def _rows(source: FileSource) -> list:
    """Parse the whole file: a list of parsed rows, or a clean refusal (re-raised)."""
    rows = list(source.rows(Unknowns()))
    for row in rows:
        assert row.row >= 1 and all(e.field and e.reason for e in row.errors)
        if not row.errors:
            prepare([row], "us-dea", "2025-01-01T00:00:00Z", {})  # accepted rows serialise and hash
    return rows


def _parse_or_refuse(source: FileSource) -> list:
    try:
        return _rows(source)
    except CLEAN as exc:
        assert str(exc).strip() and "\n" not in str(exc).strip()
        return []


def _zip_of(data: bytes, path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("ids.csv", data)
    return path


@FAST
@given(data=st.binary(max_size=3000))
def test_random_bytes_in_every_format(tmp_path_factory, data):
    tmp = tmp_path_factory.mktemp("fuzz")
    for name, fmt in (("r.ndjson", "ndjson"), ("r.csv", "csv"), ("ids.csv", "unodc-ids"), ("raw.zip", "unodc-ids")):
        path = tmp / name
        path.write_bytes(data)
        _parse_or_refuse(FileSource(fmt, path, "seizure" if fmt == "csv" else None))
    _parse_or_refuse(FileSource("unodc-ids", _zip_of(data, tmp / "ids.zip")))


@FAST
@given(objects=st.lists(st.fixed_dictionaries({"type": st.sampled_from(list(BODY_TYPES)) | st.text(max_size=8),
                                               "body": json_values}, optional={"markings": json_values,
                                                                               "key": json_values}), max_size=6))
def test_random_ndjson_rows(tmp_path_factory, objects):
    path = tmp_path_factory.mktemp("fuzz") / "r.ndjson"
    path.write_text("\n".join(json.dumps(o) for o in objects) + "\n", encoding="utf-8")
    _parse_or_refuse(FileSource("ndjson", path))


@FAST
@given(header=st.lists(st.sampled_from(SEIZURE_FIELDS) | st.text(max_size=12), min_size=1, max_size=8),
       rows=st.lists(st.lists(cells, max_size=9), max_size=6))
def test_random_csv_rows(tmp_path_factory, header, rows):
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    path = tmp_path_factory.mktemp("fuzz") / "r.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    _parse_or_refuse(FileSource("csv", path, "seizure"))


@FAST
@given(rows=st.lists(st.lists(cells, min_size=15, max_size=17), max_size=6), zipped=st.booleans())
def test_random_unodc_rows(tmp_path_factory, rows, zipped):
    text = ";".join(COLUMNS) + "\n" + "\n".join(";".join(c.replace(";", ",") for c in r) for r in rows) + "\n"
    tmp = tmp_path_factory.mktemp("fuzz")
    path = _zip_of(text.encode(), tmp / "ids.zip") if zipped else tmp / "ids.csv"
    if not zipped:
        path.write_text(text, encoding="utf-8")
    _parse_or_refuse(FileSource("unodc-ids", path))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(objects=st.lists(st.fixed_dictionaries({"type": st.just("seizure"), "body": st.fixed_dictionaries(
    {"date": st.just("2025-01-02"), "country": st.sampled_from(["MX", "US"]), "substance": st.just("fentanyl")},
    optional={"place": st.text(max_size=40), "description": st.text(max_size=40),
              "quantity": st.fixed_dictionaries({"amount": st.integers() | st.floats(), "unit": st.just("kg")})})}),
    min_size=1, max_size=4))
def test_accepted_rows_import_on_the_database(node, tmp_path_factory, objects):
    """What the parser accepts the database stores (text with any character, numbers at the limits)."""
    path = tmp_path_factory.mktemp("fuzz") / "r.ndjson"
    path.write_text("\n".join(json.dumps(o) for o in objects) + "\n", encoding="utf-8")
    source = FileSource("ndjson", path)
    try:
        import_rows(node, Actor("ana", "analyst", node.id), str(path), source.rows(Unknowns()))
    except ImportFailed as exc:
        assert exc.report.errors and all(str(path) in str(e) for e in exc.report.errors)


@pytest.mark.parametrize("line", [
    '{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}',
    '{"a": "\\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\\"}',
])
def test_brackets_inside_strings_are_not_nesting(tmp_path, line):
    path = tmp_path / "r.ndjson"
    path.write_text(json.dumps({"type": "seizure", "body": json.loads(line)}) + "\n")
    [row] = _rows(FileSource("ndjson", path))
    assert not any("nested" in e.reason for e in row.errors)
