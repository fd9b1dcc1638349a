"""The attachment store: files named by the SHA-256 of their bytes under `<home>/exhibits/`, mode 0600.

An upload is streamed to a temporary file under the same folder, counting bytes against the cap as they
come (`receive`: never spooled whole in memory); past the cap the temporary file is deleted and nothing is
stored. Its type is read from its first bytes (`sniff`), never from the name or the client's header; an
image must also open in Pillow within a pixel bound. Metadata is stripped (`strip`) unless the uploader keeps
it: JPEG and PNG losslessly, by dropping the segments/chunks that carry EXIF (and its GPS block), XMP, IPTC
and comments, so that the evidence's pixels are not re-compressed; WebP is re-encoded by Pillow without
them. Only then is the file hashed and moved to `files/<h[:2]>/<h>` (`commit`); a thumbnail (JPEG, 256 px)
goes to `thumbs/<h>.jpg`.
"""

from __future__ import annotations

import hashlib
import io
import os
import struct
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from vinculo.node.home import PRIVATE_FILE, private_dir

DEFAULT_MAX_BYTES = 25 * 1024 * 1024
MAX_PIXELS = 80_000_000  # a decompression bomb is refused, not decoded
THUMB_PX = 256
CHUNK = 1 << 20


def max_bytes() -> int:
    """The upload cap in bytes (`VINCULO_EXHIBITS_MAX_BYTES`, default 25 MiB)."""
    raw = os.environ.get("VINCULO_EXHIBITS_MAX_BYTES")
    return int(raw) if raw and raw.isdigit() and int(raw) > 0 else DEFAULT_MAX_BYTES


