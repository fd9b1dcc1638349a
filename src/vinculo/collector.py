"""Collect the young generation less often while a bulk job runs (imports, pulls).

Such a job allocates millions of short-lived, acyclic containers; at the default threshold the collector
keeps walking everything the process holds (50-70 ms a time in a server). The collector stays on. Nested
and concurrent jobs share one setting: the first raises the threshold, the last one out restores it.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG = 50_000
_lock = threading.Lock()
_active = 0
_saved: tuple[int, ...] = ()


@contextmanager
def fewer_collections() -> Iterator[None]:
    global _active, _saved
    with _lock:
        if _active == 0:
            _saved = gc.get_threshold()
            gc.set_threshold(max(_saved[0], YOUNG), *_saved[1:])
        _active += 1
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0:
                gc.set_threshold(*_saved)
