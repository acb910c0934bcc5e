"""The staff console: sign-in, roles, CSRF, security headers, pages and the JSON API.

``install_console(app)`` wires the core (error pages, headers, static files, core routers).
Other console modules include their routers in ``service/app.py`` the same way, each with
``dependencies=[Depends(csrf_protect)]``, and add a rule per route to
``service.console.permissions.ROUTE_RULES``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from service.console.error_pages import install_console_error_pages
from service.console.lockout import ClientThrottle
from service.console.security_headers import ConsoleSecurityHeaders

STATIC_DIR = Path(__file__).parent / "static"


def install_console(app: FastAPI) -> None:
    from service.console import (
        admin_pages,
        api_admin,
        api_me,
        audit_pages,
        home_pages,
        password_pages,
        sign_in_pages,
    )

    settings = app.state.settings
    app.state.client_throttle = ClientThrottle()
    install_console_error_pages(app)
    app.add_middleware(
        ConsoleSecurityHeaders, https=settings.public_base_url.startswith("https://")
    )
    app.mount("/console/static", StaticFiles(directory=STATIC_DIR), name="console-static")
    for module in (
        sign_in_pages,
        password_pages,
        home_pages,
        admin_pages,
        audit_pages,
        api_me,
        api_admin,
    ):
        app.include_router(module.router)
