"""Read an import file as numbered lines of text, within the limits (see limits.py).

A file is read as bytes, one line at a time, never more than a row's limit at once: a file with no line
break (a sparse file, one huge line) is refused after that many bytes, not read whole. Lines are decoded
as UTF-8 one by one (a BOM at the start is dropped), so a bad byte is named by its line and column.
A `.zip` is opened only if its one member declares a size and a compression ratio within the limits;
`zipfile` stops at the declared size and its CRC check refuses a member that inflates to anything else.
"""

from __future__ import annotations

import csv
import io
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from vinculo.records.importers.limits import ImportRejected, Limits

BOM = b"\xef\xbb\xbf"
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OSError)
SMALL = 1024 * 1024  # a member this small is never called a bomb, whatever its ratio
ZIP_DIRECTORY_BYTES = 1024 * 1024  # a zip's table of contents (thousands of members): read whole by zipfile


class _Guarded(io.RawIOBase):
    """A zip member as a raw stream: the errors of a damaged archive become ImportRejected."""

    def __init__(self, inner: BinaryIO, name: str):
        self.inner, self.name = inner, name

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        try:
            data = self.inner.read(len(buffer))
        except _ZIP_ERRORS as exc:
            raise ImportRejected(self.name, None, f"damaged zip file: {exc}") from None
        buffer[: len(data)] = data
        return len(data)


def _member(zf: zipfile.ZipFile, name: str, limits: Limits, suffix: str) -> zipfile.ZipInfo:
    members = [i for i in zf.infolist() if i.filename.lower().endswith(suffix)]
    if len(members) != 1:
        raise ImportRejected(name, None, f"expected one {suffix} inside the zip, found {len(members)}")
    info = members[0]
    if info.file_size > limits.max_unzipped_bytes:
        raise ImportRejected(name, None, f"{info.filename} would unzip to {info.file_size} bytes, more than "
                                         f"{limits.max_unzipped_bytes} (VINCULO_IMPORT_MAX_UNZIPPED_BYTES)")
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > SMALL and ratio > limits.max_ratio:
        raise ImportRejected(name, None, f"{info.filename} would unzip {ratio:.0f} times larger than it is "
                                         f"(a zip bomb?); the limit is {limits.max_ratio} "
                                         "(VINCULO_IMPORT_MAX_RATIO)")
    return info


def open_zip(path: Path) -> zipfile.ZipFile:
    """The archive, once its table of contents is known to be small (zipfile reads it whole)."""
    try:
        with open(path, "rb") as fh:
            end = zipfile._EndRecData(fh)  # private, stable since 2.x: no public way
        if end is None:
            raise zipfile.BadZipFile("File is not a zip file")
        if end[zipfile._ECD_SIZE] > ZIP_DIRECTORY_BYTES:
            raise ImportRejected(str(path), None, f"its table of contents takes {end[zipfile._ECD_SIZE]} bytes "
                                                  f"(more than {ZIP_DIRECTORY_BYTES}): too many members")
        return zipfile.ZipFile(path)
    except _ZIP_ERRORS as exc:
        raise ImportRejected(str(path), None, f"not a readable zip file: {exc}") from None


@contextmanager
def open_bytes(path: Path, limits: Limits, member_suffix: str = ".csv") -> Iterator[BinaryIO]:
    """The file's bytes: the file itself, or the one `member_suffix` member of a `.zip`."""
    name = str(path)
    if path.suffix.lower() != ".zip":
        with open(path, "rb") as fh:
            yield fh
        return
    with open_zip(path) as zf:
        info = _member(zf, name, limits, member_suffix)
        try:
            inner = zf.open(info)
        except _ZIP_ERRORS as exc:
            raise ImportRejected(name, None, f"cannot unzip {info.filename}: {exc}") from None
        with inner, io.BufferedReader(_Guarded(inner, name), 1 << 20) as raw:
            yield raw


class Lines:
    """Numbered, decoded lines of a byte stream; `number` is the last line read (1 is the first)."""

    def __init__(self, raw: BinaryIO, name: str, limits: Limits):
        self.raw, self.name, self.limits = raw, name, limits
        self.number = 0
        self.row_bytes = 0  # bytes of the current row so far (a CSV record may span lines)

    def __iter__(self) -> Iterator[str]:
        readline, most, max_rows = self.raw.readline, self.limits.max_row_bytes, self.limits.max_rows
        while line := readline(most + 1):
            self.number += 1
            if self.number > max_rows:
                raise ImportRejected(self.name, self.number, f"more than {max_rows} lines "
                                                             "(VINCULO_IMPORT_MAX_ROWS)")
            self.row_bytes += len(line)
            if len(line) > most or self.row_bytes > most:
                raise ImportRejected(self.name, self.number, f"row longer than {most} bytes "
                                                             "(VINCULO_IMPORT_MAX_ROW_BYTES)")
            if (nul := line.find(b"\0")) >= 0:
                raise ImportRejected(self.name, self.number, f"NUL byte at column {nul + 1}: not a text file")
            if self.number == 1 and line.startswith(BOM):
                line = line[len(BOM):]
            try:
                yield line.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ImportRejected(self.name, self.number, f"not UTF-8 text: byte 0x{line[exc.start]:02x} at "
                                                             f"column {exc.start + 1}") from None


def csv_rows(lines: Lines, **dialect: object) -> Iterator[tuple[int, list[str]]]:
    """(first line number, cells) of each CSV record, blank lines skipped; a malformed file (a NUL
    byte, an unclosed quote at the end) is refused naming the row."""
    csv.field_size_limit(lines.limits.max_row_bytes)
    reader = csv.reader(lines, **dialect)  # type: ignore[arg-type]
    while True:
        start = lines.number + 1
        lines.row_bytes = 0
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ImportRejected(lines.name, start, f"not valid CSV: {exc}") from None
        if len(cells) > 1 or (cells and cells[0].strip()):
            yield start, cells
