"""Dependencies shared by the casework pages and the JSON API: who may act, on which tip or
case, with which keys, at what time — and queuing the jobs a request wrote once it committed."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import BackgroundTasks, Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from crypto import Keyring
from service.access.auth import require_roles
from service.access.roles import CASE_READERS, CASE_WORKERS, CHIEFS, DASHBOARD_READERS, OFFICERS
from service.access.session import DbSession
from service.background.outbox import jobs_written
from service.casework.access import get_tip, visible_case
from service.models import Case, StaffUser, Tip
from service.models.types import utcnow
from service.runtime import Runtime
from service.settings import Settings
from triage import Ruleset

Officer = Annotated[StaffUser, Depends(require_roles(*OFFICERS))]
CaseReader = Annotated[StaffUser, Depends(require_roles(*CASE_READERS))]
CaseWorker = Annotated[StaffUser, Depends(require_roles(*CASE_WORKERS))]
DashboardReader = Annotated[StaffUser, Depends(require_roles(*DASHBOARD_READERS))]
Chief = Annotated[StaffUser, Depends(require_roles(*CHIEFS))]


def runtime_of_request(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def rules_version(request: Request) -> str:
    """The version of the triage rules in force in this process."""
    return str(runtime_of_request(request).rules.current().version)


def rules_in_force(request: Request) -> Ruleset:
    """The triage rules this process applies now (hot-reloaded)."""
    return runtime_of_request(request).rules.current()


def keyring(request: Request) -> Keyring:
    return runtime_of_request(request).keyring


def settings(request: Request) -> Settings:
    found: Settings = request.app.state.settings
    return found


def now() -> datetime:
    """The request's time; a dependency so a test can hold the clock."""
    return utcnow()


Keys = Annotated[Keyring, Depends(keyring)]
Rules = Annotated[Ruleset, Depends(rules_in_force)]
PageNumber = Annotated[int, Query(ge=1, le=1_000_000)]
AppSettings = Annotated[Settings, Depends(settings)]
Now = Annotated[datetime, Depends(now)]


async def officer_tip(tip_id: uuid.UUID, session: DbSession, _officer: Officer) -> Tip:
    """The tip in the path, for a duty officer; 404 when there is none."""
    return await get_tip(session=session, tip_id=tip_id)


async def readable_case(case_id: uuid.UUID, session: DbSession, staff: CaseReader) -> Case:
    """The case in the path, if this person may see it; another antenna's case is 404."""
    return await visible_case(session=session, staff=staff, case_id=case_id)


async def workable_case(case_id: uuid.UUID, session: DbSession, staff: CaseWorker) -> Case:
    return await visible_case(session=session, staff=staff, case_id=case_id)


OfficerTip = Annotated[Tip, Depends(officer_tip)]
ReadableCase = Annotated[Case, Depends(readable_case)]
WorkableCase = Annotated[Case, Depends(workable_case)]


def queue_after_commit(
    request: Request, session: AsyncSession, background: BackgroundTasks
) -> None:
    """Hand the jobs this request wrote to the queue once the response's commit is done.

    Background tasks run after the response is sent, and the session commits before that; a
    request that fails sends its error response instead, and these tasks never run.
    """
    entries = jobs_written(session)
    if entries:
        background.add_task(runtime_of_request(request).dispatcher.dispatch, entries)
