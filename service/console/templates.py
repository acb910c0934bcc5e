"""Server-rendered console pages: the base layout, French text from the catalogue, no caching.

Templates live in ``service/console/templates/console/`` and extend ``console/base.html``
(blocks ``title`` and ``content``). The content security policy forbids inline scripts and
inline ``style`` attributes: scripts are files in ``service/console/static/`` and styling is by
class in ``console.css`` (SVG presentation attributes such as ``fill`` are fine).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from channels.i18n import DEFAULT_LANGUAGE, translate
from service.access.auth import staff_of
from service.access.csrf import attach_csrf_cookie, csrf_token
from service.console.navigation import navigation_for

TEMPLATES_DIR = Path(__file__).parent / "templates"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _when(value: datetime | None) -> str:
    """Bamako keeps UTC all year, so UTC is the officers' wall-clock time."""
    if value is None:
        return "—"
    return value.astimezone(UTC).strftime("%d/%m/%Y %H:%M")


def _t(key: str, **values: object) -> str:
    return translate(key, DEFAULT_LANGUAGE, **values)


def _t_or(key: str, fallback: str) -> str:
    """A label from the catalogue, or ``fallback`` when it has none (e.g. a new audit action)."""
    try:
        return translate(key)
    except KeyError:
        return fallback


def _environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html", "svg"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals["t"] = _t
    environment.globals["t_or"] = _t_or
    environment.filters["when"] = _when
    return environment


environment = _environment()


def render(
    request: Request, template: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    staff = staff_of(request)
    values: dict[str, Any] = {
        "request": request,
        "staff": staff,
        "navigation": navigation_for(staff.role if staff else None),
        "csrf_token": csrf_token(request),
        "current_path": request.url.path,
    }
    html = environment.get_template(template).render(values | context)
    response = HTMLResponse(html, status_code=status_code, headers=NO_STORE)
    attach_csrf_cookie(request, response)
    return response
