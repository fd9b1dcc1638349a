"""A TAXII 2.1 client (httpx): discovery, collections, paged objects. Works with any TAXII 2.1 server."""

from __future__ import annotations

import ssl
from dataclasses import dataclass

import httpx
import orjson

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


def _tls_for(url: str) -> ssl.SSLContext | bool:
    """Certificate checks as usual for https. A plain-http partner needs no CA bundle: loading one costs
    20-40 ms per client, so it gets a context that trusts nothing (any TLS it met would fail, not pass)."""
    if url.lower().startswith("http://"):
        return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # CERT_REQUIRED, hostname checked, no CA loaded
    return True


class TaxiiClient:
    def __init__(self, discovery_url: str, token: str | None = None, user: str | None = None,
                 password: str | None = None, timeout: float = 120):
        auth = (user, password) if user is not None else None
        headers = {"Accept": TAXII}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.discovery_url = discovery_url if discovery_url.endswith("/") else discovery_url + "/"
        self.http = httpx.Client(headers=headers, auth=auth, timeout=timeout,
                                 verify=_tls_for(self.discovery_url))

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> "TaxiiClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _get(self, url: str, params: dict | None = None) -> httpx.Response:
        try:
            r = self.http.get(url, params=params)
        except httpx.HTTPError as exc:
            raise TaxiiClientError(f"{url}: {type(exc).__name__}: {exc}") from None
        if r.status_code != 200:
            try:
                detail = r.json().get("description") or r.json().get("title") or r.text
            except ValueError:
                detail = r.text[:200]
            raise TaxiiClientError(f"{url}: HTTP {r.status_code}: {detail}", r.status_code)
        return r

    def discover(self) -> dict:
        return self._get(self.discovery_url).json()

    def api_root(self) -> str:
        d = self.discover()
        root = d.get("default") or (d.get("api_roots") or [None])[0]
        if not root:
            raise TaxiiClientError(f"{self.discovery_url}: no API root")
        return root if root.endswith("/") else root + "/"

    def collections(self, api_root: str) -> list[dict]:
        return self._get(api_root + "collections/").json().get("collections", [])

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
                        r.headers.get("X-Vinculo-Next") or body.get("next"))

    def objects(self, api_root: str, collection_id: str, next_token: str | None = None, limit: int = 500,
                added_after: str | None = None) -> Envelope:
        return self.envelope(self.fetch_objects(api_root, collection_id, next_token, limit, added_after))
