"""audit.events.ACTION_NOTES lists every action the code writes, and nothing it does not write."""

import ast
from pathlib import Path

import vinculo
from vinculo.audit.events import ACTION_NOTES, ACTIONS

SRC = Path(vinculo.__file__).parent
# Functions that pass their `action` argument on to AuditEvent (the action is a literal at their callers).
WRAPPERS = {"_store", "_record"}


def _name(func: ast.expr) -> str | None:
    return getattr(func, "id", None) or getattr(func, "attr", None)


def written_actions() -> tuple[set[str], list[str]]:
    found: set[str] = set()
    unknown: list[str] = []
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _name(node.func)
            if name == "AuditEvent":
                arg = node.args[1] if len(node.args) > 1 else next(
                    (k.value for k in node.keywords if k.arg == "action"), None)
                if isinstance(arg, ast.Constant):
                    found.add(arg.value)
                elif isinstance(arg, ast.IfExp):
                    found |= {b.value for b in (arg.body, arg.orelse) if isinstance(b, ast.Constant)}
                elif not (isinstance(arg, ast.Name) and arg.id == "action"):
                    unknown.append(f"{path.relative_to(SRC)}:{node.lineno}: {ast.unparse(arg)}")
            elif name in WRAPPERS:
                found |= {a.value for a in [*node.args, *(k.value for k in node.keywords)]
                          if isinstance(a, ast.Constant) and isinstance(a.value, str) and a.value in ACTION_NOTES}
    return found, unknown


def test_every_written_action_is_listed_and_every_listed_one_written():
    found, unknown = written_actions()
    assert not unknown, f"actions the test cannot read (use a literal, or add the wrapper to WRAPPERS): {unknown}"
    assert found - set(ACTION_NOTES) == set(), "written but not in audit.events.ACTION_NOTES"
    # an action taken through a variable is read from its assignments above
    indirect = {"record.read", "denied"}
    assert set(ACTION_NOTES) - found - indirect == set(), "listed but never written"
    assert ACTIONS == tuple(sorted(ACTION_NOTES))
