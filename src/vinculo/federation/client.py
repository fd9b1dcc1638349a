"""A TAXII 2.1 client (httpx): discovery, collections, paged objects. Works with any TAXII 2.1 server."""

from __future__ import annotations

import ssl
import time
from dataclasses import dataclass
from typing import Self

import httpx
import orjson

from vinculo.federation.limits import PullLimits, pull_limits

TAXII = "application/taxii+json;version=2.1"


class TaxiiClientError(Exception):
    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status  # the HTTP status, when the server answered


@dataclass
class Envelope:
    objects: list[dict]
    more: bool
    next: str | None
    cursor: str | None  # Vinculo servers also say where the page ended, even on the last page
    key: str | None = None  # and the key they sign with now (a hint: see `sync._pull`)


def _tls_for(url: str) -> ssl.SSLContext | bool:
    """Certificate checks as usual for https. A plain-http partner needs no CA bundle: loading one costs
    20-40 ms per client, so it gets a context that trusts nothing (any TLS it met would fail, not pass)."""
    if url.lower().startswith("http://"):
        return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # CERT_REQUIRED, hostname checked, no CA loaded
    return True


class TaxiiClient:
    """Every response is streamed and refused as soon as it passes `limits.max_page_bytes`, a read waits at
    most `limits.read_timeout`, and nothing is read past `deadline` (a `time.monotonic()` value, when set)."""

    def __init__(self, discovery_url: str, token: str | None = None, user: str | None = None,
                 password: str | None = None, timeout: float = 120, limits: PullLimits | None = None):
        auth = (user, password) if user is not None else None
        headers = {"Accept": TAXII}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.limits = limits or pull_limits()
        self.deadline: float | None = None
        self.discovery_url = discovery_url if discovery_url.endswith("/") else discovery_url + "/"
        self.http = httpx.Client(headers=headers, auth=auth, verify=_tls_for(self.discovery_url),
                                 timeout=httpx.Timeout(timeout, connect=self.limits.connect_timeout,
                                                       read=min(timeout, self.limits.read_timeout)))

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _past_deadline(self, url: str) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise TaxiiClientError(f"{url}: the pull ran past its deadline of {self.limits.deadline:g} s "
                                   "(VINCULO_PULL_DEADLINE)")

    def _read(self, url: str, r: httpx.Response) -> bytes:
        """The body of `r`, read chunk by chunk and refused once it is larger than a page may be."""
        most = self.limits.max_page_bytes
        declared = r.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > most:
            raise TaxiiClientError(f"{url}: the response is {int(declared):,} bytes, more than {most:,} "
                                   "(VINCULO_PULL_MAX_PAGE_BYTES)")
        body = bytearray()
        for chunk in r.iter_bytes():
            body += chunk
            if len(body) > most:
                raise TaxiiClientError(f"{url}: the response passed {most:,} bytes (VINCULO_PULL_MAX_PAGE_BYTES)")
            self._past_deadline(url)
        return bytes(body)

    def _get(self, url: str, params: dict | None = None) -> httpx.Response:
        self._past_deadline(url)
        try:
            with self.http.stream("GET", url, params=params) as streamed:
                content = self._read(url, streamed)
        except httpx.HTTPError as exc:
            raise TaxiiClientError(f"{url}: {type(exc).__name__}: {exc}") from None
        # Decoded already: a response that no longer says how it was encoded on the wire.
        headers = [(k, v) for k, v in streamed.headers.multi_items()
                   if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")]
        r = httpx.Response(streamed.status_code, headers=headers, content=content, request=streamed.request)
        if r.status_code != 200:
            try:
                detail = r.json().get("description") or r.json().get("title") or r.text
            except (ValueError, AttributeError):  # not JSON, or JSON that is not an object
                detail = r.text
            raise TaxiiClientError(f"{url}: HTTP {r.status_code}: {str(detail)[:200]}", r.status_code)
        return r

    def _json(self, url: str, params: dict | None = None) -> dict:
        try:
            body = orjson.loads(self._get(url, params).content)
        except orjson.JSONDecodeError as exc:
            raise TaxiiClientError(f"{url}: not JSON: {exc}") from None
        if not isinstance(body, dict):
            raise TaxiiClientError(f"{url}: not a JSON object")
        return body

    def get_json(self, url: str) -> dict:
        """A JSON object from any URL of the server (e.g. a Vinculo node's key statements), within the
        same limits as a page."""
        return self._json(url)

    def discover(self) -> dict:
        return self._json(self.discovery_url)

    def api_root(self) -> str:
        d = self.discover()
        roots = d.get("api_roots")
        root = d.get("default") or (roots[0] if isinstance(roots, list) and roots else None)
        if not isinstance(root, str) or not root or len(root) > 2000:
            raise TaxiiClientError(f"{self.discovery_url}: no API root")
        return root if root.endswith("/") else root + "/"

    def collections(self, api_root: str) -> list[dict]:
        found = self._json(api_root + "collections/").get("collections", [])
        return [c for c in found if isinstance(c, dict)] if isinstance(found, list) else []

    def fetch_objects(self, api_root: str, collection_id: str, next_token: str | None = None,
                      limit: int = 500, added_after: str | None = None) -> httpx.Response:
        """One objects page, not yet decoded (see `envelope`)."""
        params: dict = {"limit": limit}
        if next_token:
            params["next"] = next_token
        if added_after:
            params["added_after"] = added_after
        return self._get(f"{api_root}collections/{collection_id}/objects/", params)

    @staticmethod
    def envelope(r: httpx.Response) -> Envelope:
        try:
            body = orjson.loads(r.content)  # a page is ~1 MB: orjson decodes it several times faster
        except orjson.JSONDecodeError as exc:
            raise TaxiiClientError(f"{r.request.url}: the objects page is not JSON: {exc}") from None
        if not isinstance(body, dict) or not isinstance(body.get("objects", []), list):
            raise TaxiiClientError(f"{r.request.url}: the objects page is not a TAXII envelope")
        return Envelope(body.get("objects", []), bool(body.get("more")), body.get("next"),
                        r.headers.get("X-Vinculo-Next") or body.get("next"), r.headers.get("X-Vinculo-Key"))

    def objects(self, api_root: str, collection_id: str, next_token: str | None = None, limit: int = 500,
                added_after: str | None = None) -> Envelope:
        return self.envelope(self.fetch_objects(api_root, collection_id, next_token, limit, added_after))
