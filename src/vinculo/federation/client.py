"""A TAXII 2.1 client (httpx): discovery, collections, paged objects. Works with any TAXII 2.1 server."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

TAXII = "application/taxii+json;version=2.1"


class TaxiiClientError(Exception):
    pass


@dataclass
class Envelope:
    objects: list[dict]
    more: bool
    next: str | None
    cursor: str | None  # Vinculo servers also say where the page ended, even on the last page


class TaxiiClient:
    def __init__(self, discovery_url: str, token: str | None = None, user: str | None = None,
                 password: str | None = None, timeout: float = 120):
        auth = (user, password) if user is not None else None
        headers = {"Accept": TAXII}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.discovery_url = discovery_url if discovery_url.endswith("/") else discovery_url + "/"
        self.http = httpx.Client(headers=headers, auth=auth, timeout=timeout)

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
            raise TaxiiClientError(f"{url}: HTTP {r.status_code}: {detail}")
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

    def objects(self, api_root: str, collection_id: str, next_token: str | None = None, limit: int = 500,
                added_after: str | None = None) -> Envelope:
        params: dict = {"limit": limit}
        if next_token:
            params["next"] = next_token
        if added_after:
            params["added_after"] = added_after
        r = self._get(f"{api_root}collections/{collection_id}/objects/", params)
        body = r.json()
        return Envelope(body.get("objects", []), bool(body.get("more")), body.get("next"),
                        r.headers.get("X-Vinculo-Next") or body.get("next"))
