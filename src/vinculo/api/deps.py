"""Request dependencies: the node and the authenticated actor."""

from __future__ import annotations

from fastapi import Depends, Request

from vinculo.accounts.model import Actor
from vinculo.accounts.service import AuthError, authenticate
from vinculo.node.context import Node


def get_node(request: Request) -> Node:
    return request.app.state.node


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def current_actor(request: Request, node: Node = Depends(get_node)) -> Actor:
    token = bearer(request)
    if token is None:
        raise AuthError("missing bearer token (Authorization: Bearer <token>)")
    return authenticate(node, token)
