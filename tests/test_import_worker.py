"""Large imports parse in a worker process: same records, same errors, nothing half-written when it fails."""

import os
import signal
from pathlib import Path

import pytest
from test_imports import GOOD_ROW, unodc_sample

from vinculo.accounts.model import operator
from vinculo.audit.checks import verify_node
from vinculo.records import repository as repo
from vinculo.records import service
from vinculo.records.importers import unodc
from vinculo.records.importers.service import ImportFailed, import_file
from vinculo.records.importers.sources import FileSource
from vinculo.records.importers.worker import WorkerFailed
from vinculo.records.query import build_filters


def stored(node) -> list[tuple]:
    with node.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT id, body, search, country, substance, event_date, markings FROM record_versions ORDER BY id")
        return [tuple(r) for r in rows]


def test_worker_and_inline_store_the_same_records(make_node, tmp_path):
    path = unodc_sample(tmp_path, 3000, [GOOD_ROW, GOOD_ROW, GOOD_ROW.replace("Fentanyl", "Made-up powder")])
    inline, in_worker = make_node("us-a", "US"), make_node("us-b", "US")
    seen: list[int] = []
    a = import_file(inline, operator(inline.id), FileSource("unodc-ids", path), name="ids.csv", workers=False)
    b = import_file(in_worker, operator(in_worker.id), FileSource("unodc-ids", path), name="ids.csv", workers=True,
                    progress=seen.append)
    assert (b.rows, b.imported, b.rejected) == (a.rows, a.imported, a.rejected) == (3003, 3003, 0)
    assert b.unknowns == a.unknowns and b.unknowns["substance"] == {"Made-up powder": 1}
    assert sum(seen) == 3003  # every row reported to the progress bar
    assert stored(in_worker) == stored(inline)
    assert verify_node(in_worker).ok  # hashes recompute, the audited Merkle root matches the versions
    again = import_file(in_worker, operator(in_worker.id), FileSource("unodc-ids", path), workers=True)
    assert again.imported == 0 and again.duplicates == 3003


def test_worker_reports_bad_rows_and_writes_nothing(node, analyst, tmp_path):
    bad = GOOD_ROW.replace("2014-03-02", "2014-13-45")
    path = unodc_sample(tmp_path, 6000, [bad])  # past the first batch: written batches must roll back
    with pytest.raises(ImportFailed) as exc:
        import_file(node, analyst, FileSource("unodc-ids", path), name="upload.csv", workers=True)
    assert exc.value.report.rejected == 1
    assert str(exc.value.report.errors[0]).startswith("upload.csv:6002: SEIZURE_DATE")
    assert service.count_records(node, analyst, build_filters()) == 0


def test_worker_skip_invalid_writes_a_reject_file(node, analyst, tmp_path):
    path = unodc_sample(tmp_path, 50, [GOOD_ROW.replace("2.5", "lots")])
    rejects = tmp_path / "rejects.csv"
    report = import_file(node, analyst, FileSource("unodc-ids", path), workers=True, skip_invalid=True,
                         reject_path=rejects)
    assert report.imported == 50 and report.rejected == 1
    assert "not a number: 'lots'" in rejects.read_text()


def test_worker_raises_the_parsers_error(node, analyst, tmp_path):
    path = tmp_path / "not-ids.csv"
    path.write_text("a;b;c\n1;2;3\n")
    with pytest.raises(unodc.FormatError, match="missing columns"):
        import_file(node, analyst, FileSource("unodc-ids", path), workers=True)
    with pytest.raises(ValueError, match="unknown import format"):
        import_file(node, analyst, FileSource("xlsx", path), workers=True)


def _kill_worker() -> None:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                cmd = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == os.getpid() and b"importers.worker" in cmd:
                os.kill(int(entry.name), signal.SIGKILL)


def test_a_killed_worker_fails_the_import_cleanly(node, analyst, tmp_path):
    path = unodc_sample(tmp_path, 30000)
    killed: list[int] = []

    def progress(n: int) -> None:
        if not killed:
            killed.append(n)
            _kill_worker()

    with pytest.raises(WorkerFailed, match="stopped before the end"):
        import_file(node, analyst, FileSource("unodc-ids", path), workers=True, progress=progress)
    assert killed
    with node.engine.connect() as conn:
        assert repo.existing_ids(conn, []) == set()
        assert conn.exec_driver_sql("SELECT count(*) FROM record_versions").scalar() == 0
