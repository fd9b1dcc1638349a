"""The second factor: enrol a TOTP authenticator (web/API: start then confirm with a first code; CLI: at
once), check a code or a recovery code at login, reset a lost one. Seeds are stored encrypted
(`accounts.secretbox`), recovery codes as Argon2 hashes; every step is audited."""

from __future__ import annotations

import datetime as dt

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, insert, select, update

from vinculo.accounts import secretbox
from vinculo.accounts import totp as otp
from vinculo.accounts.errors import AccountError, SecondFactorMissing, SecondFactorUnreadable
from vinculo.audit.events import AuditEvent
from vinculo.records.model import format_ts, utcnow
from vinculo.store.tables import users
from vinculo.store.tables_accounts import recovery_codes, totp

_hasher = PasswordHasher()


def _user(conn, name: str):
    row = conn.execute(select(users.c.id, users.c.name, users.c.role).where(users.c.name == name)).one_or_none()
    if row is None:
        raise AccountError(f"no user {name!r}")
    return row


def _context(user_id: int) -> str:
    return f"vinculo-totp:{user_id}"


def _issuer(node) -> str:
    return f"Vinculo {node.id}"


def _open(node, stored: str, user_id: int) -> str:
    try:
        return secretbox.open_(node.home.path, stored, _context(user_id))
    except secretbox.SecretBoxError as exc:
        raise SecondFactorUnreadable(f"this node cannot read the second factor ({exc}); log in with a recovery "
                                     "code, or ask the operator") from None


def _store_secret(conn, node, user_id: int, secret: str, now: dt.datetime, confirmed: bool) -> None:
    conn.execute(delete(totp).where(totp.c.user_id == user_id))
    conn.execute(insert(totp).values(user_id=user_id, secret=secretbox.seal(node.home.path, secret, _context(user_id)),
                                     created=format_ts(now), confirmed=format_ts(now) if confirmed else None,
                                     last_step=0))


def _new_recovery_codes(conn, user_id: int, now: dt.datetime) -> list[str]:
    codes = otp.new_recovery_codes()
    conn.execute(delete(recovery_codes).where(recovery_codes.c.user_id == user_id))
    conn.execute(insert(recovery_codes), [{"user_id": user_id, "code_hash": _hasher.hash(c), "created": format_ts(now)}
                                          for c in codes])
    return codes


def start(node, name: str, by: str) -> tuple[str, str]:
    """Begin enrolling `name`: a new seed, not yet in force; returns (seed, otpauth URI) to show the user."""
    now = utcnow()
    with node.uow() as uow:
        user = _user(uow.conn, name)
        current = uow.conn.execute(select(totp.c.confirmed).where(totp.c.user_id == user.id)).one_or_none()
        if current is not None and current.confirmed:
            raise AccountError(f"user {name!r} already has a second factor; an operator resets a lost one with "
                               f"`vinculo user totp-reset {name}`")
        secret = otp.new_secret()
        _store_secret(uow.conn, node, user.id, secret, now, confirmed=False)
        uow.audit(AuditEvent(by, "totp.start", f"user:{name}", {}))
        uow.commit()
    return secret, otp.provisioning_uri(secret, name, _issuer(node))


def pending_uri(node, name: str) -> tuple[str, str] | None:
    """The (seed, URI) of an enrolment `name` started and has not confirmed yet, or None."""
    with node.engine.connect() as conn:
        user = _user(conn, name)
        row = conn.execute(select(totp).where(totp.c.user_id == user.id, totp.c.confirmed.is_(None))).one_or_none()
    if row is None:
        return None
    secret = _open(node, row.secret, user.id)
    return secret, otp.provisioning_uri(secret, name, _issuer(node))


def confirm(node, name: str, code: str, via: str, now: dt.datetime | None = None) -> list[str]:
    """Put the started enrolment in force once the user types a first code from the app; returns the
    recovery codes (shown once; only their hashes are kept)."""
    now = now or utcnow()
    with node.uow() as uow:
        user = _user(uow.conn, name)
        row = uow.conn.execute(select(totp).where(totp.c.user_id == user.id)).one_or_none()
        if row is None or row.confirmed:
            raise AccountError("no enrolment in progress: start one first")
        step = otp.matching_step(_open(node, row.secret, user.id), code.strip(), now, 0)
        if step is None:
            raise AccountError("code: not the current 6-digit code of this seed (check the app and the device's clock)")
        uow.conn.execute(update(totp).where(totp.c.user_id == user.id)
                         .values(confirmed=format_ts(now), last_step=step))
        codes = _new_recovery_codes(uow.conn, user.id, now)
        uow.audit(AuditEvent(f"user:{name}", "totp.enrol", f"user:{name}", {"via": via, "recovery_codes": len(codes)}))
        uow.commit()
    return codes


