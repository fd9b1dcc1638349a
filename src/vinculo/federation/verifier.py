"""Verify a long pull's signatures in a helper process while this process stores pages.

Checking one Ed25519 signature per record is most of a receiver's work, and it needs nothing from the
database. Threads do not spread it well: libsodium releases the GIL during a check, but every call must
take the GIL back, and the thread storing the previous page holds it most of the time. A helper process
verifies on the other core instead, while this process stores the previous page and checks the next.

The helper is a fresh interpreter (`python -m vinculo.federation.verifier`) that loads only libsodium. It
answers batches in the order they came (`vinculo.frames` over its stdin and stdout). If it dies or
answers nonsense, every batch it has not answered is verified in this process: a pull never depends on it,
and a verdict is only ever True because libsodium said so for that record's pinned key.
"""

from __future__ import annotations

import subprocess
import sys
from collections import deque
from typing import Self

from vinculo import frames
from vinculo.sodium import ed25519_verify_hex

Item = tuple[bytes, bytes, str | None]  # (raw public key, canonical bytes, signature hex)
DEPTH = 2  # batches waiting for the helper


class Verifier:
    """Submit batches of items; `result()` returns their verdicts in submission order."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", __name__], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, bufsize=1 << 20)
        self.broken = False
        self.waiting: deque[list[Item]] = deque()
        self.pending, self.thread = frames.writer(self.proc.stdin, DEPTH, on_broken=self._broke)

    def _broke(self) -> None:
        self.broken = True

    def submit(self, items: list[Item]) -> None:
        self.waiting.append(items)
        if not self.broken:
            self.pending.put(frames.pack(items))

    def result(self) -> list[bool]:
        """The verdicts of the oldest batch not yet returned."""
        items = self.waiting.popleft()
        if not self.broken:
            verdicts = frames.read(self.proc.stdout)
            if isinstance(verdicts, list) and len(verdicts) == len(items) and all(type(v) is bool for v in verdicts):
                return verdicts
            self.broken = True  # from now on everything is verified here, in order
        from vinculo.federation.signing import verify_many  # the fallback; the helper never imports it

        return verify_many(items)

    def close(self) -> None:
        self.pending.put(None)
        self.thread.join()
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        try:
            self.proc.wait(2)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def main() -> None:
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    while (items := frames.read(inp)) is not None:
        try:
            frames.write(out, frames.pack([ed25519_verify_hex(*item) for item in items]))
        except BrokenPipeError:
            return


if __name__ == "__main__":
    main()
