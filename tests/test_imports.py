"""Importers: the real UNODC file, Vinculo's own NDJSON/CSV, and every kind of bad input."""

import io
import json
import zipfile
from pathlib import Path

import pytest
from conftest import SEIZURE

from vinculo.audit.checks import verify_node
from vinculo.records import service
from vinculo.records.importers import native, unodc
from vinculo.records.importers.rows import Unknowns
from vinculo.records.importers.service import ImportFailed, import_rows
from vinculo.records.model import validate_body
from vinculo.records.query import build_filters

UNODC_ZIP = Path(__file__).parent.parent / "examples" / "data" / "drug-trafficking-unodc.zip"
GOOD_ROW = ("Americas;Central America;Mexico;Baja California;Tijuana;2014-03-02;Fentanyl;2.5;Kilogram;"
            "Vehicle;Land border crossing;Private vehicle;Unknown;Mexico;United States of America;Border - outbound")


def unodc_sample(tmp_path, rows: int = 400, extra: list[str] | None = None) -> Path:
    with zipfile.ZipFile(UNODC_ZIP) as zf, zf.open(zf.namelist()[0]) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig")
        lines = [next(text).rstrip("\n") for _ in range(rows + 1)]
    path = tmp_path / "ids.csv"
    path.write_text("\n".join(lines + (extra or [])) + "\n", encoding="utf-8")
    return path


def run_unodc(node, who, path, **kw):
    unknowns = Unknowns()
    return import_rows(node, who, str(path), unodc.parse(path, unknowns), unknowns=unknowns, **kw)


def test_real_rows_import_and_reimport_adds_nothing(node, analyst, tmp_path):
    path = unodc_sample(tmp_path, 400, [GOOD_ROW, GOOD_ROW])
    report = run_unodc(node, analyst, path)
    assert report.rows == 402 and report.imported == 402 and report.rejected == 0 and report.root
    again = run_unodc(node, analyst, path)
    assert again.imported == 0 and again.duplicates == 402
    assert service.count_records(node, analyst, build_filters(type_="seizure")) == 402
    mx = service.list_records(node, analyst, build_filters(country="MX", substance="fentanyl"), None, 10)
    assert len(mx.items) == 2  # the two identical rows are two seizures, each imported once
    body = mx.items[0]["body"]
    assert body["quantity"] == {"amount": 2.5, "unit": "kg", "kg": 2.5}
    assert body["destination_country"] == "US" and body["source"]["dataset"] == "unodc-ids"
    validate_body("seizure", body)  # the fast importer builds bodies the model accepts
    assert verify_node(node).ok  # the assembled canonical bytes are RFC 8785's: hashes recompute


def test_whole_zip_parses_without_errors():
    unknowns = Unknowns()
    bad = [r for r in unodc.parse(UNODC_ZIP, unknowns) if r.errors]
    assert len(bad) == 0, [f"{r.row}: {r.errors}" for r in bad[:5]]


@pytest.mark.parametrize("row, field", [
    (GOOD_ROW.replace("2014-03-02", "2014-02-30"), "SEIZURE_DATE"),
    (GOOD_ROW.replace("2014-03-02", "yesterday"), "SEIZURE_DATE"),
    (GOOD_ROW.replace(";2.5;", ";two;"), "AMOUNT"),
    (GOOD_ROW.replace(";2.5;", ";-4;"), "AMOUNT"),
    (GOOD_ROW.replace("Kilogram", "Parsec"), "DRUG_UNIT"),
    (GOOD_ROW.replace(";Mexico;Baja", ";Atlantis;Baja"), "COUNTRY"),
    (GOOD_ROW.replace(";Fentanyl;", ";;"), "DRUG_NAME"),
    ("Americas;Central America;Mexico;too;few", "row"),
])
def test_bad_rows_reject_the_whole_file(node, analyst, tmp_path, row, field):
    path = unodc_sample(tmp_path, 50, [row])
    with pytest.raises(ImportFailed) as err:
        run_unodc(node, analyst, path)
    first = err.value.report.errors[0]
    assert first.row == 52 and first.error.field == field
    assert str(first).startswith(f"{path}:52: {field}: ")
    assert service.count_records(node, analyst, build_filters()) == 0  # nothing half-written


