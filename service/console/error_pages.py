"""Errors in the console: a sign-in redirect or an HTML page; elsewhere the JSON handlers answer.

The handlers installed before (``service.core.errors``) stay in charge outside /console: these wrap
them rather than replace them.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.responses import Response

from channels.errors import MalformedRequest, TiplineError
from crypto import DecryptionError
from service.access.auth import SIGN_IN_PATH, NotSignedIn, is_api_request
from service.console.templates import render
from service.core.errors import error_response
from service.staff.sessions import SESSION_COOKIE

_CONSOLE_PREFIX = "/console"
Handler = Callable[[Request, Any], Response | Awaitable[Response]]


def install_console_error_pages(app: FastAPI) -> None:
    app.add_exception_handler(NotSignedIn, _not_signed_in)  # type: ignore[arg-type]
    for error_class, page in ((TiplineError, _tipline_page), (RequestValidationError, _form_page)):
        previous: Handler = app.exception_handlers[error_class]
        app.add_exception_handler(error_class, _in_console_only(page, previous))
    # Undecryptable content, invalid characters: the JSON handler decides, the console shows it.
    shown: tuple[type[Exception], ...] = (DecryptionError, UnicodeError, SQLAlchemyError, OSError)
    for shown_class in shown:
        app.add_exception_handler(shown_class, _as_page(app.exception_handlers[shown_class]))


def _in_console(request: Request) -> bool:
    path = request.url.path
    return path == _CONSOLE_PREFIX or path.startswith(_CONSOLE_PREFIX + "/")


def _in_console_only(page: Handler, previous: Handler) -> Handler:
    async def handle(request: Request, error: Any) -> Response:
        answer = (page if _in_console(request) else previous)(request, error)
        return await answer if inspect.isawaitable(answer) else answer

    return handle


def _as_page(previous: Handler) -> Handler:
    async def handle(request: Request, error: Any) -> Response:
        answer = previous(request, error)
        response = await answer if inspect.isawaitable(answer) else answer
        # A missing file (500) is told as such; an outage (503) keeps its JSON and Retry-After.
        if not _in_console(request) or not 400 <= response.status_code <= 500:
            return response
        message = json.loads(bytes(response.body))["message"]
        return _error_page(request, response.status_code, message)

    return handle


async def _not_signed_in(request: Request, error: NotSignedIn) -> Response:
    if is_api_request(request) or not _in_console(request):
        return error_response(error.status_code, error.code, error.message)
    # A session cookie that no longer opens a session: it expired (or was ended). The sign-in
    # page says so, and that the text being typed was kept in the page.
    expired = SESSION_COOKIE in request.cookies
    return RedirectResponse(
        f"{SIGN_IN_PATH}?session=expiree" if expired else SIGN_IN_PATH, status_code=303
    )


async def _tipline_page(request: Request, error: TiplineError) -> Response:
    return _error_page(request, error.status_code, error.message)


async def _form_page(request: Request, _error: RequestValidationError) -> Response:
    # Like the JSON handler, the page never repeats what was submitted.
    return _error_page(request, 422, MalformedRequest.message)


def _error_page(request: Request, status_code: int, message: str) -> Response:
    context = {"status_code": status_code, "message": message}
    return render(request, "console/error.html", context, status_code=status_code)
