"""The FastAPI application of one node."""

from __future__ import annotations

import asyncio

from contextlib import asynccontextmanager

from fastapi import FastAPI

from vinculo import web
from vinculo.api import accounts as accounts_api
from vinculo.api import cases, docs, federation, graph, problems, records, stats, system
from vinculo.api import dashboard as dashboard_api
from vinculo.api import deconfliction as deconfliction_api
from vinculo.api import exhibits as exhibits_api
from vinculo.api import imports as imports_api
from vinculo.api import links as links_api
from vinculo.api import precursors as precursors_api
from vinculo.api import notify as notify_api
from vinculo.api import retention as retention_api
from vinculo.api.warmup import Warmup
from vinculo.federation import taxii_server
from vinculo.node.context import Node


def create_app(node: Node) -> FastAPI:
    app = FastAPI(title=f"Vinculo node {node.id}", version="0.1.0", docs_url=None, redoc_url=None,
                  description="Records, release decisions and the audit log of one Vinculo node.")
    app.state.node = node
    problems.install(app)
    app.include_router(docs.router)
    app.include_router(system.router)
    accounts_api.install(app)  # tokens, second factor
    app.include_router(records.router)
    for router in (cases.router, stats.router, graph.router):
        app.include_router(router)
    app.include_router(federation.router)
    taxii_server.install(app)
    app.include_router(dashboard_api.router)
    app.include_router(imports_api.router)
    app.include_router(links_api.router)
    app.include_router(retention_api.router)
    app.include_router(deconfliction_api.router)
    app.include_router(precursors_api.router)
    notify_api.install(app)  # notification centre, subscriptions, webhooks, live stream; its threads
    app.include_router(exhibits_api.router)
    web.install(app)
    _warm_on_start(app)
    return app


def _warm_on_start(app: FastAPI) -> None:
    """Start the warm-up (`api.warmup`) when the server starts; `GET /api/v1/ready` reports it."""
    app.state.warmup = Warmup(app)
    previous = app.router.lifespan_context

    @asynccontextmanager
    async def _lifespan(application: FastAPI):
        application.state.warmup.start()
        async with previous(application) as state:
            yield state
        # A server stopped during its warm-up waits for it: otherwise the warm-up may open a connection
        # after whoever stopped the server has closed the node's pool, and nothing would ever close it.
        await asyncio.to_thread(application.state.warmup.wait, 30)

    app.router.lifespan_context = _lifespan
