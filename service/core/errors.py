"""One handler renders every expected error; validation errors never echo the input back."""

from __future__ import annotations

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from jinja2 import TemplateNotFound
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from channels.errors import MalformedRequest, TiplineError
from channels.i18n import translate
from crypto import DecryptionError
from service.core.outage import MISSING_FILE_ERRORS, database_unreachable

log = structlog.get_logger(__name__)

# Seconds a client (Twilio's fallback, a proxy, a browser) is asked to wait before trying again.
RETRY_AFTER_SECONDS = 30


class ServiceUnavailable(TiplineError):
    """Neither the database nor the intake spool could keep the request: try again later."""

    status_code = 503
    code = "service_unavailable"
    message = "Service momentanément indisponible. Réessayez dans un instant."


class MissingFile(TiplineError):
    """A template or file of the service is missing: a fault of the installation, not an outage
    (waiting will not bring it back) and not the database's."""

    status_code = 500
    code = "missing_file"
    message = translate("errors.missing_file")


class InvalidCharacters(TiplineError):
    """A NUL character or text that is not valid Unicode: PostgreSQL refuses to store or compare
    it, and nothing a person types contains it."""

    status_code = 400
    code = "invalid_characters"
    message = translate("errors.invalid_characters")


class UnreadableContent(TiplineError):
    """A ciphertext no key of the keyring opens (a key removed too early, a damaged row): said
    plainly rather than a server error, and the row is left as it is."""

    status_code = 409
    code = "unreadable_content"
    message = translate("errors.unreadable_content")


# PostgreSQL's "invalid byte sequence" and "character not in repertoire" / "untranslatable".
_CHARACTER_SQLSTATES = frozenset({"22021", "22P05"})


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(TiplineError, _render_tipline_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _render_validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _render_http_error)  # type: ignore[arg-type]
    # Registered for the subclass so that a later TiplineError handler keeps the Retry-After.
    app.add_exception_handler(ServiceUnavailable, _render_unavailable)  # type: ignore[arg-type]
    # A database or disk error that nothing handled: a 503 in JSON, never a traceback page.
    app.add_exception_handler(SQLAlchemyError, _render_storage_error)
    app.add_exception_handler(OSError, _render_storage_error)
    # A lone surrogate (JSON's "\\ud800") fails in the driver's encoder before PostgreSQL.
    app.add_exception_handler(UnicodeError, _render_invalid_characters)
    app.add_exception_handler(DecryptionError, _render_unreadable)


def error_response(status_code: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(status_code=status_code, content={"error": code, "message": message})


async def _render_tipline_error(_request: Request, error: TiplineError) -> JSONResponse:
    return error_response(error.status_code, error.code, error.message)


async def _render_validation_error(
    _request: Request, error: RequestValidationError
) -> JSONResponse:
    # FastAPI's default body quotes the submitted values, which may include a phone number.
    fields = sorted({".".join(str(part) for part in item["loc"]) for item in error.errors()})
    message = f"{MalformedRequest.message} Champs : {', '.join(fields)}."
    return error_response(422, MalformedRequest.code, message)


async def _render_http_error(_request: Request, error: StarletteHTTPException) -> JSONResponse:
    return error_response(error.status_code, "http_error", str(error.detail))


async def _render_unavailable(_request: Request, error: ServiceUnavailable) -> JSONResponse:
    return _unavailable(error.code, error.message)


async def _render_invalid_characters(_request: Request, _error: Exception) -> JSONResponse:
    return _render_error(InvalidCharacters())


async def _render_unreadable(_request: Request, error: Exception) -> JSONResponse:
    # The type only: the message names the key id, which is nobody's business outside.
    log.error("ciphertext_unreadable", error=type(error).__name__)
    return _render_error(UnreadableContent())


def _render_error(error: TiplineError) -> JSONResponse:
    return error_response(error.status_code, error.code, error.message)


def invalid_characters(error: BaseException) -> bool:
    """Whether PostgreSQL (or its driver) refused a value for its characters, not an outage."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, UnicodeError):
            return True
        state = getattr(current, "sqlstate", None) or getattr(current, "pgcode", None)
        if state in _CHARACTER_SQLSTATES:
            return True
        current = getattr(current, "orig", None) or current.__cause__
    return False


async def _render_storage_error(_request: Request, error: Exception) -> JSONResponse:
    if invalid_characters(error):
        return _render_error(InvalidCharacters())
    if isinstance(error, MISSING_FILE_ERRORS):
        # The template's name says what to reinstall; a file's path is not logged (the type is).
        name = error.name if isinstance(error, TemplateNotFound) else None
        log.error("file_missing", error=type(error).__name__, template=name)
        return _render_error(MissingFile())
    # Only the type is logged: a driver's message may quote a key value from the row.
    if database_unreachable(error):
        log.warning("storage_unavailable", error=type(error).__name__)
    else:  # a bug rather than an outage
        log.error("storage_error", error=type(error).__name__)
    code = "database_unavailable" if isinstance(error, SQLAlchemyError) else "service_unavailable"
    return _unavailable(code, ServiceUnavailable.message)


def _unavailable(code: str, message: str) -> JSONResponse:
    response = error_response(503, code, message)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
