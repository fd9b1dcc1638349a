"""Job handlers the multi-process tests load into `vinculo worker` (VINCULO_JOB_MODULES=job_handlers).

`sync.partner` is the node's own handler, after a line naming the slot and this process is appended to
$JOBS_TEST_LOG (an O_APPEND write of one short line: whole lines, whichever process writes). `test.hold`
says it started, then waits for its release file before it finishes (a job to kill a worker in the middle of).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from vinculo.jobs.work import sync_partner


def _log(line: str) -> None:
    fd = os.open(os.environ["JOBS_TEST_LOG"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)


def logged_sync(node, payload: dict) -> dict:
    _log(f"{payload['slot']} {os.getpid()}")
    return sync_partner(node, payload)


def hold(node, payload: dict) -> dict:
    folder = Path(payload["dir"])
    (folder / f"started.{os.getpid()}").write_text("")
    for _ in range(1200):  # at most a minute
        if (folder / "release").exists():
            break
        time.sleep(0.05)
    _log(f"held {os.getpid()}")
    return {"pid": os.getpid()}


HANDLERS = {"sync.partner": logged_sync, "test.hold": hold}
