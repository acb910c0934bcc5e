"""The audit trail, read by the auditor alone: newest first, a page at a time."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from service.audit import count_entries, details_of, entries_page
from service.console.auth import require_roles
from service.console.csrf import csrf_protect
from service.console.db import DbSession
from service.console.schemas import AuditEntryPublic, AuditPage
from service.console.templates import render
from service.models import AuditEntry, Role

PER_PAGE = 50
AUDIT_READERS = (Role.AUDITOR,)

router = APIRouter(
    prefix="/console",
    dependencies=[Depends(csrf_protect), Depends(require_roles(*AUDIT_READERS))],
    include_in_schema=False,
    default_response_class=HTMLResponse,
)

PageNumber = Annotated[int, Query(ge=1, le=1_000_000)]


def public_entry(entry: AuditEntry) -> AuditEntryPublic:
    return AuditEntryPublic(
        sequence=entry.sequence,
        recorded_at=entry.recorded_at,
        actor_username=entry.actor_username,
        actor_role=entry.actor_role,
        action=entry.action,
        target=entry.target,
        details=details_of(entry),
    )


async def audit_page(*, session: AsyncSession, page: int) -> AuditPage:
    total = await count_entries(session=session)
    pages = max(1, -(-total // PER_PAGE))
    entries = await entries_page(session=session, page=page, per_page=PER_PAGE)
    return AuditPage(
        entries=[public_entry(entry) for entry in entries], page=page, pages=pages, total=total
    )


@router.get("/audit")
async def audit_trail(request: Request, session: DbSession, page: PageNumber = 1) -> Response:
    return render(request, "console/audit.html", dict(await audit_page(session=session, page=page)))
