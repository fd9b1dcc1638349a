"""/api/v1/notifications, /api/v1/subscriptions, /api/v1/webhooks: the notification centre, what a user
subscribes to, their webhooks and delivery log, and the live stream (server-sent events).

The stream is a plain `StreamingResponse` of `text/event-stream` frames rather than sse-starlette: it
needs only `event:`/`data:` lines, a heartbeat and a disconnect check, and one more dependency would buy
nothing here. Bounded: streams per user and per node (`notify.live`), a queue per stream, and a lifetime
(`STREAM_SECONDS`) after which the browser's EventSource reconnects on its own; a stream whose client has
gone ends within `CHECK` seconds.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from vinculo.accounts.model import Actor
from vinculo.api.deps import current_actor, get_node
from vinculo.node.context import Node
from vinculo.notify import delivery, live, runner, service

router = APIRouter(tags=["notifications"])
NodeDep = Annotated[Node, Depends(get_node)]
ActorDep = Annotated[Actor, Depends(current_actor)]
HEARTBEAT = 15.0
CHECK = 1.0  # how often a quiet stream looks whether its client has gone
STREAM_SECONDS = 300.0


class ReadBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ids: list[StrictInt] | None = Field(None, max_length=1000)


class WebhookBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(max_length=2000)


def frame(event: str, data: dict) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'), default=str)}\n\n".encode()


async def events(request: Request, node: Node, actor: Actor, stream: live.Stream) -> AsyncIterator[bytes]:
    """The frames of one stream: the unread count first, then each notification as it is made."""
    hub = live.hub_for(node.id)
    loop = asyncio.get_running_loop()
    ends = loop.time() + STREAM_SECONDS
    try:
        count = await asyncio.to_thread(service.unread, node, actor)
        yield frame("unread", {"unread": count})
        quiet = 0.0
        while loop.time() < ends:
            try:
                event = await asyncio.wait_for(stream.queue.get(), CHECK)
            except TimeoutError:
                if await request.is_disconnected():
                    break
                quiet += CHECK
                if quiet >= HEARTBEAT:
                    quiet = 0.0
                    yield b": ping\n\n"
                continue
            if event is None:  # the server is stopping
                break
            if stream.overflowed:
                stream.overflowed = False
                yield frame("resync", {"why": "too many notifications at once: reload the list"})
            count = await asyncio.to_thread(service.unread, node, actor)
            yield frame("notification", event["item"] | {"unread": count})
    finally:
        hub.close(stream)


def open_stream(request: Request, node: Node, actor: Actor) -> StreamingResponse | JSONResponse:
    try:
        stream = live.hub_for(node.id).open(actor.name)
    except live.TooManyStreams as exc:
        return JSONResponse({"type": "about:blank", "title": "Too many requests", "status": 429,
                             "detail": str(exc)}, status_code=429, media_type="application/problem+json")
    return StreamingResponse(events(request, node, actor, stream), media_type="text/event-stream",
                             headers={"cache-control": "no-store", "x-accel-buffering": "no"})


@router.get("/api/v1/notifications/stream")
async def stream(request: Request, node: NodeDep, actor: ActorDep):
    """Live notifications of the caller (server-sent events: `unread`, `notification`, `resync`)."""
    return open_stream(request, node, actor)


@router.get("/api/v1/notifications")
def notifications(node: NodeDep, actor: ActorDep, limit: int = 50, before: int | None = None,
                  unread: bool = False) -> dict:
    items = service.list_items(node, actor, limit, before, unread)
    return {"items": items, "unread": service.unread(node, actor)}


@router.post("/api/v1/notifications/read")
def mark_read(body: ReadBody, node: NodeDep, actor: ActorDep) -> dict:
    """Mark the given notifications read (`ids`), or all of them (`ids` absent)."""
    return {"changed": service.mark_read(node, actor, body.ids), "unread": service.unread(node, actor)}


@router.get("/api/v1/subscriptions")
def subscriptions(node: NodeDep, actor: ActorDep) -> dict:
    return {"items": service.list_subscriptions(node, actor)}


@router.post("/api/v1/subscriptions", status_code=201)
def subscribe(body: dict, node: NodeDep, actor: ActorDep) -> dict:
    """Subscribe: `kind` (records, alerts, notices, sync), `filter` (records: type, origin, substance,
    country, selector_kind), `channels` (inapp, email, webhook), `mode` (immediate, daily, weekly),
    `quiet_start`/`quiet_end` (hours UTC), `only_new`, `email`, `webhook_id`."""
    return service.subscribe(node, actor, body)


@router.delete("/api/v1/subscriptions/{sub_id}", status_code=204)
def unsubscribe(sub_id: int, node: NodeDep, actor: ActorDep) -> None:
    service.unsubscribe(node, actor, sub_id)


@router.get("/api/v1/webhooks")
def webhooks(node: NodeDep, actor: ActorDep) -> dict:
    return {"items": service.list_webhooks(node, actor)}


@router.post("/api/v1/webhooks", status_code=201)
def add_webhook(body: WebhookBody, node: NodeDep, actor: ActorDep) -> dict:
    """Register a webhook; the answer carries the signing secret, shown this once."""
    return service.add_webhook(node, actor, body.url)


@router.post("/api/v1/webhooks/{webhook_id}/enable")
def enable_webhook(webhook_id: int, node: NodeDep, actor: ActorDep) -> dict:
    service.enable_webhook(node, actor, webhook_id)
    return {"enabled": webhook_id}


@router.get("/api/v1/webhooks/deliveries")
def deliveries(node: NodeDep, actor: ActorDep, limit: int = 100) -> dict:
    return {"items": delivery.deliveries(node, actor.name, limit)}


def install(app: FastAPI) -> None:
    """The routes, and the node's notification threads for as long as the server runs."""
    app.include_router(router)
    previous = app.router.lifespan_context

    @asynccontextmanager
    async def _lifespan(application: FastAPI):
        runner.start(application.state.node)
        try:
            async with previous(application) as state:
                yield state
        finally:
            await asyncio.to_thread(runner.stop, application.state.node)

    app.router.lifespan_context = _lifespan
