"""Rendering pages: one Jinja2 environment per language (Babel catalogs), common page context."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from vinculo.records.control import flag as control_flag
from vinculo.web import i18n, labels
from vinculo.web.session import csrf_token, remember

TEMPLATES = Path(__file__).parent / "templates"


@cache
def environment(locale: str) -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html", "svg"]),
                      extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
    env.install_gettext_translations(i18n.translations(locale), newstyle=True)  # type: ignore[attr-defined]
    env.filters["num"] = lambda v: i18n.number(v, locale)
    env.filters["date"] = lambda v, fmt="medium": i18n.date(v, locale, fmt)
    env.filters["month"] = lambda v: i18n.month(v, locale)
    env.filters["country"] = lambda v: i18n.country_name(v, locale)
    env.filters["urlq"] = lambda v: quote(str(v), safe="")
    env.globals["label"] = lambda kind, value: labels.label(kind, value, locale)
    env.globals["control"] = control_flag  # a shipment or seizure of a controlled chemical (its released body)
    return env


def nav(actor: object) -> list[tuple[str, str]]:
    """The menu: each entry only for roles the matching service lets in (`Actor.may`)."""
    if actor is None:
        return []
    items = [("/", "dashboard"), ("/records", "records")]
    may = actor.may  # type: ignore[attr-defined]
    if may("records.write"):
        items.append(("/records/new", "new"))
    if may("records.import"):
        items.append(("/import", "import"))
    if may("records.read"):
        items += [("/cases", "cases"), ("/graph", "graph"), ("/alerts", "alerts")]
        items.append(("/precursors", "precursors"))
    if may("partners.read"):
        items.append(("/partners", "partners"))
    if may("audit.read"):
        items.append(("/audit", "audit"))
    return items


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    locale = i18n.negotiate(request)
    node = request.app.state.node
    page = environment(locale).get_template(template).render(
        request=request, locale=locale, locales=i18n.LOCALES, node=node, csrf=csrf_token(request),
        user=getattr(request.state, "actor", None), nav=nav(getattr(request.state, "actor", None)),
        path=request.url.path,
        here=str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""), **context)
    response = HTMLResponse(page, status_code=status)
    remember(request, response)
    return response
