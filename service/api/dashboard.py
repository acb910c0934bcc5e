"""``/api/v1/dashboard``: the dashboard's figures, for supervisors and administrators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from service.access.csrf import csrf_protect
from service.access.deps import DashboardReader, Now
from service.access.session import ReadSessions
from service.api.schemas import (
    AntennaOutcomesPublic,
    DashboardDay,
    DashboardPublic,
    SeizuresPublic,
)
from service.casework.dashboard import DashboardStats, dashboard_stats

router = APIRouter(tags=["casework"], dependencies=[Depends(csrf_protect)])

Days = Annotated[int, Query(ge=1, le=92)]


@router.get("/dashboard", response_model=DashboardPublic)
async def dashboard(
    sessions: ReadSessions, _reader: DashboardReader, now: Now, days: Days = 14
) -> DashboardPublic:
    return dashboard_public(await dashboard_stats(sessions=sessions, now=now, days=days))


def dashboard_public(stats: DashboardStats) -> DashboardPublic:
    return DashboardPublic(
        days=[
            DashboardDay(day=day.isoformat(), by_channel=stats.tips_per_day[day])
            for day in stats.days
        ],
        by_category=stats.by_category,
        by_antenna=stats.by_antenna,
        ack_buckets=stats.ack_buckets,
        unacknowledged=stats.unacknowledged,
        median_ack_minutes=stats.median_ack_minutes,
        outcomes=stats.outcomes,
        arrests=stats.arrests,
        seized=[
            SeizuresPublic(
                substance=one.substance, unit=one.unit, quantity=one.quantity, seizures=one.seizures
            )
            for one in stats.seized
        ],
        outcomes_by_antenna=[
            AntennaOutcomesPublic(antenna=one.antenna, by_kind=one.by_kind, arrests=one.arrests)
            for one in stats.outcomes_by_antenna
        ],
    )
