"""Admiralty grading: the source's reliability (A to F), the information's credibility (1 to 6)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from service.casework.access import tip_target
from service.casework.errors import InvalidChoice
from service.casework.vocabulary import INFORMATION_CREDIBILITY, SOURCE_RELIABILITY
from service.core.audit import record_audit
from service.core.db import among
from service.models import SourceGrade, StaffUser, Tip


async def grade_tip(
    *,
    session: AsyncSession,
    tip: Tip,
    officer: StaffUser,
    source_reliability: str,
    information_credibility: int,
    now: datetime,
) -> SourceGrade:
    if source_reliability not in SOURCE_RELIABILITY:
        raise InvalidChoice()
    if information_credibility not in INFORMATION_CREDIBILITY:
        raise InvalidChoice()
    grade = SourceGrade(
        tip_id=tip.id,
        source_reliability=source_reliability,
        information_credibility=information_credibility,
        graded_by=officer.id,
        created_at=now,
    )
    session.add(grade)
    await record_audit(
        session=session,
        actor=officer,
        action="tip.graded",
        target=tip_target(tip),
        details={"grade": f"{source_reliability}{information_credibility}"},
    )
    return grade


async def latest_grades(
    *, session: AsyncSession, tip_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """The current grade of each tip, written the usual way ("B2")."""
    if not tip_ids:
        return {}
    grades: dict[uuid.UUID, str] = {}
    for grade in await session.scalars(
        select(SourceGrade)
        .where(among(session, col(SourceGrade.tip_id), tip_ids))
        .order_by(col(SourceGrade.created_at))
    ):
        grades[grade.tip_id] = f"{grade.source_reliability}{grade.information_credibility}"
    return grades
