"""The audit trail, read by the auditor alone: newest first, a page at a time."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from starlette.responses import Response

from service.access.auth import require_roles
from service.access.csrf import csrf_protect
from service.access.deps import PageNumber
from service.access.roles import AUDIT_READERS
from service.access.session import DbSession
from service.console.templates import render
from service.core.audit import audit_page

router = APIRouter(
    prefix="/console",
    dependencies=[Depends(csrf_protect), Depends(require_roles(*AUDIT_READERS))],
    include_in_schema=False,
    default_response_class=HTMLResponse,
)


@router.get("/audit")
async def audit_trail(request: Request, session: DbSession, page: PageNumber = 1) -> Response:
    return render(request, "console/audit.html", dict(await audit_page(session=session, page=page)))
