"""Live fan-out to connected server-sent-event clients, in process and bounded.

Each open stream is a bounded asyncio queue on the server's event loop; the matcher thread hands it events
with `call_soon_threadsafe`. A user holds at most `MAX_PER_USER` streams and a node `MAX_STREAMS`; a queue
that is full drops the event and tells the client to reload its list (`resync`), so a slow client never
holds the matcher back.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field

MAX_PER_USER = 5
MAX_STREAMS = 200
QUEUE = 100


class TooManyStreams(RuntimeError):
    pass


@dataclass(eq=False)
class Stream:
    user: str
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(QUEUE))
    overflowed: bool = False

    def _put(self, event: dict) -> None:
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.overflowed = True


class Hub:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._streams: dict[str, set[Stream]] = {}

    def open(self, user: str) -> Stream:
        with self._lock:
            mine = self._streams.setdefault(user, set())
            if len(mine) >= MAX_PER_USER:
                raise TooManyStreams(f"at most {MAX_PER_USER} live streams a user: close one first")
            if sum(len(s) for s in self._streams.values()) >= MAX_STREAMS:
                raise TooManyStreams(f"this node serves at most {MAX_STREAMS} live streams")
            stream = Stream(user, asyncio.get_running_loop())
            mine.add(stream)
            return stream

    def close(self, stream: Stream) -> None:
        with self._lock:
            self._streams.get(stream.user, set()).discard(stream)

    def publish(self, user: str, event: dict) -> int:
        """Hand `event` to every open stream of `user` (from any thread); returns how many."""
        with self._lock:
            streams = list(self._streams.get(user, ()))
        for s in streams:
            try:
                s.loop.call_soon_threadsafe(s._put, event)
            except RuntimeError:  # its loop has closed
                self.close(s)
        return len(streams)

    def close_all(self) -> int:
        """End every open stream (its generator returns at the `None` it gets): a server stopping must not
        wait for clients that never leave."""
        with self._lock:
            streams = [s for mine in self._streams.values() for s in mine]
        for s in streams:
            try:
                s.loop.call_soon_threadsafe(s._put, None)
            except RuntimeError:
                pass
        return len(streams)

    def connected(self, user: str) -> int:
        with self._lock:
            return len(self._streams.get(user, ()))


_hubs: dict[str, Hub] = {}
_hubs_lock = threading.Lock()


def hub_for(node_id: str) -> Hub:
    with _hubs_lock:
        return _hubs.setdefault(node_id, Hub())
