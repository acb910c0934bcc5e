"""Escalation: a case not acknowledged by its deadline is marked late, shown to the duty
officers and supervisors in their queue, and its antenna's chiefs are alerted again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from service.casework.access import case_target
from service.casework.alerts import queue_chief_alert
from service.core.audit import AuditRecord, record_audits
from service.models import AlertReason, Case, CaseEscalation, CaseStatus

# Cases escalated per transaction: a campaign's backlog of late cases is worked off page by page,
# each holding its row locks and the audit chain's lock for one short transaction.
ESCALATION_PAGE = 200


async def overdue_cases(
    *, session: AsyncSession, now: datetime, limit: int = ESCALATION_PAGE
) -> list[Case]:
    """Unacknowledged open cases past their deadline, not yet escalated for that deadline."""
    already = select(col(CaseEscalation.id)).where(
        and_(
            col(CaseEscalation.case_id) == col(Case.id),
            col(CaseEscalation.deadline) == col(Case.ack_deadline),
        )
    )
    found = await session.scalars(
        select(Case)
        .where(
            col(Case.acknowledged_at).is_(None),
            col(Case.ack_deadline).is_not(None),
            col(Case.ack_deadline) <= now,
            col(Case.status) != CaseStatus.CLOSED,
            ~already.exists(),
        )
        .order_by(col(Case.ack_deadline))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(found.all())


async def escalate_overdue(
    *, session: AsyncSession, now: datetime, limit: int = ESCALATION_PAGE
) -> list[CaseEscalation]:
    """One page of late cases, oldest deadline first. Idempotent: a second run at the same instant
    finds nothing left to escalate."""
    escalations, audits = [], []
    for case in await overdue_cases(session=session, now=now, limit=limit):
        assert case.ack_deadline is not None  # filtered above
        escalation = CaseEscalation(
            case_id=case.id,
            antenna_code=case.antenna_code,
            deadline=case.ack_deadline,
            escalated_at=now,
        )
        session.add(escalation)
        escalations.append(escalation)
        audits.append(
            AuditRecord(
                actor=None,
                action="case.escalated",
                target=case_target(case),
                details={
                    "antenna": case.antenna_code,
                    "deadline": case.ack_deadline.strftime("%Y-%m-%dT%H:%MZ"),
                },
            )
        )
    await record_audits(session=session, records=audits)
    for antenna_code in sorted({escalation.antenna_code for escalation in escalations}):
        queue_chief_alert(
            session=session, antenna_code=antenna_code, reason=AlertReason.ESCALATED, now=now
        )
    return escalations
