"""Routing a tip to an antenna: one case, with an acknowledgement deadline by priority."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from service.core.metrics import TIPS_ROUTED
from service.models import Case, Tip, TipStatus
from triage import Decision
from triage.routing import NEED_TO_KNOW


def may_route_automatically(decision: Decision) -> bool:
    """A confident decision is routed without a duty officer, unless a need-to-know flag
    (``triage.routing.NEED_TO_KNOW``) keeps it away from a local antenna."""
    return decision.confident and not NEED_TO_KNOW.intersection(decision.flags)


async def route_tip(
    *,
    session: AsyncSession,
    tip: Tip,
    antenna_code: str,
    ack_minutes: int | None,
    now: datetime,
    routed_by: uuid.UUID | None = None,
) -> Case:
    """Create the tip's case, or move it to another antenna when it already has one."""
    case = (await session.scalars(select(Case).where(col(Case.tip_id) == tip.id))).first()
    deadline = now + timedelta(minutes=ack_minutes) if ack_minutes is not None else None
    if case is None:
        case = Case(tip_id=tip.id, antenna_code=antenna_code, routed_by=routed_by, created_at=now)
        session.add(case)
    elif case.antenna_code != antenna_code:
        case.antenna_code, case.routed_by, case.acknowledged_at = antenna_code, routed_by, None
    case.ack_deadline = deadline
    tip.status = TipStatus.ROUTED
    TIPS_ROUTED.labels(antenna=antenna_code, by="rules" if routed_by is None else "officer").inc()
    return case
