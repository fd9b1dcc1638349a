"""The FastAPI application of one node."""

from __future__ import annotations

from fastapi import FastAPI

from vinculo.api import federation, problems, records, system
from vinculo.federation import taxii_server
from vinculo.node.context import Node
from vinculo import web
from vinculo.api import dashboard as dashboard_api, imports as imports_api, links as links_api


def create_app(node: Node) -> FastAPI:
    app = FastAPI(title=f"Vinculo node {node.id}", version="0.1.0",
                  description="Records, release decisions and the audit log of one Vinculo node.")
    app.state.node = node
    problems.install(app)
    app.include_router(system.router)
    app.include_router(records.router)
    app.include_router(federation.router)
    taxii_server.install(app)
    app.include_router(dashboard_api.router)
    app.include_router(imports_api.router)
    app.include_router(links_api.router)
    web.install(app)
    return app
