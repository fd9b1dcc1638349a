"""/api/v1/imports: upload and check a file (nothing written), then confirm or discard it."""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, Form, UploadFile
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from vinculo.accounts.model import Actor
from vinculo.api.deps import current_actor, get_node
from vinculo.api.problems import problem
from vinculo.node.context import Node
from vinculo.records.importers import staging
from vinculo.records.importers.service import ImportFailed
from vinculo.records.importers.worker import Cancelled

router = APIRouter(prefix="/api/v1", tags=["imports"])


def _errors(errors: list) -> list[dict]:
    return [{"row": e.row, "field": e.error.field, "reason": e.error.reason} for e in errors]


@router.post("/imports/check", response_model=None)
async def check(request: Request, file: UploadFile = File(...), format: str = Form(...),
                record_type: str | None = Form(None), node: Node = Depends(get_node),
                actor: Actor = Depends(current_actor)) -> dict | Response:
    """Stage the file and validate every row in a worker process (within the import limits and
    VINCULO_IMPORT_CHECK_SECONDS); nothing is written. Confirm with POST /imports/{token}. A file that
    cannot be read or is over a limit is a 422 problem naming the reason."""
    staged = await run_in_threadpool(staging.stage, node, actor, file.filename or "upload", format, record_type,
                                     file.file)
    try:
        report = await staging.check_async(node, actor, staged.token, request.receive)
    except Cancelled:
        return Response(status_code=400)  # the client went away: nobody reads this
    return {"token": staged.token if report.ok else None, "file": report.filename, "rows": report.rows,
            "valid": report.valid, "rejected": report.rejected, "errors": _errors(report.errors),
            "unknowns": report.unknowns}


@router.post("/imports/{token}", status_code=201, response_model=None)
def confirm(token: str, request: Request, node: Node = Depends(get_node),
            actor: Actor = Depends(current_actor)) -> dict | JSONResponse:
    try:
        report = staging.confirm(node, actor, token)
    except ImportFailed as exc:
        return problem(422, str(exc).splitlines()[0], request, errors=_errors(exc.report.errors))
    return {k: v for k, v in report.__dict__.items() if k != "errors"}


@router.delete("/imports/{token}", status_code=204)
def discard(token: str, node: Node = Depends(get_node), actor: Actor = Depends(current_actor)) -> None:
    staging.discard(node, actor, token)
