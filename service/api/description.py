"""The API's description (``/openapi.json``, ``/docs``, ``/redoc``) in production: for signed-in
staff only. Served to anyone it is a map of every route and field for whoever probes the service;
in development FastAPI serves it openly as usual."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from service.access.auth import CurrentStaff

OPENAPI_PATH = "/openapi.json"

router = APIRouter(include_in_schema=False)


@router.get(OPENAPI_PATH)
async def openapi(request: Request, _staff: CurrentStaff) -> JSONResponse:
    return JSONResponse(request.app.openapi())


@router.get("/docs")
async def swagger(request: Request, _staff: CurrentStaff) -> HTMLResponse:
    return get_swagger_ui_html(openapi_url=OPENAPI_PATH, title=f"{request.app.title} — API")


@router.get("/redoc")
async def redoc(request: Request, _staff: CurrentStaff) -> HTMLResponse:
    return get_redoc_html(openapi_url=OPENAPI_PATH, title=f"{request.app.title} — API")