class FileRefused(ValueError):
    """An upload refused: `status` is the HTTP status a face answers with (413 too large, 415/422 type)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Stored:
    sha256: str
    size: int
    media_type: str
    metadata_kept: bool


class Store:
    def __init__(self, home_path: Path):
        self.root = Path(home_path) / "exhibits"

    def _dir(self, name: str) -> Path:
        return private_dir(self.root / name)

    def path(self, sha256: str) -> Path:
        return self.root / "files" / sha256[:2] / sha256

    def thumb_path(self, sha256: str) -> Path:
        return self.root / "thumbs" / f"{sha256}.jpg"

    def has(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def temp(self) -> tuple[int, Path]:
        fd, name = tempfile.mkstemp(dir=self._dir("tmp"), prefix="up-")
        os.fchmod(fd, PRIVATE_FILE)
        return fd, Path(name)

    def receive(self, chunks: Iterable[bytes], cap: int) -> Path:
        """Write `chunks` to a temporary file, refusing (and deleting it) once past `cap` bytes."""
        rec = Receiver(self, cap)
        try:
            for chunk in chunks:
                rec.write(chunk)
        except BaseException:
            rec.abort()
            raise
        return rec.done()

    def commit(self, tmp: Path, keep_metadata: bool, allowed: tuple[str, ...]) -> Stored:
        """Check, strip, hash and store a received temporary file (deleted in every case)."""
        try:
            media = sniff(tmp)
            if media is None or media not in allowed:
                raise FileRefused(415, f"file: type {media or 'unknown'} not allowed (allowed: {', '.join(allowed)})")
            if media.startswith("image/"):
                check_image(tmp)
                if not keep_metadata:
                    strip(tmp, media, self)
            digest, size = hash_file(tmp)
            final = self.path(digest)
            if not final.exists():
                self._dir(f"files/{digest[:2]}")
                os.replace(tmp, final)
                os.chmod(final, PRIVATE_FILE)
            if media.startswith("image/") and not self.thumb_path(digest).exists():
                self.thumbnail(digest)
            return Stored(digest, size, media, keep_metadata)
        finally:
            tmp.unlink(missing_ok=True)

    def put_verified(self, chunks: Iterable[bytes], sha256: str, size: int, media: str) -> None:
        """Store bytes received from a partner, if and only if they are `size` bytes hashing to `sha256`."""
        tmp = self.receive(chunks, size)
        try:
            digest, got = hash_file(tmp)
            if digest != sha256 or got != size:
                raise FileRefused(422, f"attachment {sha256[:12]}…: bytes do not match the signed hash/size")
            if sniff(tmp) != media:
                raise FileRefused(422, f"attachment {sha256[:12]}…: not a {media}")
            self._dir(f"files/{sha256[:2]}")
            os.replace(tmp, self.path(sha256))
            os.chmod(self.path(sha256), PRIVATE_FILE)
            if media.startswith("image/"):
                self.thumbnail(sha256)
        finally:
            tmp.unlink(missing_ok=True)

    def thumbnail(self, sha256: str) -> None:
        from PIL import Image

        try:
            with Image.open(self.path(sha256)) as img:
                img.draft("RGB", (THUMB_PX, THUMB_PX))  # JPEG: decode at a reduced scale
                img = img.convert("RGB")
                img.thumbnail((THUMB_PX, THUMB_PX))
                buf = io.BytesIO()
                img.save(buf, "JPEG", quality=80)
        except Exception:  # noqa: BLE001 - a thumbnail is a convenience; the file is kept
            return
        self._dir("thumbs")
        fd = os.open(self.thumb_path(sha256), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
        with os.fdopen(fd, "wb") as out:
            out.write(buf.getvalue())

    def delete(self, sha256: str) -> bool:
        found = self.path(sha256).exists()
        self.path(sha256).unlink(missing_ok=True)
        self.thumb_path(sha256).unlink(missing_ok=True)
        return found

    def all_hashes(self) -> list[str]:
        base = self.root / "files"
        return sorted(p.name for p in base.glob("*/*")) if base.exists() else []


class Receiver:
    """A temporary file being written chunk by chunk (an async face feeds it from the request stream)."""

    def __init__(self, store: Store, cap: int):
        fd, self.path = store.temp()
        self.out = os.fdopen(fd, "wb")
        self.cap, self.size = cap, 0

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.cap:
            self.abort()
            raise FileRefused(413, f"file: larger than the limit of {self.cap} bytes")
        self.out.write(chunk)

    def abort(self) -> None:
        self.out.close()
        self.path.unlink(missing_ok=True)

    def done(self) -> Path:
        self.out.close()
        if self.size == 0:
            self.path.unlink(missing_ok=True)
            raise FileRefused(422, "file: empty")
        return self.path


def hash_file(path: Path) -> tuple[str, int]:
    h, size = hashlib.sha256(), 0
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def sniff(path: Path) -> str | None:
    """The media type of a file by its magic bytes (JPEG, PNG, WebP, PDF), or None."""
    with open(path, "rb") as f:
        head = f.read(16)
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def check_image(path: Path) -> None:
    """The image opens in Pillow, within `MAX_PIXELS` (a decompression bomb is refused unread)."""
    from PIL import Image

    try:
        with Image.open(path) as img:
            w, h = img.size
            if w * h > MAX_PIXELS:
                raise FileRefused(422, f"file: image of {w}x{h} pixels is past the limit of {MAX_PIXELS}")
            img.verify()
    except FileRefused:
        raise
    except Exception as exc:  # noqa: BLE001 - any decoder error is the file's fault
        raise FileRefused(422, f"file: not a readable image ({type(exc).__name__})") from None


# JPEG: APP1 (EXIF with its GPS IFD, XMP), APP3-APP13 and APP15 (maker and IPTC/Photoshop blocks), COM.
# Kept: APP0 (JFIF), APP2 (ICC colour profile), APP14 (Adobe colour transform) and all image data.
_JPEG_DROP = {0xE1, *range(0xE3, 0xEE), 0xEF, 0xFE}
_PNG_DROP = {b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"}


def strip(path: Path, media: str, store: Store) -> None:
    """Remove metadata from the image at `path` in place."""
    fd, out_path = store.temp()
    try:
        with open(path, "rb") as src, os.fdopen(fd, "wb") as out:
            if media == "image/jpeg":
                _strip_jpeg(src, out)
            elif media == "image/png":
                _strip_png(src, out)
            else:
                _reencode(src, out, media)
        os.replace(out_path, path)
    except FileRefused:
        raise
    except (struct.error, ValueError, OSError) as exc:
        raise FileRefused(422, f"file: malformed {media} ({exc})") from None
    finally:
        out_path.unlink(missing_ok=True)


def _copy_rest(src, out) -> None:
    while chunk := src.read(CHUNK):
        out.write(chunk)


def _strip_jpeg(src, out) -> None:
    if src.read(2) != b"\xff\xd8":
        raise ValueError("no SOI")
    out.write(b"\xff\xd8")
    while True:
        marker = src.read(2)
        if len(marker) < 2 or marker[0] != 0xFF:
            raise ValueError("bad marker")
        kind = marker[1]
        if kind == 0xDA or kind == 0xD9:  # start of scan: the rest is image data
            out.write(marker)
            _copy_rest(src, out)
            return
        if 0xD0 <= kind <= 0xD7 or kind == 0x01:
            out.write(marker)
            continue
        raw_len = src.read(2)
        (length,) = struct.unpack(">H", raw_len)
        if length < 2:
            raise ValueError("bad segment length")
        payload = src.read(length - 2)
        if len(payload) != length - 2:
            raise ValueError("truncated segment")
        if kind not in _JPEG_DROP:
            out.write(marker + raw_len + payload)


def _strip_png(src, out) -> None:
    sig = src.read(8)
    out.write(sig)
    while True:
        head = src.read(8)
        if len(head) < 8:
            raise ValueError("truncated chunk")
        length, ctype = struct.unpack(">I4s", head)
        if length > 1 << 31:
            raise ValueError("bad chunk length")
        data = src.read(length + 4)
        if len(data) != length + 4:
            raise ValueError("truncated chunk")
        if ctype not in _PNG_DROP:
            out.write(head + data)
        if ctype == b"IEND":
            return


def _reencode(src, out, media: str) -> None:
    from PIL import Image

    with Image.open(src) as img:
        img.load()
        clean = Image.new(img.mode, img.size)
        clean.paste(img)
        clean.save(out, "WEBP", quality=95)
