"""Length-prefixed pickled frames between this process and a helper process it started.

Used by the import worker: a fresh interpreter running Vinculo's own code, talking over pipes that
only the two processes hold, so frames are trusted as the program's own data (which is why pickle is
acceptable here and nowhere else).
"""

from __future__ import annotations

import os
import pickle
import queue
import struct
import threading
from typing import BinaryIO

_LEN = struct.Struct("<Q")


def pack(payload: object) -> bytes:
    return pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)


def write(out: BinaryIO, frame: bytes) -> None:
    """Send one packed frame now."""
    out.write(_LEN.pack(len(frame)))
    out.write(frame)
    out.flush()


def read(stream: BinaryIO) -> object | None:
    """The next frame's payload, or None if the stream ended (the other process stopped)."""
    head = stream.read(_LEN.size)
    if len(head) < _LEN.size:
        return None
    (size,) = _LEN.unpack(head)
    data = stream.read(size)
    if len(data) < size:
        return None
    return pickle.loads(data)  # noqa: S301 - our own helper process, over a private pipe (module docstring)


def writer(out: BinaryIO, depth: int) -> tuple[queue.Queue, threading.Thread]:
    """A thread writing the packed frames put on the returned queue (None ends it), so the caller goes
    on while a frame is sent. At most `depth` frames wait. If the pipe breaks, the parent is gone: this
    (helper) process exits."""
    pending: queue.Queue = queue.Queue(maxsize=depth)

    def send() -> None:
        try:
            while (frame := pending.get()) is not None:
                write(out, frame)
        except BaseException:  # noqa: BLE001 - the other side is gone (broken pipe)
            os._exit(3)

    thread = threading.Thread(target=send, daemon=True, name="vinculo-frames")
    thread.start()
    return pending, thread
