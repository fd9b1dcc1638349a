"""The app of the node that VINCULO_HOME / VINCULO_DATABASE_URL name: what each of the N server processes
of `vinculo serve --workers N` builds for itself (uvicorn imports it by name in every process)."""

from __future__ import annotations

from fastapi import FastAPI

from vinculo.api.app import create_app
from vinculo.node.context import open_node
from vinculo.node.home import resolve


def from_environment() -> FastAPI:
    return create_app(open_node(resolve()))
