"""One handler renders every expected error; validation errors never echo the input back."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from channels.errors import MalformedRequest, TiplineError


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(TiplineError, _render_tipline_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _render_validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _render_http_error)  # type: ignore[arg-type]


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
