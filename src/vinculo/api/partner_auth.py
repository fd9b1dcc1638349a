"""Who a partner node's request comes from: the credential this node issued it (Bearer or Basic)."""

from __future__ import annotations

from fastapi import HTTPException, Request

from vinculo.federation.partners import PartnerAuthError, authenticate_partner
from vinculo.federation.taxii_server import _credential
from vinculo.node.context import Node


def partner_of_request(request: Request, node: Node) -> str:
    """The partner's node id, or 401 (as problem+json) for a missing, wrong, revoked or disabled credential."""
    try:
        return authenticate_partner(node, _credential(request))
    except PartnerAuthError as exc:
        raise HTTPException(401, str(exc)) from None
