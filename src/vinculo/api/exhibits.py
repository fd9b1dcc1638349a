"""/api/v1: attachments (upload as the raw request body, list, download, thumbnail) and the partner
endpoint that serves an attachment's bytes by hash. Lab results are records (`POST /api/v1/records`,
type `lab-result`)."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from vinculo.accounts.model import Actor
from vinculo.api.deps import current_actor, get_node
from vinculo.api.partner_auth import partner_of_request
from vinculo.api.problems import problem
from vinculo.exhibits import service
from vinculo.exhibits.files import FileRefused, Receiver, max_bytes
from vinculo.node.context import Node
from vinculo.records.service import NotFound

router = APIRouter(prefix="/api/v1", tags=["exhibits"])
NodeDep = Annotated[Node, Depends(get_node)]
ActorDep = Annotated[Actor, Depends(current_actor)]
SHA = r"^[0-9a-f]{64}$"


@router.post("/records/{record_id}/attachments", status_code=201)
async def upload(record_id: str, request: Request, node: NodeDep, actor: ActorDep,
                 filename: Annotated[str | None, Query(max_length=200)] = None,
                 caption: Annotated[str | None, Query(max_length=500)] = None, keep_metadata: bool = False):
    """The file is the request body (Content-Type is ignored: the type is read from its bytes). Larger than
    the cap: 413, before a byte is stored."""
    cap = max_bytes()
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        return problem(413, f"file: {declared} bytes is past the limit of {cap} bytes", request)
    rec = Receiver(service.store_of(node), cap)
    try:
        async for chunk in request.stream():
            rec.write(chunk)
        tmp = rec.done()
    except FileRefused as exc:
        return problem(exc.status, str(exc), request)
    except BaseException:
        rec.abort()
        raise
    try:
        stored = await run_in_threadpool(service.upload, node, actor, record_id, tmp, filename, caption, keep_metadata)
    except FileRefused as exc:
        return problem(exc.status, str(exc), request)
    return JSONResponse({"id": stored.id, "type": stored.type, "version": stored.version, "body": stored.body},
                        status_code=201)


@router.get("/records/{record_id}/attachments")
def list_attachments(record_id: str, node: NodeDep, actor: ActorDep) -> dict:
    return {"items": service.attachments_of(node, actor, record_id)}


def _file(path, media: str, name: str, inline: bool) -> FileResponse:
    return FileResponse(path, media_type=media, filename=name,
                        content_disposition_type="inline" if inline else "attachment",
                        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store",
                                 "Content-Security-Policy": "default-src 'none'; sandbox"})


@router.get("/attachments/{attachment_id}/content")
def download(attachment_id: str, node: NodeDep, actor: ActorDep) -> FileResponse:
    path, media, name = service.open_for(node, actor, attachment_id)
    return _file(path, media, name, media.startswith("image/"))


@router.get("/attachments/{attachment_id}/thumbnail")
def thumbnail(attachment_id: str, node: NodeDep, actor: ActorDep) -> FileResponse:
    path, media, name = service.open_for(node, actor, attachment_id, thumbnail=True)
    return _file(path, media, f"thumb-{name}.jpg", True)


@router.get("/partner/attachments/{sha256}")
def partner_file(sha256: str, request: Request, node: NodeDep) -> FileResponse:
    partner = partner_of_request(request, node)
    if not re.match(SHA, sha256):
        raise NotFound("not a SHA-256")
    path, media = service.for_partner(node, partner, sha256)
    return FileResponse(path, media_type=media, headers={"X-Content-Type-Options": "nosniff"})
