"""The audit trail, read by the auditor alone: newest first, a page at a time."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from starlette.responses import Response

from channels.templating import translate_or
from service.access.auth import require_roles
from service.access.csrf import csrf_protect
from service.access.deps import PageNumber
from service.access.roles import AUDIT_READERS
from service.access.session import DbSession
from service.console.casework_pages import label
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
    context = dict(await audit_page(session=session, page=page)) | {"shown_details": shown_details}
    return render(request, "console/audit.html", context)


# Details whose values are codes of a closed list, shown by their French label.
_DETAIL_LISTS = {
    "status": "case_status",
    "kind": "outcome",
    "category": "category",
    "media": "media",
}


def shown_details(details: dict[str, str]) -> list[tuple[str, str]]:
    """(label, value) of an entry's details, in words: « Statut : Nouveau → Clos », not
    ``status: nouveau -> clos``. The stored entry keeps its codes (it is the record)."""
    return [
        (translate_or(f"audit.detail.{key}", key), _value(key, value))
        for key, value in details.items()
    ]


def _value(key: str, value: str) -> str:
    parts = value.split(" -> ")
    if key == "reason":
        words = [translate_or(f"audit.reason.{part}", label("closure", part)) for part in parts]
    elif key in _DETAIL_LISTS:
        words = [label(_DETAIL_LISTS[key], part) for part in parts]
    else:
        return value
    return " → ".join(words)
