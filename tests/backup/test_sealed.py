"""The sealed archive format (node/sealed.py): a stream of authenticated chunks under the operator's key."""

import io
import os
import struct

import pytest

from vinculo.node.sealed import (
    CHUNK,
    MAGIC,
    SealedReader,
    SealedWriter,
    SealError,
    generate_key_file,
    load_key,
)


@pytest.fixture
def key(tmp_path):
    path = tmp_path / "k"
    generate_key_file(path)
    return load_key(path)


def seal(key, data: bytes) -> bytes:
    out = io.BytesIO()
    w = SealedWriter(out, key)
    w.write(data)
    w.close()
    return out.getvalue()


def chunks(sealed: bytes) -> tuple[bytes, list[bytes]]:
    head, rest, found = sealed[:56], sealed[56:], []
    while rest:
        (n,) = struct.unpack(">I", rest[:4])
        found.append(rest[: 4 + n])
        rest = rest[4 + n:]
    return head, found


def unseal(key, sealed: bytes) -> bytes:
    return SealedReader(io.BytesIO(sealed), key).read()


def test_round_trip_over_several_chunks(key):
    data = os.urandom(2 * CHUNK + 12345)
    sealed = seal(key, data)
    assert sealed.startswith(MAGIC) and data[:64] not in sealed
    assert len(chunks(sealed)[1]) == 3
    assert unseal(key, sealed) == data
    assert unseal(key, seal(key, b"")) == b""


@pytest.mark.parametrize("change, message", [
    (lambda h, c: h + b"".join(c[:-1]), "truncated after chunk 2"),
    (lambda h, c: h + c[1] + c[0] + c[2], "chunk 1 fails authentication"),
    (lambda h, c: h + b"".join(c) + b"x", "bytes after the final chunk"),
    (lambda h, c: h + c[0] + c[1][:-1] + bytes([c[1][-1] ^ 1]) + c[2], "chunk 2 fails authentication"),
    (lambda h, c: h[:20] + bytes([h[20] ^ 1]) + h[21:] + b"".join(c), "sealed with another backup key"),
    (lambda h, c: b"X" + h[1:] + b"".join(c), "not a Vinculo backup archive"),
])
def test_changed_dropped_reordered_or_extended_chunks_are_refused(key, change, message):
    head, parts = chunks(seal(key, os.urandom(2 * CHUNK + 10)))
    with pytest.raises(SealError, match=message):
        unseal(key, change(head, parts))


def test_key_file_is_private_and_never_overwritten(tmp_path):
    path = tmp_path / "backup.key"
    generate_key_file(path)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    with pytest.raises(SealError, match="refusing to overwrite"):
        generate_key_file(path)
    path.chmod(0o644)
    with pytest.raises(SealError, match="readable by others"):
        load_key(path)
    path.chmod(0o600)
    path.write_text("vinculo-backup-key-v1:nothex\n")
    with pytest.raises(SealError, match="not a backup key"):
        load_key(path)
