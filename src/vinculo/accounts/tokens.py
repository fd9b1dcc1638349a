"""API tokens: issued with a lifetime (the operator's default, or what the caller asks, capped at the
operator's maximum), shown once and stored as SHA-256; listed and revoked by their owner or an admin."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import insert, select, update

from vinculo.accounts import settings
from vinculo.accounts.errors import AccountError, AccountForbidden, AccountNotFound
from vinculo.accounts.model import Actor
from vinculo.audit.events import AuditEvent
from vinculo.records.model import format_ts, utcnow
from vinculo.store.tables import tokens, users

TOKEN_PREFIX = "vn_"


@dataclass(frozen=True)
class Issued:
    id: int
    token: str  # the plain token: shown once, never stored
    expires: str
    capped: bool  # the lifetime asked for was longer than the node's maximum


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(uow, user_id: int, label: str, lifetime: dt.timedelta, now: dt.datetime) -> tuple[int, str, str]:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = format_ts(now + lifetime)
    tid = uow.conn.execute(insert(tokens).values(user_id=user_id, token_hash=token_hash(token), label=label,
                                                 created=format_ts(now), expires=expires,
                                                 revoked=False)).inserted_primary_key[0]
    return tid, token, expires


def _manages_all(actor: Actor | None) -> bool:
    """None is the operator at the console (the CLI); an admin manages every user's tokens too."""
    return actor is None or actor.may("users.manage")


def create(node, name: str, label: str = "cli", by: str = "system", expires_in: dt.timedelta | None = None,
           now: dt.datetime | None = None) -> Issued:
    """Issue a token for `name` lasting `expires_in` (default: the node's token_days), never beyond the
    node's token_max_days."""
    now = now or utcnow()
    if not label.strip() or len(label) > 200:
        raise AccountError("label: 1 to 200 characters")
    maximum = settings.token_max(node)
    wanted = expires_in if expires_in is not None else settings.token_lifetime(node)
    if wanted <= dt.timedelta(0):
        raise AccountError("expires-in: a positive duration")
    lifetime = min(wanted, maximum)
    with node.uow() as uow:
        row = uow.conn.execute(select(users).where(users.c.name == name)).one_or_none()
        if row is None:
            raise AccountError(f"no user {name!r}")
        tid, token, expires = issue(uow, row.id, label, lifetime, now)
        uow.audit(AuditEvent(by, "token.create", f"user:{name}", {"token_id": tid, "label": label,
                                                                  "expires": expires}))
        uow.commit()
    return Issued(tid, token, expires, capped=wanted > maximum)


def list_tokens(node, actor: Actor | None, user: str | None = None, include_revoked: bool = False) -> list[dict]:
    """Tokens of `user` (default: the actor's own; an admin or the console: everyone's), newest first.
    Never the token itself: it is not kept."""
    if actor is not None and not _manages_all(actor):
        if user not in (None, actor.name):
            raise AccountForbidden(f"role {actor.role} may list only its own tokens")
        user = actor.name
    query = (select(tokens.c.id, users.c.name.label("user"), tokens.c.label, tokens.c.created, tokens.c.expires,
                    tokens.c.revoked).join(users, users.c.id == tokens.c.user_id).order_by(tokens.c.id.desc()))
    if user is not None:
        query = query.where(users.c.name == user)
    if not include_revoked:
        query = query.where(tokens.c.revoked.is_(False))
    with node.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
    now = format_ts(utcnow())
    for r in rows:
        r["expired"] = bool(r["expires"] and r["expires"] < now)
    return rows


def revoke(node, token_id: int, actor: Actor | None, by: str) -> dict:
    """Revoke one token by its id: the owner's own, or any (admin, console). Someone else's token is
    answered as missing, so ids do not tell who holds tokens."""
    with node.uow() as uow:
        row = uow.conn.execute(select(tokens.c.id, tokens.c.revoked, users.c.name).join(
            users, users.c.id == tokens.c.user_id).where(tokens.c.id == token_id)).one_or_none()
        if row is None or (not _manages_all(actor) and row.name != actor.name):  # type: ignore[union-attr]
            raise AccountNotFound(f"no token {token_id}")
        uow.conn.execute(update(tokens).where(tokens.c.id == token_id).values(revoked=True))
        uow.audit(AuditEvent(by, "token.revoke", f"token:{token_id}", {"user": row.name,
                                                                       "already": bool(row.revoked)}))
        uow.commit()
    return {"id": token_id, "user": row.name, "revoked": True}
