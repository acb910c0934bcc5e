"""The console's home page: what this role can open, the rules version for supervisors, and
for hotline operators the voicemails waiting for them."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from starlette.responses import Response

from service.access.auth import CurrentStaff
from service.access.csrf import csrf_protect
from service.access.deps import rules_version
from service.access.roles import HOTLINE_OPERATORS, RULES_VIEWERS
from service.access.session import DbSession
from service.console.navigation import navigation_for
from service.console.templates import render
from service.voicemails.service import count_failed, count_waiting

router = APIRouter(
    prefix="/console",
    dependencies=[Depends(csrf_protect)],
    include_in_schema=False,
    default_response_class=HTMLResponse,
)


@router.get("")
async def home(request: Request, staff: CurrentStaff, session: DbSession) -> Response:
    waiting = failed = None
    if staff.role in HOTLINE_OPERATORS:
        waiting = await count_waiting(session=session)
        failed = await count_failed(session=session)
    context = {
        "voicemails_waiting": waiting,
        "voicemails_failed": failed,
        "pages": [item for item in navigation_for(staff.role) if item.href != "/console"],
        "rules_version": rules_version(request) if staff.role in RULES_VIEWERS else None,
        "password_changed": request.query_params.get("mot_de_passe") == "change",
    }
    return render(request, "console/home.html", context)
