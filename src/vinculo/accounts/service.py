"""Accounts: add users, issue tokens (shown once, stored as SHA-256, expiring), log in (throttled, with a
second factor where the user has one), authenticate."""

from __future__ import annotations

import datetime as dt

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import case, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from vinculo.accounts import second_factor, settings, throttle
from vinculo.accounts import tokens as token_service
from vinculo.accounts.errors import (  # noqa: F401  (re-exported: the faces import them from here)
    AccountError,
    AccountForbidden,
    AccountNotFound,
    AuthError,
    EnrolmentRequired,
    LoginThrottled,
    SecondFactorMissing,
    SecondFactorUnreadable,
    SecondFactorWrong,
)
from vinculo.accounts.model import Actor, check_name, check_password, check_role
from vinculo.audit.events import AuditEvent
from vinculo.node.context import Node
from vinculo.records.model import format_ts, parse_ts, utcnow
from vinculo.store.tables import tokens, users
from vinculo.store.tables_accounts import login_failures, totp

_hasher = PasswordHasher()
# A real hash to compare against when the user does not exist, so timing does not reveal names.
_DUMMY_HASH = _hasher.hash("vinculo-no-such-user")
TOKEN_PREFIX = token_service.TOKEN_PREFIX
SESSION_HOURS = 12


def _now() -> dt.datetime:
    return utcnow()


_token_hash = token_service.token_hash


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


def create_token(node: Node, name: str, label: str = "cli", by: str = "system",
                 expires_in: dt.timedelta | None = None) -> str:
    """Issue an API token for `name` (lifetime: `expires_in`, else the node's default, never beyond its
    maximum); the plain token is returned once and never stored. `tokens.create` also tells the expiry."""
    return token_service.create(node, name, label, by, expires_in, now=_now()).token


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


def login(node: Node, name: str, password: str, source: str = "api", client: str | None = None,
          otp: str | None = None) -> str:
    """Check a password, and the one-time code (or a recovery code) of a user with a second factor; return
    a session token valid for SESSION_HOURS.

    Throttled per user name and per client address (`accounts.throttle`): while a key is refused nothing is
    checked and LoginThrottled says how long to wait. A wrong code counts as a failed login like a wrong
    password. A user whose role must use a second factor and has none gets a session that can only enrol."""
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
        try:
            factor = second_factor.check_at_login(uow.conn, node, row.id, otp, now)
        except (SecondFactorMissing, SecondFactorUnreadable) as exc:
            reason = "missing" if isinstance(exc, SecondFactorMissing) else "unreadable"
            uow.audit(AuditEvent(f"user:{name}", "login.otp_failed", f"user:{name}",
                                 {"via": source, "client": client, "reason": reason}))
            uow.commit()
            raise
        if factor == "bad":
            _count_failure(uow.conn, keys, now)
            uow.audit(AuditEvent(f"user:{name}", "login.otp_failed", f"user:{name}",
                                 {"via": source, "client": client, "reason": "wrong"}))
            uow.commit()
            raise SecondFactorWrong("wrong one-time code or recovery code")
        if factor == "recovery":
            uow.audit(AuditEvent(f"user:{name}", "login.recovery_code", f"user:{name}",
                                 {"via": source, "left": second_factor.recovery_left(uow.conn, row.id)}))
        uow.conn.execute(delete(login_failures).where(login_failures.c.key == keys[0][1]))
        lifetime = min(dt.timedelta(hours=SESSION_HOURS), settings.token_max(node))
        tid, token, _ = token_service.issue(uow, row.id, f"session ({source})", lifetime, now)
        detail = {"via": source, "token_id": tid, "second_factor": factor or "none"}
        if factor is None and row.role in settings.totp_roles(node):
            detail["must_enrol"] = True
        uow.audit(AuditEvent(f"user:{name}", "login", f"user:{name}", detail))
        uow.commit()
    return token


def must_enrol(node: Node, name: str) -> bool:
    """Whether `name`'s role must use a second factor and `name` has none in force yet."""
    with node.engine.connect() as conn:
        row = conn.execute(select(users.c.role, totp.c.confirmed).outerjoin(totp, totp.c.user_id == users.c.id)
                           .where(users.c.name == name)).one_or_none()
    return row is not None and row.role in settings.totp_roles(node) and not row.confirmed


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


def authenticate(node: Node, token: str | None, now: dt.datetime | None = None, enrolling: bool = False) -> Actor:
    """Resolve a bearer token to an actor and audit the use; raise AuthError otherwise.

    A user whose role must use a second factor and has none enrolled is refused (EnrolmentRequired) except
    where `enrolling` (the enrolment pages and endpoints)."""
    if not token:
        raise AuthError("missing bearer token")
    now = now or _now()
    with node.uow(read_only=True) as uow:  # its one entry is group-committed with other requests'
        row = uow.conn.execute(
            select(tokens.c.id, tokens.c.expires, tokens.c.revoked, users.c.name, users.c.role, users.c.disabled,
                   totp.c.confirmed)
            .join(users, users.c.id == tokens.c.user_id).outerjoin(totp, totp.c.user_id == users.c.id)
            .where(tokens.c.token_hash == _token_hash(token))
        ).one_or_none()
        if row is None or row.revoked or row.disabled:
            raise AuthError("invalid or revoked token")
        if row.expires and parse_ts(row.expires) <= now:
            raise AuthError(f"token expired at {row.expires}; log in again, or ask for a new token")
        if not enrolling and not row.confirmed and row.role in settings.totp_roles(node):
            raise EnrolmentRequired(f"role {row.role} must log in with a second factor: enrol one first "
                                    "(web: /account/totp; API: POST /api/v1/me/totp)")
        uow.audit(AuditEvent(f"user:{row.name}", "token.use", f"token:{row.id}", {}))
        uow.commit()
    return Actor(row.name, row.role, node.id, row.id)


def revoke_token(node: Node, token: str) -> None:
    with node.uow() as uow:
        uow.conn.execute(tokens.update().where(tokens.c.token_hash == _token_hash(token)).values(revoked=True))
        uow.commit()


def list_users(node: Node) -> list[dict]:
    with node.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(
            select(users.c.name, users.c.role, users.c.created, users.c.disabled, totp.c.confirmed)
            .outerjoin(totp, totp.c.user_id == users.c.id).order_by(users.c.name))]
    required = settings.totp_roles(node)
    for r in rows:
        r["second_factor"] = "totp" if r.pop("confirmed") else ("required, not enrolled" if r["role"] in required
                                                                 else "none")
    return rows


def known_names(conn, names: list[str] | tuple[str, ...]) -> set[str]:
    """Which of `names` are users of this node (disabled ones included: naming is not logging in)."""
    if not names:
        return set()
    return set(conn.execute(select(users.c.name).where(users.c.name.in_(sorted(set(names))))).scalars())
