"""`vinculo exhibits` as a user runs it (in process): lab result, attach, list, get, refusals in one line."""

from __future__ import annotations

import hashlib

from conftest import SEIZURE, actor
from images import jpeg_with_gps
from typer.testing import CliRunner

from vinculo.cli.main import app
from vinculo.records import service


def test_cli_lab_result_attach_list_get(node, tmp_path, monkeypatch):
    monkeypatch.setenv("VINCULO_HOME", str(node.home.path))
    monkeypatch.setenv("VINCULO_DATABASE_URL", node.home.db_url)
    seizure = service.create_record(node, actor(node, "analyst"), "seizure", SEIZURE, {"tlp": "amber"})
    cli = CliRunner()
    r = cli.invoke(app, ["exhibits", "lab-result", seizure.id, "--lab", "FGR CGSP", "--method", "GC-MS",
                         "--method", "FTIR", "--analyte", "fentanyl=4.5%", "--analyte", "xylazine",
                         "--date", "2026-02-01", "--route", "gupta"])
    assert r.exit_code == 0, r.output
    lab, _ = service.get_record(node, actor(node, "analyst"), r.output.strip())
    assert lab.body["analytes"] == [{"analyte": "fentanyl", "percent": 4.5},
                                    {"analyte": "xylazine", "identified_only": True}]
    assert lab.markings == seizure.markings
    bad = cli.invoke(app, ["exhibits", "lab-result", seizure.id, "--lab", "x", "--method", "GC-MS",
                           "--analyte", "fentanyl=lots"])
    assert bad.exit_code == 2 and "fentanyl=lots" in bad.output
    photo = tmp_path / "pill.jpg"
    photo.write_bytes(jpeg_with_gps())
    r = cli.invoke(app, ["exhibits", "attach", seizure.id, str(photo), "--caption", "front"])
    assert r.exit_code == 0, r.output
    att_id, sha = r.output.split()[0], r.output.split()[-1]
    listed = cli.invoke(app, ["exhibits", "list", seizure.id])
    assert att_id in listed.output and "image/jpeg" in listed.output
    out = tmp_path / "copy.jpg"
    assert cli.invoke(app, ["exhibits", "get", att_id, "-o", str(out)]).exit_code == 0
    assert hashlib.sha256(out.read_bytes()).hexdigest() == sha
    text = tmp_path / "notes.txt"
    text.write_text("not a photo")
    refused = cli.invoke(app, ["exhibits", "attach", seizure.id, str(text)])
    assert refused.exit_code == 2 and "not allowed" in refused.output and len(refused.output.strip().splitlines()) == 1
    monkeypatch.setenv("VINCULO_EXHIBITS_MAX_BYTES", "1000")
    big = cli.invoke(app, ["exhibits", "attach", seizure.id, str(photo)])
    assert big.exit_code == 2 and "limit of 1000 bytes" in big.output
