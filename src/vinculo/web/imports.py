"""The import page: upload a file, see every row error before anything is written, then confirm."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response

from vinculo.accounts.model import Actor
from vinculo.records.importers import staging
from vinculo.records.importers.service import ImportFailed
from vinculo.records.importers.worker import Cancelled
from vinculo.records.model import FieldError, RecordInvalid
from vinculo.records.types import RECORD_TYPES
from vinculo.web.common import WebRoute
from vinculo.web.session import checked_form, web_actor
from vinculo.web.templating import render

router = APIRouter(route_class=WebRoute, include_in_schema=False)


def _form(request: Request, status: int = 200, errors: dict | None = None, **extra: object) -> Response:
    return render(request, "import.html", status=status, formats=staging.FORMATS, types=RECORD_TYPES,
                  errors=errors or {}, check=None, report=None, **extra)


@router.get("/import")
def import_page(request: Request, actor: Actor = Depends(web_actor)) -> Response:
    staging.require_import(actor)
    return _form(request)


@router.post("/import/check")
async def check(request: Request, form: FormData = Depends(checked_form)) -> Response:
    actor = await run_in_threadpool(web_actor, request)
    node = request.app.state.node
    upload = form.get("file")
    fmt, record_type = str(form.get("format", "")), str(form.get("record_type", "")) or None
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise RecordInvalid([FieldError("file", "choose a file to upload")])
        staged = await run_in_threadpool(staging.stage, node, actor, upload.filename, fmt, record_type, upload.file)
        report = await staging.check_async(node, actor, staged.token, request.receive)
    except RecordInvalid as exc:
        return _form(request, 422, {e.field: e.reason for e in exc.errors}, fmt=fmt, record_type=record_type)
    except Cancelled:
        return Response(status_code=400)  # the client went away: nobody reads this
    return render(request, "import.html", formats=staging.FORMATS, types=RECORD_TYPES, errors={}, check=report,
                  report=None, fmt=fmt, record_type=record_type, status=200 if report.ok else 422)


@router.post("/import/confirm")
async def confirm(request: Request, form: FormData = Depends(checked_form)) -> Response:
    actor = await run_in_threadpool(web_actor, request)
    try:
        report = await run_in_threadpool(staging.confirm, request.app.state.node, actor, str(form.get("token", "")))
    except ImportFailed as exc:
        return render(request, "import.html", status=422, formats=staging.FORMATS, types=RECORD_TYPES, errors={},
                      check=None, report=exc.report, failed=True)
    return render(request, "import.html", formats=staging.FORMATS, types=RECORD_TYPES, errors={}, check=None,
                  report=report, failed=False)
