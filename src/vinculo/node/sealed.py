"""Backup archives sealed with a key the operator holds: libsodium's secretstream (XChaCha20-Poly1305), via PyNaCl.

A sealed file is a header, then chunks::

    MAGIC (16 bytes) | key id (16 bytes) | secretstream header (24 bytes)
    then, per chunk: ciphertext length (4 bytes, big-endian) | ciphertext (at most CHUNK + 17 bytes)

Every chunk is authenticated (its additional data is MAGIC and the key id), in order; the last one carries
secretstream's FINAL tag, so a changed, reordered, dropped or truncated chunk, or bytes after the end, are
all refused. The key id is a keyed BLAKE2b hash of the key: it tells "another key" from "a changed archive"
and says nothing about the key itself. secretbox would seal the whole archive as one message, in memory;
secretstream is libsodium's construction for a stream of such messages, so a database of any size is
sealed and opened a megabyte at a time.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import struct
from pathlib import Path
from typing import BinaryIO

from nacl import bindings as sodium
from nacl.exceptions import CryptoError

MAGIC = b"VINCULO-BACKUP\x00\x01"
KEY_PREFIX = "vinculo-backup-key-v1:"
KEY_BYTES = sodium.crypto_secretstream_xchacha20poly1305_KEYBYTES
HEADER_BYTES = sodium.crypto_secretstream_xchacha20poly1305_HEADERBYTES
ABYTES = sodium.crypto_secretstream_xchacha20poly1305_ABYTES
TAG_FINAL = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL
TAG_MESSAGE = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
CHUNK = 1 << 20
_KEY_RE = re.compile(r"[0-9a-f]{64}")


class SealError(Exception):
    """The archive or the key cannot be used; the message says which and why."""


def key_id(key: bytes) -> bytes:
    return hashlib.blake2b(b"", key=key, digest_size=16, person=b"vinculo-bk-id").digest()


def generate_key_file(path: Path) -> str:
    """Write a new random key to `path` (0600, never overwriting); return its id (hex)."""
    key = sodium.crypto_secretstream_xchacha20poly1305_keygen()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise SealError(f"{path}: already exists; refusing to overwrite a key (its backups would be lost)") from None
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(KEY_PREFIX + key.hex() + "\n")
    return key_id(key).hex()


def load_key(path: Path) -> bytes:
    """The key in `path`, which only its owner may read."""
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="ascii", errors="replace").strip()
    except OSError as exc:
        raise SealError(f"{path}: cannot read the backup key ({exc.strerror})") from None
    if mode & 0o077:
        raise SealError(f"{path}: the backup key is readable by others (mode {oct(mode & 0o777)}); chmod 600 it")
    value = text.removeprefix(KEY_PREFIX)
    if not text.startswith(KEY_PREFIX) or not _KEY_RE.fullmatch(value):
        raise SealError(f"{path}: not a backup key (make one with `vinculo backup keygen FILE`)")
    return bytes.fromhex(value)


class SealedWriter(io.RawIOBase):
    """A write-only file object: what is written to it is sealed into `out`; `close` writes the final chunk."""

    def __init__(self, out: BinaryIO, key: bytes):
        super().__init__()
        self.out, self.ad = out, MAGIC + key_id(key)
        self.state = sodium.crypto_secretstream_xchacha20poly1305_state()
        header = sodium.crypto_secretstream_xchacha20poly1305_init_push(self.state, key)
        out.write(self.ad + header)
        self.buffer = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.buffer += data
        while len(self.buffer) > CHUNK:  # keep at least one byte back: the last chunk is the FINAL one
            self._push(bytes(self.buffer[:CHUNK]), TAG_MESSAGE)
            del self.buffer[:CHUNK]
        return len(data)

    def _push(self, chunk: bytes, tag: int) -> None:
        sealed = sodium.crypto_secretstream_xchacha20poly1305_push(self.state, chunk, self.ad, tag)
        self.out.write(struct.pack(">I", len(sealed)) + sealed)

    def close(self) -> None:
        if not self.closed:
            self._push(bytes(self.buffer), TAG_FINAL)
            self.buffer.clear()
        super().close()


class SealedReader(io.RawIOBase):
    """A read-only file object over a sealed file: every chunk is authenticated before any of it is read."""

    def __init__(self, source: BinaryIO, key: bytes, name: str = "archive"):
        super().__init__()
        self.source, self.name_ = source, name
        head = source.read(len(MAGIC) + 16 + HEADER_BYTES)
        if len(head) < len(MAGIC) + 16 + HEADER_BYTES or head[: len(MAGIC)] != MAGIC:
            raise SealError(f"{name}: not a Vinculo backup archive (its header is not one)")
        if head[len(MAGIC): len(MAGIC) + 16] != key_id(key):
            raise SealError(f"{name}: sealed with another backup key (key id {head[16:32].hex()}, "
                            f"yours is {key_id(key).hex()})")
        self.ad = MAGIC + key_id(key)
        self.state = sodium.crypto_secretstream_xchacha20poly1305_state()
        sodium.crypto_secretstream_xchacha20poly1305_init_pull(self.state, head[len(MAGIC) + 16:], key)
        self.pending, self.pos = b"", 0
        self.chunks = 0
        self.finished = False

    def readable(self) -> bool:
        return True

    def _next(self) -> None:
        size = self.source.read(4)
        if len(size) < 4:
            raise SealError(f"{self.name_}: truncated after chunk {self.chunks} (its end is missing)")
        (length,) = struct.unpack(">I", size)
        if not ABYTES <= length <= CHUNK + ABYTES:
            raise SealError(f"{self.name_}: chunk {self.chunks + 1} has an impossible length; the archive "
                            "was changed or is damaged")
        sealed = self.source.read(length)
        if len(sealed) < length:
            raise SealError(f"{self.name_}: truncated in chunk {self.chunks + 1}")
        try:
            plain, tag = sodium.crypto_secretstream_xchacha20poly1305_pull(self.state, sealed, self.ad)
        except CryptoError:
            raise SealError(f"{self.name_}: chunk {self.chunks + 1} fails authentication; the archive was "
                            "changed or is damaged") from None
        self.chunks += 1
        if tag == TAG_FINAL:
            self.finished = True
            if self.source.read(1):
                raise SealError(f"{self.name_}: bytes after the final chunk; the archive was changed")
        elif tag != TAG_MESSAGE:
            raise SealError(f"{self.name_}: chunk {self.chunks} has an unexpected tag")
        self.pending, self.pos = plain, 0

    def readinto(self, target) -> int:
        while self.pos >= len(self.pending) and not self.finished:
            self._next()
        n = min(len(target), len(self.pending) - self.pos)
        target[:n] = memoryview(self.pending)[self.pos: self.pos + n]
        self.pos += n
        return n

    def drain(self) -> None:
        """Read (and so authenticate) the rest, up to the FINAL chunk."""
        while not self.finished:
            self._next()
