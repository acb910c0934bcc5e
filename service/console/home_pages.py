"""The console's home page: for each role, what waits, what is late and what is mine, counted,
each a link to the list it counts; then what this role can open, the rules version for
supervisors, and for hotline operators the voicemails waiting for them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from service.access.auth import CurrentStaff
from service.access.csrf import csrf_protect
from service.access.deps import Now, rules_version
from service.access.roles import CASE_READERS, HOTLINE_OPERATORS, OFFICERS, RULES_VIEWERS
from service.access.session import DbSession
from service.casework.cases import count_cases, count_late_cases
from service.casework.queue import QueueFilters, QueueView, count_view
from service.console.navigation import navigation_for
from service.console.templates import render
from service.models import CaseStatus, Role, StaffUser
from service.voicemails.service import count_failed, count_waiting

router = APIRouter(
    prefix="/console",
    dependencies=[Depends(csrf_protect)],
    include_in_schema=False,
    default_response_class=HTMLResponse,
)


@dataclass(frozen=True)
class Tile:
    """One count on the home page and the list it counts."""

    name: str  # "waiting", "late" or "mine": the element's id and the catalogue key's end
    label_key: str
    count: int
    href: str

    @property
    def alarming(self) -> bool:
        return self.name == "late" and self.count > 0


@router.get("")
async def home(request: Request, staff: CurrentStaff, session: DbSession, now: Now) -> Response:
    waiting = failed = None
    if staff.role in HOTLINE_OPERATORS:
        waiting = await count_waiting(session=session)
        failed = await count_failed(session=session)
    context = {
        "tiles": await tiles(session=session, staff=staff, now=now),
        "voicemails_waiting": waiting,
        "voicemails_failed": failed,
        "pages": [item for item in navigation_for(staff.role) if item.href != "/console"],
        "rules_version": rules_version(request) if staff.role in RULES_VIEWERS else None,
        "password_changed": request.query_params.get("mot_de_passe") == "change",
    }
    return render(request, "console/home.html", context)


async def tiles(*, session: AsyncSession, staff: StaffUser, now: datetime) -> list[Tile]:
    """Officers count the queue; chiefs (and those who follow cases) count cases."""
    if staff.role in OFFICERS:
        return await _queue_tiles(session=session, staff=staff, now=now)
    if staff.role in CASE_READERS:
        return await _case_tiles(session=session, staff=staff, now=now)
    return []


async def _queue_tiles(*, session: AsyncSession, staff: StaffUser, now: datetime) -> list[Tile]:
    views = (
        ("waiting", QueueView.TO_DO),
        ("late", QueueView.LATE),
        ("mine", QueueView.MINE),
    )
    return [
        Tile(
            name=name,
            label_key=f"console.home.queue_{name}",
            count=await count_view(
                session=session, filters=QueueFilters(view=view, claimant=staff.id), now=now
            ),
            href=f"/console/signalements?vue={view.value}",
        )
        for name, view in views
    ]


async def _case_tiles(*, session: AsyncSession, staff: StaffUser, now: datetime) -> list[Tile]:
    counts = await count_cases(session=session, staff=staff)
    open_cases = counts.open
    late = await count_late_cases(session=session, staff=staff, now=now)
    # A chief's cases are theirs: what waits is what they have not acknowledged yet.
    mine_key = "mine" if staff.role == Role.ANTENNA_CHIEF else "open"
    return [
        Tile(
            "waiting",
            "console.home.cases_waiting",
            counts.by_status[CaseStatus.NEW],
            _cases("nouveau"),
        ),
        Tile("late", "console.home.cases_late", late, _cases("nouveau")),
        Tile("mine", f"console.home.cases_{mine_key}", open_cases, "/console/dossiers"),
    ]


def _cases(status: str) -> str:
    return f"/console/dossiers?statut={status}"
