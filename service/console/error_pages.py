"""Errors in the console: a sign-in redirect or an HTML page; the API keeps its JSON."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from channels.errors import TiplineError
from service.console.auth import SIGN_IN_PATH, NotSignedIn, is_api_request
from service.errors import error_response

_CONSOLE_PREFIX = "/console"


def install_console_error_pages(app: FastAPI) -> None:
    app.add_exception_handler(NotSignedIn, _not_signed_in)  # type: ignore[arg-type]
    app.add_exception_handler(TiplineError, _tipline_error)  # type: ignore[arg-type]


def _in_console(request: Request) -> bool:
    path = request.url.path
    return path == _CONSOLE_PREFIX or path.startswith(_CONSOLE_PREFIX + "/")


async def _not_signed_in(request: Request, error: NotSignedIn) -> Response:
    if is_api_request(request) or not _in_console(request):
        return error_response(error.status_code, error.code, error.message)
    return RedirectResponse(SIGN_IN_PATH, status_code=303)


async def _tipline_error(request: Request, error: TiplineError) -> Response:
    if not _in_console(request):
        return error_response(error.status_code, error.code, error.message)
    from service.console.templates import render  # templates import auth: import late

    return render(
        request,
        "console/error.html",
        {"status_code": error.status_code, "message": error.message},
        status_code=error.status_code,
    )
