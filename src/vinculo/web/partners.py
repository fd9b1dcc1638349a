"""Partner pages (administrators): partners with keys, last sync and receipts; the agreement editor with
a preview of what the draft would release (the same services as /api/v1/partners)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from vinculo.accounts.model import Actor
from vinculo.api.params import BadToken, Flag, token
from vinculo.federation import overview
from vinculo.federation.agreements import WithdrawalsUnconfirmed, update_agreement
from vinculo.federation.preview import draft_agreement, preview_agreement, require_manage
from vinculo.records.model import RecordInvalid
from vinculo.web import agreement_form
from vinculo.web.common import WebRoute, redirect
from vinculo.web.session import checked_form, web_actor
from vinculo.web.templating import render

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@router.get("/partners")
def partner_list(request: Request, actor: Actor = Depends(web_actor)) -> Response:
    return render(
        request, "partners.html", partners=overview.partners_overview(request.app.state.node, actor)
    )


@router.get("/partners/{partner}")
def partner_page(
    partner: str,
    request: Request,
    saved: Flag = None,
    withdrawn: Flag = None,
    actor: Actor = Depends(web_actor),
) -> Response:
    detail = overview.partner_detail(request.app.state.node, actor, partner)
    return render(request, "partner.html", p=detail, saved=saved, withdrawn=withdrawn)


def _editor(
    request: Request,
    actor: Actor,
    partner: str,
    values: dict,
    errors: list,
    status: int = 200,
    preview: dict | None = None,
    confirmed: int | None = None,
) -> Response:
    node = request.app.state.node
    everyone = [p["node_id"] for p in overview.partners_overview(node, actor)]
    if partner not in everyone:
        overview.partner_detail(node, actor, partner)  # raises NotFound
    placed, rest = agreement_form.errors_by_term(errors)
    return render(
        request,
        "agreement.html",
        status=status,
        partner=partner,
        values=values,
        errors=placed,
        other_errors=rest,
        preview=preview,
        problems=[],
        confirmed=confirmed,
        **agreement_form.choices(partner, everyone),
    )


@router.get("/partners/{partner}/agreement")
def agreement_editor(partner: str, request: Request, actor: Actor = Depends(web_actor)) -> Response:
    require_manage(actor)
    detail = overview.partner_detail(request.app.state.node, actor, partner)
    return _editor(request, actor, partner, agreement_form.from_agreement(detail["agreement"]), [])


def _terms(form: FormData) -> dict:
    """The terms the editor shows; those it does not (the private matching limits) are kept from the
    version in force (the editor saves with `merge`)."""
    return agreement_form.parse(form.getlist, form.get)


def _confirmed(form: FormData) -> int:
    """The withdrawal count the administrator ticked in the preview (0: none)."""
    try:
        return token(str(form.get("confirm_withdrawn") or ""), "confirm_withdrawn") or 0
    except BadToken:
        return 0


@router.post("/partners/{partner}/agreement/preview")
async def agreement_preview(
    partner: str, request: Request, form: FormData = Depends(checked_form)
) -> Response:
    """What the draft would release (HTMX, before saving)."""
    actor = await run_in_threadpool(web_actor, request)
    try:
        result = await run_in_threadpool(
            preview_agreement, request.app.state.node, actor, partner, _terms(form), merge=True
        )
    except RecordInvalid as exc:
        return render(
            request, "partials/agreement_preview.html", preview=None, problems=[str(e) for e in exc.errors]
        )
    return render(
        request, "partials/agreement_preview.html", preview=result, problems=[], confirmed=_confirmed(form)
    )


def _check(node, partner: str, terms: dict) -> None:
    with node.engine.connect() as conn:
        draft_agreement(conn, partner, terms, True)


@router.post("/partners/{partner}/agreement")
async def agreement_save(partner: str, request: Request, form: FormData = Depends(checked_form)) -> Response:
    actor = await run_in_threadpool(web_actor, request)
    require_manage(actor)
    node = request.app.state.node
    terms = _terms(form)
    try:
        await run_in_threadpool(_check, node, partner, terms)
    except RecordInvalid as exc:
        values = (
            agreement_form.blank()
            | terms
            | {"start": str(form.get("start") or ""), "end": str(form.get("end") or "")}
        )
        return await run_in_threadpool(_editor, request, actor, partner, values, exc.errors, 422)
    try:
        agreement, withdrawn = await run_in_threadpool(
            update_agreement, node, partner, terms, actor.label, True, _confirmed(form)
        )
    except WithdrawalsUnconfirmed:  # show the count (and the box to tick) before anything is withdrawn
        preview = await run_in_threadpool(preview_agreement, node, actor, partner, terms, merge=True)
        values = agreement_form.blank() | agreement_form.from_agreement(preview["draft"])
        return await run_in_threadpool(_editor, request, actor, partner, values, [], 409, preview, 0)
    return redirect(request, f"/partners/{partner}?saved={agreement.version}&withdrawn={withdrawn}")
