"""/api/v1/imports: upload and check a file (nothing written), then confirm or discard it."""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, Form, UploadFile
from fastapi.responses import JSONResponse
from starlette.requests import Request

from vinculo.accounts.model import Actor
from vinculo.api.deps import current_actor, get_node
from vinculo.api.problems import problem
from vinculo.node.context import Node
from vinculo.records.importers import staging
from vinculo.records.importers.service import ImportFailed

router = APIRouter(prefix="/api/v1", tags=["imports"])


def _errors(errors: list) -> list[dict]:
    return [{"row": e.row, "field": e.error.field, "reason": e.error.reason} for e in errors]


@router.post("/imports/check")
def check(file: UploadFile = File(...), format: str = Form(...), record_type: str | None = Form(None),
          node: Node = Depends(get_node), actor: Actor = Depends(current_actor)) -> dict:
    """Stage the file and validate every row; nothing is written. Confirm with POST /imports/{token}."""
    staged = staging.stage(node, actor, file.filename or "upload", format, record_type, file.file)
    report = staging.check(node, actor, staged.token)
    if not report.ok:
        staging.discard(node, actor, staged.token)
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
