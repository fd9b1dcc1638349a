"""Memory of an import does not grow with a hostile file: the command and its import worker, measured
in a subprocess (largest resident set of either), stay under a generous bound while they refuse it."""

from __future__ import annotations

import json
import stat

import pytest
from hostile_imports import GiB, blank_lines_zip, huge_line_zip, peak_cli, sparse

BOUND_MB = 300
LOOSE_RATIO = {"VINCULO_IMPORT_MAX_RATIO": "1000000"}  # let the file past the zip-bomb check, to the reader


@pytest.fixture(scope="module")
def one_gib_line(tmp_path_factory):
    return huge_line_zip(tmp_path_factory.mktemp("huge") / "ids.zip", GiB)


def test_a_zip_of_blank_lines_is_read_in_constant_memory(node, db_url, tmp_path):
    path = blank_lines_zip(tmp_path / "ids.zip", 1_900_000)
    code, peak, err = peak_cli(node.home.path, db_url, "import", "unodc-ids", str(path), env=LOOSE_RATIO)
    assert code == 0, err
    assert peak < BOUND_MB, f"peak {peak} MB"


def test_one_huge_line_is_refused_after_a_row_of_bytes(node, db_url, one_gib_line):
    code, peak, err = peak_cli(node.home.path, db_url, "import", "unodc-ids", str(one_gib_line), env=LOOSE_RATIO)
    assert code == 2 and f"{one_gib_line}:2: row longer than 1048576 bytes" in err, err
    assert peak < BOUND_MB, f"peak {peak} MB"


def test_one_huge_line_is_a_zip_bomb_by_default(node, db_url, one_gib_line):
    code, peak, err = peak_cli(node.home.path, db_url, "import", "unodc-ids", str(one_gib_line))
    assert code == 2 and "zip bomb" in err and "Traceback" not in err, err
    assert peak < BOUND_MB, f"peak {peak} MB"


def test_a_sparse_file_is_refused_without_reading_it_whole(node, db_url, tmp_path):
    path = sparse(tmp_path / "ids.csv", 2 * GiB)
    code, peak, err = peak_cli(node.home.path, db_url, "import", "unodc-ids", str(path))
    assert code == 2 and f"{path}:1: row longer than" in err, err
    assert peak < BOUND_MB, f"peak {peak} MB"


def test_rejected_rows_stream_to_a_private_reject_file(node, db_url, tmp_path):
    """300,000 rejected rows of 1 KB each (300 MB of rejects) with --skip-invalid."""
    path = tmp_path / "bad.ndjson"
    line = json.dumps({"type": "seizure", "body": {"country": "Narnia", "place": "x" * 1000}}).encode() + b"\n"
    with open(path, "wb") as fh:
        fh.writelines(line * 1000 for _ in range(300))
    rejects = tmp_path / "rejects.csv"
    code, peak, err = peak_cli(node.home.path, db_url, "import", "records", str(path), "--skip-invalid",
                               "--reject-file", str(rejects))
    assert code == 0, err
    assert peak < BOUND_MB, f"peak {peak} MB"
    assert stat.S_IMODE(rejects.stat().st_mode) == 0o600
    with open(rejects, encoding="utf-8") as fh:
        assert sum(1 for _ in fh) == 300_001  # the header and every rejected row
