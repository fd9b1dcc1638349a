"""A call run on its own thread beside the caller's work (a pull's round trips that need not wait)."""

from __future__ import annotations

import threading
from collections.abc import Callable


class Beside:
    """`fn(*args)` run on its own thread from now on; `result()` waits for it and returns what it returned
    or raises what it raised."""

    def __init__(self, fn: Callable[..., object], *args: object):
        self.value: object = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(fn, args), name="vinculo-sync-beside", daemon=True)
        self.thread.start()

    def _run(self, fn: Callable[..., object], args: tuple) -> None:
        try:
            self.value = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - handed to whoever waits for the result
            self.error = exc

    def wait(self) -> None:
        self.thread.join()

    def result(self) -> object:
        self.thread.join()
        if self.error is not None:
            raise self.error
        return self.value
