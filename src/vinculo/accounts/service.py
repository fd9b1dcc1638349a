"""Accounts: add users, issue tokens (shown once, stored as SHA-256), log in (throttled), authenticate."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import case, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from vinculo.accounts import throttle
from vinculo.accounts.model import Actor, check_name, check_password, check_role
from vinculo.audit.events import AuditEvent
from vinculo.node.context import Node
from vinculo.records.model import format_ts, parse_ts, utcnow
from vinculo.store.tables import tokens, users
from vinculo.store.tables_accounts import login_failures

_hasher = PasswordHasher()
# A real hash to compare against when the user does not exist, so timing does not reveal names.
_DUMMY_HASH = _hasher.hash("vinculo-no-such-user")
TOKEN_PREFIX = "vn_"
SESSION_HOURS = 12


class AuthError(Exception):
    """Authentication failed; the message is safe to show."""


class AccountError(ValueError):
    pass


class LoginThrottled(Exception):
    """Too many failed logins for this user name or client address: try again in `retry_after` seconds."""

    def __init__(self, retry_after: int):
        super().__init__(f"too many failed logins; try again in {retry_after} seconds")
        self.retry_after = retry_after


def _now() -> dt.datetime:
    return utcnow()


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


def _verify(password_hash: str | None, password: str) -> bool:
    """One argon2 verification whatever the case: a user without a password (or no such user) is checked
    against a fixed dummy hash, so the time taken does not reveal which names exist."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def _throttled(conn, keys: list[tuple[str, str]], now: dt.datetime) -> int | None:
    rows = conn.execute(select(login_failures.c.blocked_until)
                        .where(login_failures.c.key.in_([k for _, k in keys]),
                               login_failures.c.blocked_until > format_ts(now))).scalars().all()
    return max(throttle.retry_after(parse_ts(b), now) for b in rows) if rows else None


def _count_failure(conn, keys: list[tuple[str, str]], now: dt.datetime) -> None:
    """One more failure on each key, counted atomically (concurrent logins in several processes), then the
    key's refusal window from its new count. Keys quiet for throttle.FORGET start over."""
    stamp, stale = format_ts(now), format_ts(now - throttle.FORGET)
    make = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    for kind, key in keys:
        stmt = make(login_failures).values(key=key, failures=1, last_failure=stamp, blocked_until=None)
        stmt = stmt.on_conflict_do_update(index_elements=["key"], set_={
            "failures": case((login_failures.c.last_failure < stale, 1), else_=login_failures.c.failures + 1),
            "last_failure": stamp})
        conn.execute(stmt)
        failures = conn.execute(select(login_failures.c.failures).where(login_failures.c.key == key)).scalar_one()
        wait = throttle.window(kind, failures)
        if wait is not None:
            conn.execute(update(login_failures).where(login_failures.c.key == key)
                         .values(blocked_until=format_ts(now + wait)))
    conn.execute(delete(login_failures).where(login_failures.c.last_failure < stale))


def login(node: Node, name: str, password: str, source: str = "api", client: str | None = None) -> str:
    """Check a password; return a session token valid for SESSION_HOURS.

    Throttled per user name and per client address (`accounts.throttle`): while a key is refused the
    password is not even checked and LoginThrottled says how long to wait."""
    now = _now()
    keys = throttle.keys(name, client)
    with node.uow() as uow:
        wait = _throttled(uow.conn, keys, now)
        if wait is not None:
            uow.audit(AuditEvent(f"user:{name}", "login.throttled", f"user:{name}",
                                 {"via": source, "client": client, "retry_after": wait}))
            uow.commit()
            raise LoginThrottled(wait)
        row = uow.conn.execute(select(users).where(users.c.name == name)).one_or_none()
        ok = _verify(row.password_hash if row is not None else None, password) and not row.disabled
        if not ok:
            _count_failure(uow.conn, keys, now)
            uow.audit(AuditEvent(f"user:{name}", "login.failed", f"user:{name}", {"via": source, "client": client}))
            uow.commit()
            raise AuthError("wrong user name or password")
        uow.conn.execute(delete(login_failures).where(login_failures.c.key == keys[0][1]))
        tid, token = _issue(uow, row.id, f"session ({source})", SESSION_HOURS)
        uow.audit(AuditEvent(f"user:{name}", "login", f"user:{name}", {"via": source, "token_id": tid}))
        uow.commit()
    return token


def clear_throttle(node: Node, name: str | None = None, address: str | None = None, by: str = "system") -> int:
    """Forget the failed logins of a user name and/or a client address (an operator unblocking someone);
    returns how many counters were removed."""
    keys = [k for kind, k in throttle.keys(name or "", address) if (kind == "user" and name) or kind == "addr"]
    if not keys:
        raise AccountError("give a user name or an address")
    with node.uow() as uow:
        removed = uow.conn.execute(delete(login_failures).where(login_failures.c.key.in_(keys))).rowcount
        uow.audit(AuditEvent(by, "login.unthrottled", f"user:{name}" if name else f"addr:{address}",
                             {"keys": keys, "removed": removed}))
        uow.commit()
    return removed


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
