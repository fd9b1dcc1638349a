"""Shared CLI plumbing: the node from --home/--db, one-line errors with exit codes."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer

from vinculo.node.context import Node, NodeNotFound, open_node
from vinculo.node.home import Home, resolve

state: dict = {"home": None, "db": None}


def home() -> Home:
    return resolve(state["home"], state["db"])


def node() -> Node:
    try:
        return open_node(home())
    except (NodeNotFound, PermissionError) as exc:
        fail(str(exc))
        raise  # unreachable


def fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@contextmanager
def errors() -> Iterator[None]:
    """Turn domain errors into one line on stderr and a non-zero exit."""
    from vinculo.accounts.service import AccountError, AuthError
    from vinculo.records.model import RecordInvalid
    from vinculo.records.service import Conflict, Forbidden, NotFound
    from vinculo.sharing.service import SharingError

    try:
        yield
    except (RecordInvalid, AccountError, SharingError, ValueError) as exc:
        fail(str(exc), 2)
    except (Forbidden, AuthError) as exc:
        fail(str(exc) + "".join(f"\n  - {r}" for r in getattr(exc, "reasons", ())), 3)
    except NotFound as exc:
        fail(str(exc), 4)
    except Conflict as exc:
        fail(str(exc), 5)
    except Exception as exc:
        from vinculo.store.engine import BUSY_SECONDS, busy_seconds, locked

        if not locked(exc):
            raise
        fail(f"the database stayed busy with another writer for {busy_seconds():g} s (an import?): nothing was "
             f"written; try again when it is done (or wait longer: {BUSY_SECONDS})", 6)


def emit_json(value: object) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")
