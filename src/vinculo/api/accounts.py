"""/api/v1/tokens and /api/v1/me/totp: a user's own API tokens (an admin: everyone's) and second factor."""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from vinculo.accounts import second_factor, settings
from vinculo.accounts import tokens as token_service
from vinculo.accounts.errors import AccountForbidden, AccountNotFound, EnrolmentRequired, SecondFactorMissing
from vinculo.accounts.model import Actor
from vinculo.accounts.service import AuthError, authenticate
from vinculo.api.deps import bearer, current_actor, get_node
from vinculo.api.problems import problem
from vinculo.node.context import Node

router = APIRouter(prefix="/api/v1", tags=["accounts"])


def enrolling_actor(request: Request, node: Node = Depends(get_node)) -> Actor:
    """The caller, also when its role must enrol a second factor first (the enrolment endpoints)."""
    token = bearer(request)
    if token is None:
        raise AuthError("missing bearer token (Authorization: Bearer <token>)")
    return authenticate(node, token, enrolling=True)


class TokenIn(BaseModel):
    label: str = Field("api", min_length=1, max_length=200)
    expires_in: str | None = Field(None, max_length=16, description="90m, 12h or 30d; default: the node's "
                                                                    "token_days, never beyond token_max_days")


class CodeIn(BaseModel):
    code: str = Field(min_length=1, max_length=16, description="The 6-digit code the authenticator app shows")


@router.get("/tokens")
def list_tokens(user: str | None = Query(None, max_length=100), revoked: bool = False,
                node: Node = Depends(get_node), actor: Actor = Depends(current_actor)) -> dict:
    """Your tokens (an admin: everyone's, or `user`'s). The tokens themselves are never kept."""
    return {"tokens": token_service.list_tokens(node, actor, user, include_revoked=revoked)}


@router.post("/tokens", status_code=201)
def create_token(data: TokenIn, node: Node = Depends(get_node), actor: Actor = Depends(current_actor)) -> dict:
    """A new API token for yourself, shown once."""
    lifetime = settings.parse_duration(data.expires_in) if data.expires_in is not None else None
    issued = token_service.create(node, actor.name, data.label, by=actor.label, expires_in=lifetime)
    return {"id": issued.id, "token": issued.token, "token_type": "bearer", "expires": issued.expires,
            "capped": issued.capped}


@router.delete("/tokens/{token_id}")
def revoke_token(token_id: int = Path(ge=1, le=2**31 - 1), node: Node = Depends(get_node),
                 actor: Actor = Depends(current_actor)) -> dict:
    """Revoke one of your tokens (an admin: anyone's)."""
    return token_service.revoke(node, token_id, actor, by=actor.label)


@router.get("/me/totp")
def totp_status(node: Node = Depends(get_node), actor: Actor = Depends(enrolling_actor)) -> dict:
    return second_factor.status(node, actor.name) | {"required": actor.role in settings.totp_roles(node)}


@router.post("/me/totp", status_code=201)
def totp_start(node: Node = Depends(get_node), actor: Actor = Depends(enrolling_actor)) -> dict:
    """Begin enrolling a second factor: add `uri` (or `secret`) to an authenticator app, then confirm with
    its first code at POST /api/v1/me/totp/confirm."""
    secret, uri = second_factor.start(node, actor.name, by=actor.label)
    return {"secret": secret, "uri": uri, "confirm": "/api/v1/me/totp/confirm"}


@router.post("/me/totp/confirm")
def totp_confirm(data: CodeIn, node: Node = Depends(get_node), actor: Actor = Depends(enrolling_actor)) -> dict:
    """Put the second factor in force; answers the 10 single-use recovery codes (shown once)."""
    return {"enrolled": True, "recovery_codes": second_factor.confirm(node, actor.name, data.code, via="api")}


def install(app: FastAPI) -> None:
    app.include_router(router)

    @app.exception_handler(EnrolmentRequired)
    async def _enrol(request: Request, exc: EnrolmentRequired) -> JSONResponse:
        return problem(403, str(exc), request, enrol="/api/v1/me/totp")

    @app.exception_handler(SecondFactorMissing)
    async def _otp(request: Request, exc: SecondFactorMissing) -> JSONResponse:
        return problem(401, str(exc), request, otp_required=True)

    @app.exception_handler(AccountNotFound)
    async def _missing(request: Request, exc: AccountNotFound) -> JSONResponse:
        return problem(404, str(exc), request)

    @app.exception_handler(AccountForbidden)
    async def _forbidden(request: Request, exc: AccountForbidden) -> JSONResponse:
        return problem(403, str(exc), request)
