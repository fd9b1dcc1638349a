"""The listening socket of `vinculo serve`, bound before anything is started or announced: a port in use
is one clear line and a non-zero exit, never "serving on ..." followed by a traceback."""

from __future__ import annotations

import socket


class PortTaken(OSError):
    pass


def bind(host: str, port: int) -> socket.socket:
    """A socket bound to (host, port) and listening; `PortTaken` naming the address and why if it cannot."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise PortTaken(f"cannot serve on {host}:{port}: unknown host ({exc.strerror})") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: TIME_WAIT is no obstacle
    try:
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        why = "the port is already in use" if exc.errno in (98, 48, 10048) else exc.strerror
        raise PortTaken(f"cannot serve on {host}:{port}: {why}") from None
    sock.set_inheritable(True)
    return sock
