"""TAXII 2.1 server routes: discovery, API root, collections, objects, manifest, versions.

Partners authenticate with the credential this node issued them (Bearer, or Basic with any user
name and the credential as password). Each partner sees only the collections its agreement covers
and only what release() allows, paged by this node's change-feed sequence (never timestamps).
"""

from __future__ import annotations

import base64
import datetime as dt
import gc
from contextlib import asynccontextmanager, suppress
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from vinculo.api.deps import get_node
from vinculo.api.params import BadToken, token
from vinculo.collector import fewer_collections
from vinculo.federation import outbox
from vinculo.federation.partners import PartnerAuthError, authenticate_partner
from vinculo.federation.stix_defs import NEW_SDO_TYPES, STANDARD_TYPES, collection_id, definitions, stix_type
from vinculo.federation.stix_map import stix_id
from vinculo.node.context import Node
from vinculo.records import holding
from vinculo.records.model import format_ts, parse_ts
from vinculo.sharing import service as sharing

TAXII = "application/taxii+json;version=2.1"
STIX = "application/stix+json;version=2.1"
router = APIRouter(prefix="/taxii2", tags=["taxii"])


class TaxiiError(Exception):
    def __init__(self, status: int, title: str, description: str = ""):
        super().__init__(title)
        self.status, self.title, self.description = status, title, description


