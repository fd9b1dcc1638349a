"""A recording reverse proxy on loopback: one per (client node, server node), so every byte one node
sends another passes through it and is kept (method, path, headers, request body, response body).

The client node's partner entry for the server points at the proxy, never at the server itself. The
proxy asks the server for an unencoded response (no Accept-Encoding), so what it records is exactly the
bytes that went over the wire to the client.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
        "transfer-encoding", "upgrade", "host", "content-length", "accept-encoding", "content-encoding"}


@dataclass
class Capture:
    client: str  # the node that made the request (and received the response)
    server: str  # the node that answered
    method: str
    path: str
    request_headers: dict[str, str]
    request_body: bytes
    arrived: int  # position in the one global order of events (request arrival, response completion)
    status: int = 0
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: bytes = b""
    completed: int = 0

    def response_text(self) -> str:
        """Everything the server sent back: headers and body, as text for scanning."""
        head = "\n".join(f"{k}: {v}" for k, v in self.response_headers.items())
        return head + "\n\n" + self.response_body.decode("utf-8", "replace")

    def request_text(self) -> str:
        head = "\n".join(f"{k}: {v}" for k, v in self.request_headers.items() if k.lower() != "authorization")
        return f"{self.method} {self.path}\n{head}\n\n" + self.request_body.decode("utf-8", "replace")


class Recorder:
    """The captures of every proxy of one network, in one order."""

    def __init__(self) -> None:
        self.captures: list[Capture] = []
        self._order = itertools.count(1)
        self._lock = threading.Lock()

    def tick(self) -> int:
        with self._lock:
            return next(self._order)

    def add(self, capture: Capture) -> None:
        with self._lock:
            self.captures.append(capture)


class RecordingProxy:
    def __init__(self, client: str, server: str, target: str, recorder: Recorder):
        self.client, self.server, self.target, self.recorder = client, server, target.rstrip("/"), recorder
        self.http = httpx.Client(timeout=60)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _any(self) -> None:
                proxy.forward(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _any

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, name=f"proxy-{client}-{server}",
                                       daemon=True)

    def start(self) -> RecordingProxy:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.http.close()

    def forward(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        headers = {k: v for k, v in h.headers.items() if k.lower() not in _HOP}
        cap = Capture(self.client, self.server, h.command, h.path, headers, body, self.recorder.tick())
        try:
            r = self.http.request(h.command, self.target + h.path, content=body, headers=headers)
            cap.status, cap.response_body = r.status_code, r.content
            cap.response_headers = {k: v for k, v in r.headers.items() if k.lower() not in _HOP}
        except httpx.HTTPError as exc:
            cap.status, cap.response_body = 502, f"proxy: {exc}".encode()
        cap.completed = self.recorder.tick()
        self.recorder.add(cap)
        h.send_response(cap.status)
        for k, v in cap.response_headers.items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(cap.response_body)))
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(cap.response_body)
