"""Start a real node HTTP server on a loopback port for tests."""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager

import httpx
import uvicorn

from vinculo.api.app import create_app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(node, port: int | None = None):
    """The node's app on 127.0.0.1 (`port`, or a free one: a restored node takes over the address its
    partners know), for as long as the block runs; yields its base URL."""
    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(node), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            httpx.get(base + "/api/v1/node", timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.05)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(10)
