"""Only `records/` reads and writes `record_versions` (and `store/`, which defines and migrates it): every
other package reaches record versions through records' repository, read layer, projection and holding."""

import ast
from pathlib import Path

import vinculo

SRC = Path(vinculo.__file__).parent
OWNERS = ("records", "store")


def test_no_package_but_records_touches_record_versions():
    offenders = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC)
        if rel.parts[0] in OWNERS:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and any(a.name == "record_versions" for a in node.names):
                offenders.append(f"{rel}:{node.lineno} imports record_versions")
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and "FROM record_versions" in node.value:
                offenders.append(f"{rel}:{node.lineno} queries record_versions in SQL")
    assert offenders == []