def enrol(node, name: str, by: str, replace: bool = False) -> tuple[str, list[str]]:
    """Enrol `name` at once (the operator at the console hands the URI over); returns (URI, recovery codes)."""
    now = utcnow()
    with node.uow() as uow:
        user = _user(uow.conn, name)
        current = uow.conn.execute(select(totp.c.confirmed).where(totp.c.user_id == user.id)).one_or_none()
        if current is not None and current.confirmed and not replace:
            raise AccountError(f"user {name!r} already has a second factor (give --replace to issue a new one)")
        secret = otp.new_secret()
        _store_secret(uow.conn, node, user.id, secret, now, confirmed=True)
        codes = _new_recovery_codes(uow.conn, user.id, now)
        uow.audit(AuditEvent(by, "totp.enrol", f"user:{name}", {"via": "cli", "replaced": bool(current),
                                                                "recovery_codes": len(codes)}))
        uow.commit()
    return otp.provisioning_uri(secret, name, _issuer(node)), codes


def reset(node, name: str, by: str) -> bool:
    """Remove `name`'s second factor and recovery codes (a lost device); True if there was one."""
    with node.uow() as uow:
        user = _user(uow.conn, name)
        removed = uow.conn.execute(delete(totp).where(totp.c.user_id == user.id)).rowcount
        uow.conn.execute(delete(recovery_codes).where(recovery_codes.c.user_id == user.id))
        uow.audit(AuditEvent(by, "totp.reset", f"user:{name}", {"had_one": bool(removed)}))
        uow.commit()
    return bool(removed)


def status(node, name: str) -> dict:
    with node.engine.connect() as conn:
        user = _user(conn, name)
        row = conn.execute(select(totp.c.confirmed).where(totp.c.user_id == user.id)).one_or_none()
        left = conn.execute(select(func.count()).select_from(recovery_codes).where(
            recovery_codes.c.user_id == user.id, recovery_codes.c.used.is_(None))).scalar_one()
    return {"enrolled": bool(row and row.confirmed), "pending": bool(row and not row.confirmed),
            "recovery_codes_left": left if row and row.confirmed else 0}


def check_at_login(conn, node, user_id: int, code: str | None, now: dt.datetime) -> str | None:
    """After a right password: None if the user has no second factor in force; "totp" or "recovery" when
    `code` lets them in (the code or recovery code is spent); "bad" when it does not. SecondFactorMissing
    when a code was needed and none was given."""
    row = conn.execute(select(totp).where(totp.c.user_id == user_id, totp.c.confirmed.is_not(None))).one_or_none()
    if row is None:
        return None
    code = (code or "").strip()
    if not code:
        raise SecondFactorMissing("a one-time code is required: the 6-digit code from the authenticator app, "
                                  "or a recovery code")
    if otp.is_code(code):
        step = otp.matching_step(_open(node, row.secret, user_id), code, now, row.last_step)
        if step is None:
            return "bad"
        spent = conn.execute(update(totp).where(totp.c.user_id == user_id, totp.c.last_step < step)
                             .values(last_step=step)).rowcount  # a concurrent login with the same code loses
        return "totp" if spent else "bad"
    recovery = otp.normalise_recovery(code)
    if recovery is None:
        return "bad"
    unused = conn.execute(select(recovery_codes.c.id, recovery_codes.c.code_hash).where(
        recovery_codes.c.user_id == user_id, recovery_codes.c.used.is_(None))).all()
    for rid, code_hash in unused:
        try:
            _hasher.verify(code_hash, recovery)
        except (VerificationError, InvalidHashError):
            continue
        spent = conn.execute(update(recovery_codes).where(recovery_codes.c.id == rid, recovery_codes.c.used.is_(None))
                             .values(used=format_ts(now))).rowcount
        return "recovery" if spent else "bad"
    return "bad"


def recovery_left(conn, user_id: int) -> int:
    return conn.execute(select(func.count()).select_from(recovery_codes).where(
        recovery_codes.c.user_id == user_id, recovery_codes.c.used.is_(None))).scalar_one()
