"""TAXII 2.1 server routes: discovery, API root, collections, objects, manifest, versions.

Partners authenticate with the credential this node issued them (Bearer, or Basic with any user
name and the credential as password). Each partner sees only the collections its agreement covers
and only what release() allows, paged by this node's change-feed sequence: `next` is a position in the
feed, and `added_after` is turned into one (`date_added`: every object's date_added is its own and grows
along the feed, so paging by X-TAXII-Date-Added-Last loses nothing). Filters: `taxii_match`.
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
from vinculo.federation import date_added, outbox, taxii_definitions
from vinculo.federation.partners import PartnerAuthError, authenticate_partner
from vinculo.federation.stix_defs import NEW_SDO_TYPES, STANDARD_TYPES, collection_id, stix_type, version_of
from vinculo.federation.stix_map import stix_id
from vinculo.federation.taxii_match import BadFilter, Match, Page
from vinculo.node.context import Node
from vinculo.records.model import parse_ts
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


def _added_after(added_after: str | None) -> dt.datetime | None:
    if not added_after:
        return None
    try:
        return parse_ts(added_after)
    except ValueError:
        raise TaxiiError(400, "Bad added_after", "added_after must be an RFC 3339 timestamp") from None


def _next(next_token: str | None) -> int | None:
    try:
        return token(next_token, "next")
    except BadToken as exc:
        raise TaxiiError(400, "Bad next", str(exc)) from None


def _after_seq(node: Node, partner: str, next_token: str | None, added_after: str | None) -> int:
    cursor = _next(next_token)
    if cursor is not None:
        return cursor
    after = _added_after(added_after)
    if after is not None:
        with node.engine.connect() as conn:
            return date_added.feed_position(conn, partner, after)
    return 0


def _entries(page: outbox.FeedPage, manifest: bool) -> list[tuple[str, dict]]:
    if manifest:
        return [(o["added"], {"id": stix_id(o["id"]), "date_added": o["added"], "version": o["modified"],
                              "media_type": STIX}) for o in page.objects]
    return list(zip(page.added, page.objects, strict=True))


def _page(node: Node, partner: str, cid: str, limit: int, next_token: str | None, added_after: str | None,
          match: Match, manifest: bool = False) -> Page:
    """One page of collection `cid` for `partner`: (date_added, object or manifest entry) in date_added order."""
    coll = _collection(node, partner, cid)
    limit = max(1, min(limit, outbox.MAX_LIMIT))  # the server may return fewer than asked (TAXII 2.1, 3.4)
    if not match.spec_version_ok:
        return Page([], False, None)
    if coll["alias"] == "definitions":
        items = [(added, obj) for added, obj in taxii_definitions.entries(node, partner) if match.keeps(obj)]
        got, more = taxii_definitions.page(items, _added_after(added_after), _next(next_token), limit)
        if manifest:
            got = [(added, {"id": obj["id"], "date_added": added, "version": version_of(obj), "media_type": STIX})
                   for added, obj in got]
        return Page(got, more, str(taxii_definitions.position(got[-1][0])) if more and got else None)
    types = set(coll["_types"])
    if match.types is not None:
        types &= _record_types_for(match.types)
    ids = _record_ids_for(match.ids) if match.ids is not None else None
    if not types or ids == set():
        return Page([], False, None)
    after = _after_seq(node, partner, next_token, added_after)
    if match.versions is None:
        page = outbox.feed(node, partner, after, limit, types, ids, manifest)
        return Page(_entries(page, manifest), page.more, str(page.next_seq) if page.more else None,
                    str(page.next_seq))
    # match[version] names timestamps: find the page's versions first (nothing signed, nothing held),
    # then fetch only the objects whose version is asked for, from the same position.
    listed = outbox.feed(node, partner, after, limit, types, ids, manifest=True)
    keep = {o["id"] for o in listed.objects if parse_ts(o["modified"]) in match.versions}
    got: list[tuple[str, dict]] = []
    if keep and manifest:
        got = [e for e in _entries(listed, True) if parse_ts(e[1]["version"]) in match.versions]
    elif keep:
        got = [e for e in _entries(outbox.feed(node, partner, after, limit, types, keep), False)
               if parse_ts(e[1]["modified"]) in match.versions]
    return Page(got, listed.more, str(listed.next_seq) if listed.more else None, str(listed.next_seq))


def _envelope(page: Page, key: str = "objects", value=None) -> JSONResponse:  # noqa: ANN001
    body: dict = {"more": page.more}
    if page.next is not None:
        body["next"] = page.next
    body[key] = [obj for _, obj in page.entries] if value is None else value
    headers = {"X-Vinculo-More": "true" if page.more else "false"}  # a client may ask for the next at once
    if page.cursor is not None:
        headers["X-Vinculo-Next"] = page.cursor
    if page.entries:
        headers["X-TAXII-Date-Added-First"] = page.entries[0][0]
        headers["X-TAXII-Date-Added-Last"] = page.entries[-1][0]
    return taxii(body, headers=headers)


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


_LIMIT = Query(500, ge=1, description=f"at most {outbox.MAX_LIMIT} are returned, whatever is asked")
_TYPE = Query(None, alias="match[type]")
_ID = Query(None, alias="match[id]")
_VERSION = Query(None, alias="match[version]")
_SPEC = Query(None, alias="match[spec_version]")


@router.get("/api/collections/{cid}/objects/")
def objects(cid: str, limit: int = _LIMIT, next: str | None = None, added_after: str | None = None,  # noqa: A002
            match_type: str | None = _TYPE, match_id: str | None = _ID, match_version: str | None = _VERSION,
            match_spec_version: str | None = _SPEC, node: Node = Depends(get_node),
            partner: str = Depends(partner_of)) -> JSONResponse:
    match = Match.parse(match_type, match_id, match_version, match_spec_version)
    # A page is ~30,000 containers. Rendered and dropped before the collector's threshold comes back,
    # they are freed by reference counting instead of being walked by a collection on the way out.
    with fewer_collections():
        page = _page(node, partner, cid, limit, next, added_after, match)
        response = _envelope(page)
        response.headers["X-Vinculo-Key"] = node.public_key_hex  # the key it signs with now (see sync._pull)
        del page
    return response


@router.get("/api/collections/{cid}/manifest/")
def manifest(cid: str, limit: int = _LIMIT, next: str | None = None, added_after: str | None = None,  # noqa: A002
             match_type: str | None = _TYPE, match_id: str | None = _ID, match_version: str | None = _VERSION,
             match_spec_version: str | None = _SPEC, node: Node = Depends(get_node),
             partner: str = Depends(partner_of)) -> JSONResponse:
    match = Match.parse(match_type, match_id, match_version, match_spec_version)
    return _envelope(_page(node, partner, cid, limit, next, added_after, match, manifest=True))


def _one(node: Node, partner: str, cid: str, oid: str, limit: int, next_token: str | None, added_after: str | None,
         match: Match, manifest: bool = False) -> Page:
    page = _page(node, partner, cid, limit, next_token, added_after, match.only(oid), manifest)
    if not page.entries and next_token is None and added_after is None:
        everything = Match.parse(None, oid, "all", None)  # does the object exist at all, for this partner?
        if not _page(node, partner, cid, 1, None, None, everything, manifest=True).entries:
            raise TaxiiError(404, "Object not found", f"no object {oid} for {partner} in {cid}")
    return page


@router.get("/api/collections/{cid}/objects/{oid}/")
def get_object(cid: str, oid: str, limit: int = _LIMIT, next: str | None = None,  # noqa: A002
               added_after: str | None = None, match_version: str | None = _VERSION,
               match_spec_version: str | None = _SPEC, node: Node = Depends(get_node),
               partner: str = Depends(partner_of)) -> JSONResponse:
    match = Match.parse(None, None, match_version, match_spec_version)
    return _envelope(_one(node, partner, cid, oid, limit, next, added_after, match))


@router.get("/api/collections/{cid}/objects/{oid}/versions/")
def versions(cid: str, oid: str, limit: int = _LIMIT, next: str | None = None,  # noqa: A002
             added_after: str | None = None, match_spec_version: str | None = _SPEC, node: Node = Depends(get_node),
             partner: str = Depends(partner_of)) -> JSONResponse:
    match = Match.parse(None, None, "all", match_spec_version)
    page = _one(node, partner, cid, oid, limit, next, added_after, match, manifest=True)
    return _envelope(page, "versions", [m["version"] for _, m in page.entries])


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

    @app.exception_handler(BadFilter)
    async def _bad_filter(request: Request, exc: BadFilter) -> JSONResponse:
        return error_response(TaxiiError(400, f"Bad {exc.name}", str(exc)))
