"""A duty officer routes a tip to an antenna: the case, its deadline, and the chief's alert."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from service.casework.access import tip_target
from service.casework.alerts import queue_chief_alert
from service.casework.claims import drop_claim, ensure_workable
from service.casework.effective import effective_triage
from service.casework.errors import AntennaNotOperational, InvalidChoice
from service.core.audit import record_audit
from service.decisions.routing import route_tip
from service.models import AlertReason, Antenna, Case, StaffUser, Tip, TriageCorrection
from service.settings import Settings


async def route_by_officer(
    *,
    session: AsyncSession,
    settings: Settings,
    tip: Tip,
    officer: StaffUser,
    antenna_code: str,
    now: datetime,
) -> Case:
    """Route (or move) the tip's case. An antenna other than the decided one is a correction."""
    await ensure_workable(session=session, tip=tip, officer=officer)
    antenna = await session.get(Antenna, antenna_code)
    if antenna is None:
        raise InvalidChoice()
    if not antenna.operational:
        raise AntennaNotOperational()
    triage = await effective_triage(session=session, tip_id=tip.id)
    if triage.antenna != antenna_code:
        session.add(
            TriageCorrection(
                tip_id=tip.id,
                decision_id=triage.decision.id if triage.decision else None,
                antenna=antenna_code,
                corrected_by=officer.id,
                created_at=now,
            )
        )
    case = await route_tip(
        session=session,
        tip=tip,
        antenna_code=antenna_code,
        # A tip routed before triage ran gets the normal deadline.
        ack_minutes=settings.ack_deadline_minutes(triage.priority or "P3"),
        now=now,
        routed_by=officer.id,
    )
    await session.flush()  # the case row must exist before the alert that names it
    queue_chief_alert(
        session=session,
        antenna_code=antenna_code,
        reason=AlertReason.ROUTED,
        now=now,
        case_id=case.id,
    )
    await drop_claim(session=session, tip_id=tip.id)
    await record_audit(
        session=session,
        actor=officer,
        action="tip.routed",
        target=tip_target(tip),
        details={"antenna": antenna_code},
    )
    return case
