"""Server-rendered console pages: the base layout, French text from the catalogue, no caching.

Templates live in ``service/console/templates/console/`` and extend ``console/base.html``
(blocks ``title`` and ``content``). The content security policy forbids inline scripts and
inline ``style`` attributes: scripts are files in ``service/console/static/`` and styling is by
class in ``console.css`` (SVG presentation attributes such as ``fill`` are fine).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from channels.templating import add_template_directory, environment
from service.access.auth import staff_of
from service.access.csrf import attach_csrf_cookie, csrf_token
from service.console.navigation import navigation_for

TEMPLATES_DIR = Path(__file__).parent / "templates"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


add_template_directory(TEMPLATES_DIR)


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