class _OrjsonResponse(JSONResponse):
    """A page of 1,000 STIX objects is ~1.3 MB of JSON: orjson writes it ~15x faster than json."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def taxii(body: dict, status: int = 200, headers: dict | None = None) -> JSONResponse:
    return _OrjsonResponse(body, status_code=status, media_type=TAXII, headers=headers)


def error_response(exc: TaxiiError) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Basic realm="taxii", Bearer'} if exc.status == 401 else None
    return taxii({"title": exc.title, "description": exc.description, "http_status": str(exc.status)}, exc.status,
                 headers)


def _credential(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        return value.strip() or None
    if scheme.lower() == "basic":
        try:
            return base64.b64decode(value.strip()).decode().partition(":")[2] or None
        except (ValueError, UnicodeDecodeError):
            return None
    return None


def partner_of(request: Request, node: Node = Depends(get_node)) -> str:
    accept = request.headers.get("accept", "*/*")
    if not any(a in accept for a in ("application/taxii+json", "*/*", "application/*", "application/json")):
        raise TaxiiError(406, "Not acceptable", f"this server speaks {TAXII}")
    try:
        return authenticate_partner(node, _credential(request))
    except PartnerAuthError as exc:
        raise TaxiiError(401, "Unauthorized", str(exc)) from None


def _collections(node: Node, partner: str) -> dict[str, dict]:
    with node.engine.connect() as conn:
        agreement = sharing.current_agreement(conn, partner)
    types = sorted(agreement.record_types) if agreement else []
    out: dict[str, dict] = {}

    def add(alias: str, title: str, description: str, rtypes: list[str]) -> None:
        cid = collection_id(node.id, alias)
        stypes = sorted({stix_type(t) for t in rtypes}) if rtypes else ["identity", "marking-definition",
                                                                         "extension-definition"]
        out[cid] = {"id": cid, "title": title, "description": description, "alias": alias, "can_read": True,
                    "can_write": False, "media_types": [STIX], "_types": rtypes, "_stix_types": stypes}

    add("definitions", "Definitions", "Identities, marking and extension definitions Vinculo objects refer to.", [])
    if types:
        add("all", f"Everything {node.id} releases to {partner}", "All record types the agreement covers.", types)
        for t in types:
            add(t, f"{t.capitalize()} records", f"{t} records released to {partner}.", [t])
    return out


def _public(c: dict) -> dict:
    return {k: v for k, v in c.items() if not k.startswith("_")}


def _collection(node: Node, partner: str, cid: str) -> dict:
    found = _collections(node, partner).get(cid)
    if found is None:
        raise TaxiiError(404, "Collection not found", f"no collection {cid} for {partner}")
    return found


def _record_types_for(stix_types: list[str]) -> set[str]:
    out: set[str] = set()
    for st in stix_types:
        out |= {rt for rt, mapped in {**NEW_SDO_TYPES, **STANDARD_TYPES}.items() if mapped == st}
    return out


def _record_ids_for(stix_ids: list[str]) -> set[str]:
    out: set[str] = set()
    for sid in stix_ids:
        st, _, uid = sid.partition("--")
        out |= {f"{rt}--{uid}" for rt in _record_types_for([st])}
    return out


def _after_seq(node: Node, next_token: str | None, added_after: str | None) -> int:
    if next_token:
        try:
            return token(next_token, "next") or 0
        except BadToken as exc:
            raise TaxiiError(400, "Bad next", str(exc)) from None
    if added_after:
        try:
            ts = format_ts(parse_ts(added_after))
        except ValueError:
            raise TaxiiError(400, "Bad added_after", "added_after must be an RFC 3339 timestamp") from None
        with node.engine.connect() as conn:
            first = holding.first_seq_added_after(conn, ts)
        return (first - 1) if first else 2**62
    return 0


def _page(node: Node, partner: str, cid: str, limit: int, next_token: str | None, added_after: str | None,
          match_type: str | None, match_id: str | None, manifest: bool = False):  # noqa: ANN202
    coll = _collection(node, partner, cid)
    if coll["alias"] == "definitions":
        defs = [] if next_token else definitions(node.id, node.name, node.country)
        return coll, None, defs
    types = set(coll["_types"])
    if match_type:
        types &= _record_types_for(match_type.split(","))
    ids = _record_ids_for(match_id.split(",")) if match_id else None
    if not types:
        return coll, None, []
    page = outbox.feed(node, partner, _after_seq(node, next_token, added_after), limit, types, ids, manifest)
    return coll, page, page.objects


def _envelope_headers(page) -> dict:  # noqa: ANN001
    headers = {}
    if page is not None:
        headers["X-Vinculo-Next"] = str(page.next_seq)
        headers["X-Vinculo-More"] = "true" if page.more else "false"  # a client may ask for the next at once
        if page.added:
            headers["X-TAXII-Date-Added-First"] = min(page.added)
            headers["X-TAXII-Date-Added-Last"] = max(page.added)
    return headers


@router.get("/")
def discovery(request: Request, node: Node = Depends(get_node), partner: str = Depends(partner_of)) -> JSONResponse:
    base = str(request.base_url).rstrip("/")
    return taxii({"title": f"Vinculo node {node.id}", "description": f"{node.name} ({node.country})",
                  "default": f"{base}/taxii2/api/", "api_roots": [f"{base}/taxii2/api/"]})


@router.get("/api/")
def api_root(node: Node = Depends(get_node), partner: str = Depends(partner_of)) -> JSONResponse:
    return taxii({"title": f"Vinculo {node.id}", "description": "Records released to you under your agreement.",
                  "versions": [TAXII], "max_content_length": 10 * 1024 * 1024})


@router.get("/api/collections/")
def collections(node: Node = Depends(get_node), partner: str = Depends(partner_of)) -> JSONResponse:
    return taxii({"collections": [_public(c) for c in _collections(node, partner).values()]})


@router.get("/api/collections/{cid}/")
def collection(cid: str, node: Node = Depends(get_node), partner: str = Depends(partner_of)) -> JSONResponse:
    return taxii(_public(_collection(node, partner, cid)))


@router.get("/api/collections/{cid}/objects/")
def objects(cid: str, limit: int = Query(500, ge=1, le=outbox.MAX_LIMIT), next: str | None = None,  # noqa: A002
            added_after: str | None = None, match_type: str | None = Query(None, alias="match[type]"),
            match_id: str | None = Query(None, alias="match[id]"), node: Node = Depends(get_node),
            partner: str = Depends(partner_of)) -> JSONResponse:
    # A page is ~30,000 containers. Rendered and dropped before the collector's threshold comes back,
    # they are freed by reference counting instead of being walked by a collection on the way out.
    with fewer_collections():
        _, page, objs = _page(node, partner, cid, limit, next, added_after, match_type, match_id)
        body: dict = {"more": bool(page and page.more), "objects": objs}
        if page is not None and page.more:
            body["next"] = str(page.next_seq)
        response = taxii(body, headers=_envelope_headers(page) | {"X-Vinculo-Key": node.public_key_hex})
        del page, objs, body
    return response


@router.get("/api/collections/{cid}/manifest/")
def manifest(cid: str, limit: int = Query(500, ge=1, le=outbox.MAX_LIMIT), next: str | None = None,  # noqa: A002
             added_after: str | None = None, match_type: str | None = Query(None, alias="match[type]"),
             match_id: str | None = Query(None, alias="match[id]"), node: Node = Depends(get_node),
             partner: str = Depends(partner_of)) -> JSONResponse:
    _, page, objs = _page(node, partner, cid, limit, next, added_after, match_type, match_id, manifest=True)
    now = format_ts(dt.datetime.now(dt.timezone.utc))
    items = [{"id": stix_id(o["id"]) if "--" in o["id"] and o.get("added") else o["id"],
              "date_added": o.get("added") or now, "version": o.get("modified", now), "media_type": STIX}
             for o in objs]
    body: dict = {"more": bool(page and page.more), "objects": items}
    if page is not None and page.more:
        body["next"] = str(page.next_seq)
    return taxii(body, headers=_envelope_headers(page))


def _one(node: Node, partner: str, cid: str, oid: str) -> list[dict]:
    _, _, objs = _page(node, partner, cid, outbox.MAX_LIMIT, None, None, None, oid)
    if not objs:
        raise TaxiiError(404, "Object not found", f"no object {oid} for {partner} in {cid}")
    return objs


@router.get("/api/collections/{cid}/objects/{oid}/")
def get_object(cid: str, oid: str, node: Node = Depends(get_node), partner: str = Depends(partner_of)) -> JSONResponse:
    return taxii({"more": False, "objects": _one(node, partner, cid, oid)})


@router.get("/api/collections/{cid}/objects/{oid}/versions/")
def versions(cid: str, oid: str, node: Node = Depends(get_node), partner: str = Depends(partner_of)) -> JSONResponse:
    return taxii({"more": False, "versions": [o["modified"] for o in _one(node, partner, cid, oid)]})


def _warm_routes(app) -> None:  # noqa: ANN001
    """FastAPI prepares the routes of included routers (dependencies, validators) on the first request
    that reaches them: ~40 ms a partner's first pull would wait for. Match a TAXII path once at start."""
    scope = {"type": "http", "path": "/taxii2/", "method": "GET", "root_path": "", "headers": [],
             "query_string": b"", "app": app}
    with suppress(Exception):  # only a warm-up: the first request does it otherwise
        for route in app.router.routes:
            route.matches(dict(scope))


def install(app) -> None:  # noqa: ANN001
    app.include_router(router)
    previous = app.router.lifespan_context

    @asynccontextmanager
    async def _lifespan(application):  # noqa: ANN001, ANN202
        # A feed page allocates ~30,000 short-lived containers; without this, every few pages the
        # collector walks everything the server imported (~50 ms). Frozen objects are still freed
        # when no longer referenced; only cycle detection skips them.
        gc.freeze()
        _warm_routes(application)
        async with previous(application) as state:
            yield state

    app.router.lifespan_context = _lifespan

    @app.exception_handler(TaxiiError)
    async def _taxii_error(request: Request, exc: TaxiiError) -> JSONResponse:
        return error_response(exc)
