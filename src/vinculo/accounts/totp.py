"""Time-based one-time codes (RFC 6238, through pyotp) and recovery codes (pure: no I/O).

Codes are the common authenticator-app kind: 6 digits, 30-second steps, HMAC-SHA1. A code is accepted for
its own step or one step either side (clock drift), and only for a step later than the last one accepted,
so a code seen over someone's shoulder cannot be used again.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
import secrets

import pyotp

STEP = 30
DRIFT = 1  # steps accepted either side of now
DIGITS = 6
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i
_CODE_RE = re.compile(r"^[0-9]{6}$")


def new_secret() -> str:
    return pyotp.random_base32()  # 32 base32 characters: 160 bits


def provisioning_uri(secret: str, user: str, issuer: str) -> str:
    """The otpauth:// URI an authenticator app reads (as a QR code or pasted)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP).provisioning_uri(name=user, issuer_name=issuer)


def is_code(text: str) -> bool:
    return bool(_CODE_RE.match(text))


def step_of(now: dt.datetime) -> int:
    return int(now.timestamp()) // STEP


def code_at(secret: str, now: dt.datetime) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP).generate_otp(step_of(now))


def matching_step(secret: str, code: str, now: dt.datetime, last_step: int) -> int | None:
    """The step `code` belongs to (now ± DRIFT, later than `last_step`), or None."""
    if not is_code(code):
        return None
    otp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP)
    found = None
    for step in range(step_of(now) - DRIFT, step_of(now) + DRIFT + 1):  # every step compared: constant work
        if hmac.compare_digest(otp.generate_otp(step), code) and step > last_step:
            found = step
    return found


def new_recovery_codes(count: int = RECOVERY_CODES) -> list[str]:
    """Single-use codes, 10 characters (about 50 bits) each, shown as `abcde-fghjk`."""
    out = []
    for _ in range(count):
        chars = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        out.append(f"{chars[:5]}-{chars[5:]}")
    return out


def normalise_recovery(text: str) -> str | None:
    """A recovery code as typed (any case, spaces or dashes) in its stored form, or None if it cannot be one."""
    plain = re.sub(r"[\s-]", "", text).lower()
    if len(plain) != 10 or any(c not in _RECOVERY_ALPHABET for c in plain):
        return None
    return f"{plain[:5]}-{plain[5:]}"