def test_skip_invalid_writes_rejects(node, analyst, tmp_path):
    path = unodc_sample(tmp_path, 20, [GOOD_ROW.replace("Kilogram", "Parsec"), GOOD_ROW])
    rejects = tmp_path / "rejects.csv"
    report = run_unodc(node, analyst, path, skip_invalid=True, reject_path=rejects)
    assert report.imported == 21 and report.rejected == 1
    text = rejects.read_text()
    assert "DRUG_UNIT: unknown unit 'Parsec'" in text and "22" in text


def test_unknown_substance_is_kept_raw_and_counted(node, analyst, tmp_path):
    path = unodc_sample(tmp_path, 5, [GOOD_ROW.replace(";Fentanyl;", ";Zombie dust;")])
    report = run_unodc(node, analyst, path)
    assert report.imported == 6 and report.unknowns["substance"] == {"Zombie dust": 1}
    found = service.list_records(node, analyst, build_filters(text="zombie"), None, 5).items
    assert found[0]["body"]["substance_raw"] == "Zombie dust" and "substance" not in found[0]["body"]


def test_not_a_unodc_file(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a;b;c\n1;2;3\n")
    with pytest.raises(unodc.FormatError, match="missing columns"):
        list(unodc.parse(path, Unknowns()))


def test_ndjson_records(node, analyst, tmp_path):
    lines = [
        {"type": "seizure", "body": SEIZURE, "markings": {"tlp": "green"}},
        {"type": "person", "key": "p1", "body": {"full_name": "Juan Pérez López", "date_of_birth": "1980-02-03",
                                                  "nationality": ["MX"]}},
        {"type": "organization", "body": {"name": "Química Ejemplo S.A. de C.V.", "kind": "company", "country": "MX"}},
    ]
    path = tmp_path / "r.ndjson"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    report = import_rows(node, analyst, str(path), native.parse_ndjson(path))
    assert report.imported == 3
    assert import_rows(node, analyst, str(path), native.parse_ndjson(path)).imported == 0


def test_ndjson_errors_name_line_and_field(node, analyst, tmp_path):
    path = tmp_path / "r.ndjson"
    path.write_text(json.dumps({"type": "seizure", "body": SEIZURE}) + "\n{not json\n"
                    + json.dumps({"type": "seizure", "body": SEIZURE | {"date": "2025-02-31"}}) + "\n")
    with pytest.raises(ImportFailed) as err:
        import_rows(node, analyst, str(path), native.parse_ndjson(path))
    errors = [str(e) for e in err.value.report.errors]
    assert errors[0].startswith(f"{path}:2: line: not JSON")
    assert errors[1].startswith(f"{path}:3: date:")
    assert service.count_records(node, analyst, build_filters()) == 0


def test_csv_records(node, analyst, tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("key,date,country,substance,quantity.amount,quantity.unit,transit_countries,markings.tlp\n"
                    "a1,2025-01-02,MX,ANPP,25,kg,GT|SV,amber\n"
                    "a2,2025-01-03,MX,21409-26-7,3,lb,,green\n")
    report = import_rows(node, analyst, str(path), native.parse_csv(path, "seizure"))
    assert report.imported == 2
    items = service.list_records(node, analyst, build_filters(substance="anpp"), None, 10).items
    assert {i["body"]["quantity"]["kg"] for i in items} == {25.0, 3 * 0.45359237}
    bad = tmp_path / "bad.csv"
    bad.write_text("date,country,substance\n2025-01-02,MX,ANPP\n2025-01-02,XX,ANPP\n")
    with pytest.raises(ImportFailed) as err:
        import_rows(node, analyst, str(bad), native.parse_csv(bad, "seizure"))
    assert str(err.value.report.errors[0]) == f"{bad}:3: country: unknown country 'XX' (use an ISO 3166-1 code or name)"
