"""Webhooks: a JSON POST signed with HMAC-SHA256 over `<timestamp>.<body>`, bounded in time and in what is
read back, retried with exponential back-off.

Headers: `X-Vinculo-Timestamp` (Unix seconds) and `X-Vinculo-Signature: sha256=<hex>`; the receiver
recomputes HMAC-SHA256(secret, timestamp + "." + body) and refuses an old timestamp (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass

import httpx

MAX_RESPONSE = 64 * 1024


@dataclass(frozen=True)
class Attempt:
    attempt: int
    ok: bool
    detail: str


def signature(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def verify(secret: str, timestamp: str, body: bytes, header: str) -> bool:
    return hmac.compare_digest(signature(secret, timestamp, body), header)


def _once(client: httpx.Client, url: str, secret: str, body: bytes) -> str | None:
    """One POST; None if the receiver took it (2xx), else why not."""
    ts = str(int(time.time()))
    headers = {"content-type": "application/json", "x-vinculo-timestamp": ts,
               "x-vinculo-signature": signature(secret, ts, body), "user-agent": "vinculo-notify"}
    try:
        with client.stream("POST", url, content=body, headers=headers) as response:
            read = 0
            for chunk in response.iter_bytes():
                read += len(chunk)
                if read > MAX_RESPONSE:
                    break  # what the receiver says is not needed: stop reading
            if 200 <= response.status_code < 300:
                return None
            return f"HTTP {response.status_code}"
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"[:300]


def client(timeout: float) -> httpx.Client:
    return httpx.Client(timeout=httpx.Timeout(timeout, connect=min(timeout, 3.0)), follow_redirects=False)


def deliver(url: str, secret: str, body: bytes, attempts: int, timeout: float, backoff: float,
            sleep=time.sleep, using: httpx.Client | None = None) -> list[Attempt]:
    """POST `body` until it is taken or `attempts` are spent; waits backoff, 2x, 4x... between attempts.
    `using`: a client to reuse (a delivery pass keeps one, so its connections stay open)."""
    out: list[Attempt] = []
    own = using is None
    http = client(timeout) if own else using
    try:
        for n in range(1, attempts + 1):
            why = _once(http, url, secret, body)
            out.append(Attempt(n, why is None, why or "accepted"))
            if why is None:
                break
            if n < attempts:
                sleep(backoff * 2 ** (n - 1))
    finally:
        if own:
            http.close()
    return out
