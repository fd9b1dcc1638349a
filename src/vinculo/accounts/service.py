"""Accounts: add users, issue tokens (shown once, stored as SHA-256), log in, authenticate."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import insert, select

from vinculo.accounts.model import Actor, check_name, check_password, check_role
from vinculo.audit.events import AuditEvent
from vinculo.node.context import Node
from vinculo.records.model import format_ts, parse_ts, utcnow
from vinculo.store.tables import tokens, users

_hasher = PasswordHasher()
# A real hash to compare against when the user does not exist, so timing does not reveal names.
_DUMMY_HASH = _hasher.hash("vinculo-no-such-user")
TOKEN_PREFIX = "vn_"
SESSION_HOURS = 12


class AuthError(Exception):
    """Authentication failed; the message is safe to show."""


class AccountError(ValueError):
    pass


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_user(node: Node, name: str, role: str, password: str | None, by: str = "system") -> int:
    check_name(name)
    check_role(role)
    pw_hash = _hasher.hash(check_password(password)) if password is not None else None
    with node.uow() as uow:
        if uow.conn.execute(select(users.c.id).where(users.c.name == name)).first():
            raise AccountError(f"user {name!r} already exists")
        uid = uow.conn.execute(insert(users).values(name=name, role=role, password_hash=pw_hash,
                                                    created=format_ts(utcnow()), disabled=False)).inserted_primary_key[0]
        uow.audit(AuditEvent(by, "user.add", f"user:{name}", {"role": role}))
        uow.commit()
    return uid


def _issue(uow, user_id: int, label: str, hours: int | None) -> tuple[int, str]:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    expires = format_ts(now + dt.timedelta(hours=hours)) if hours else None
    tid = uow.conn.execute(insert(tokens).values(user_id=user_id, token_hash=_token_hash(token), label=label,
                                                 created=format_ts(now), expires=expires,
                                                 revoked=False)).inserted_primary_key[0]
    return tid, token


def create_token(node: Node, name: str, label: str = "cli", by: str = "system") -> str:
    """Issue an API token for `name`; the plain token is returned once and never stored."""
    with node.uow() as uow:
        row = uow.conn.execute(select(users).where(users.c.name == name)).one_or_none()
        if row is None:
            raise AccountError(f"no user {name!r}")
        tid, token = _issue(uow, row.id, label, None)
        uow.audit(AuditEvent(by, "token.create", f"user:{name}", {"token_id": tid, "label": label}))
        uow.commit()
    return token


def login(node: Node, name: str, password: str, source: str = "api") -> str:
    """Check a password; return a session token valid for SESSION_HOURS."""
    with node.uow() as uow:
        row = uow.conn.execute(select(users).where(users.c.name == name)).one_or_none()
        try:
            _hasher.verify(row.password_hash if row is not None and row.password_hash else _DUMMY_HASH, password)
            ok = row is not None and row.password_hash is not None and not row.disabled
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok:
            uow.audit(AuditEvent(f"user:{name}", "login.failed", f"user:{name}", {"via": source}))
            uow.commit()
            raise AuthError("wrong user name or password")
        tid, token = _issue(uow, row.id, f"session ({source})", SESSION_HOURS)
        uow.audit(AuditEvent(f"user:{name}", "login", f"user:{name}", {"via": source, "token_id": tid}))
        uow.commit()
    return token


def authenticate(node: Node, token: str | None) -> Actor:
    """Resolve a bearer token to an actor and audit the use; raise AuthError otherwise."""
    if not token:
        raise AuthError("missing bearer token")
    with node.uow(read_only=True) as uow:  # its one entry is group-committed with other requests'
        row = uow.conn.execute(
            select(tokens.c.id, tokens.c.expires, tokens.c.revoked, users.c.name, users.c.role, users.c.disabled)
            .join(users, users.c.id == tokens.c.user_id).where(tokens.c.token_hash == _token_hash(token))
        ).one_or_none()
        if row is None or row.revoked or row.disabled:
            raise AuthError("invalid or revoked token")
        if row.expires and parse_ts(row.expires) < utcnow():
            raise AuthError("token expired; log in again")
        uow.audit(AuditEvent(f"user:{row.name}", "token.use", f"token:{row.id}", {}))
        uow.commit()
    return Actor(row.name, row.role, node.id, row.id)


def revoke_token(node: Node, token: str) -> None:
    with node.uow() as uow:
        uow.conn.execute(tokens.update().where(tokens.c.token_hash == _token_hash(token)).values(revoked=True))
        uow.commit()


def list_users(node: Node) -> list[dict]:
    with node.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(users.c.name, users.c.role, users.c.created,
                                                              users.c.disabled).order_by(users.c.name))]
