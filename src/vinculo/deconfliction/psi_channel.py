"""The partner channel for private matching: the initiator's HTTP client for the responder's routes.

Requests carry the credential the partner issued us for pulling (``Authorization: Bearer vnp_...``);
PSI messages travel as ``application/octet-stream``. A mutual step answers with two messages in one
body, framed as ``u32 length of the first | first | second``.
"""

from __future__ import annotations

import struct

import httpx

from vinculo.deconfliction.psi_messages import PsiError, PsiProtocolError, PsiRefused
from vinculo.federation.partners import partner_row, pull_credential
from vinculo.node.context import Node

OCTETS = "application/octet-stream"
_LEN = struct.Struct(">I")


class PsiChannelError(PsiError):
    """The partner could not be reached, or answered with an error."""


class PsiRateLimited(PsiRefused):
    """The per-day run limit of the agreement is reached."""


def frame(first: bytes, second: bytes) -> bytes:
    return _LEN.pack(len(first)) + first + second


def unframe(body: bytes) -> tuple[bytes, bytes]:
    if len(body) < _LEN.size:
        raise PsiProtocolError("framed PSI body too short")
    (n,) = _LEN.unpack_from(body)
    if n > len(body) - _LEN.size:
        raise PsiProtocolError("framed PSI body truncated")
    return body[_LEN.size:_LEN.size + n], body[_LEN.size + n:]


class PsiChannel:
    """HTTP calls from this node to a partner's ``/api/v1/psi/sessions`` routes."""

    def __init__(self, node: Node, partner: str, http: httpx.Client | None = None, timeout: float = 120.0) -> None:
        row = partner_row(node, partner)
        if not row.url:
            raise PsiChannelError(f"partner {partner} has no URL: set one before matching")
        self.partner = partner
        self.base = row.url.rstrip("/") + "/api/v1/psi/sessions"
        self._own = http is None
        self.http = http or httpx.Client(timeout=timeout)
        self.headers = {"Authorization": f"Bearer {pull_credential(node, partner)}"}

    def close(self) -> None:
        if self._own:
            self.http.close()

    def __enter__(self) -> PsiChannel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _post(self, path: str, *, json: dict | None = None, content: bytes | None = None) -> httpx.Response:
        headers = self.headers if content is None else self.headers | {"content-type": OCTETS}
        try:
            resp = self.http.post(self.base + path, headers=headers, json=json, content=content)
        except httpx.HTTPError as exc:
            raise PsiChannelError(f"{self.partner}: {type(exc).__name__}: {exc}") from None
        if resp.status_code >= 400:
            try:
                detail = resp.json().get("detail") or resp.text
            except ValueError:
                detail = resp.text
            message = f"{self.partner} answered {resp.status_code}: {detail}"
            if resp.status_code == 429:
                raise PsiRateLimited(message)
            if resp.status_code == 409:
                raise PsiRefused(message)
            raise PsiChannelError(message)
        return resp

    def declare(self, run_id: str, stage: str, sizes: dict[str, int]) -> dict[str, int]:
        """Declare our set sizes for a stage; the partner answers with its own."""
        resp = self._post("", json={"run": run_id, "stage": stage, "sizes": sizes})
        theirs = resp.json().get("sizes")
        if not isinstance(theirs, dict) or set(theirs) != set(sizes) or \
                not all(isinstance(v, int) and v >= 0 for v in theirs.values()):
            raise PsiProtocolError(f"{self.partner} declared sizes for other key families: {theirs!r}")
        return theirs

    def exchange(self, run_id: str, kind: str, message: bytes) -> bytes:
        """Send one PSI message for a key family; return the partner's answer."""
        resp = self._post(f"/{run_id}/{kind}", content=message)
        return resp.content

    def finish(self, run_id: str, kind: str, message: bytes) -> dict:
        """Send the answer to the partner's request (mutual runs); the partner confirms the transcript."""
        resp = self._post(f"/{run_id}/{kind}/finish", content=message)
        return resp.json()
