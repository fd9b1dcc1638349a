"""Secrets the node must read back (TOTP seeds) are kept encrypted: AES-256-GCM under a key held in a file
of the node's home (`secrets.key`, 0600, made on first use), never in the database. A copy of the database
alone (a dump, a backup, a stolen replica) reveals no seed; the key file is backed up with the node key.

The key is its own file rather than derived from the node's signing key so that rotating the signing key
does not make every enrolled second factor unreadable.
"""

from __future__ import annotations

import base64
import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_FILE = "secrets.key"
PREFIX = "aesgcm1:"


class SecretBoxError(RuntimeError):
    pass


def _key(home_path, create: bool) -> bytes:
    path = home_path / KEY_FILE
    if not path.exists() and not create:
        raise SecretBoxError(f"{path} is missing: restore it from a backup (it was made at the first enrolment)")
    if not path.exists():  # written whole to a private temporary file, then linked in: no reader sees half
        tmp = home_path / f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
        finally:
            os.unlink(tmp)
    text = path.read_text().strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise SecretBoxError(f"{path}: not a secrets key (64 hex characters); restore it from a backup")
    return key


def seal(home_path, plaintext: str, context: str) -> str:
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(_key(home_path, create=True)).encrypt(nonce, plaintext.encode(), context.encode())
    return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()


def open_(home_path, stored: str, context: str) -> str:
    if not stored.startswith(PREFIX):
        raise SecretBoxError("stored secret in an unknown format")
    try:
        blob = base64.urlsafe_b64decode(stored[len(PREFIX):])
    except ValueError:
        raise SecretBoxError("stored secret is not valid base64") from None
    try:
        return AESGCM(_key(home_path, create=False)).decrypt(blob[:12], blob[12:], context.encode()).decode()
    except InvalidTag:
        raise SecretBoxError(f"a stored secret does not open with {home_path / KEY_FILE}: the key file was "
                             "replaced or the row altered; reset the user's second factor") from None
