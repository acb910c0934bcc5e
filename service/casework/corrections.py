"""An officer's correction of the category, priority or antenna, kept beside the decision."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from service.casework.access import tip_target
from service.casework.claims import ensure_workable
from service.casework.effective import CORRECTABLE, EffectiveTriage, effective_triage
from service.casework.errors import InvalidChoice, NothingToChange
from service.casework.vocabulary import CATEGORIES, PRIORITIES
from service.core.audit import record_audit
from service.models import Antenna, Case, StaffUser, Tip, TriageCorrection
from service.settings import Settings


async def correct_triage(
    *,
    session: AsyncSession,
    settings: Settings,
    tip: Tip,
    officer: StaffUser,
    now: datetime,
    category: str | None = None,
    priority: str | None = None,
    antenna: str | None = None,
) -> TriageCorrection:
    await ensure_workable(session=session, tip=tip, officer=officer)
    await _check_choices(session=session, category=category, priority=priority, antenna=antenna)
    before = await effective_triage(session=session, tip_id=tip.id)
    changes = _changes(before, category=category, priority=priority, antenna=antenna)
    if not changes:
        raise NothingToChange()
    correction = TriageCorrection(
        tip_id=tip.id,
        decision_id=before.decision.id if before.decision else None,
        corrected_by=officer.id,
        created_at=now,
    )
    for name, (_old, value) in changes.items():
        setattr(correction, name, value)
    session.add(correction)
    if "priority" in changes:
        await _move_deadline(session=session, settings=settings, tip=tip, priority=priority)
    await record_audit(
        session=session,
        actor=officer,
        action="tip.corrected",
        target=tip_target(tip),
        details={name: f"{old or '-'} -> {new}" for name, (old, new) in changes.items()},
    )
    return correction


def _changes(before: EffectiveTriage, **wanted: str | None) -> dict[str, tuple[str | None, str]]:
    changes: dict[str, tuple[str | None, str]] = {}
    for name in CORRECTABLE:
        new, old = wanted.get(name), getattr(before, name)
        if new is not None and new != old:
            changes[name] = (old, new)
    return changes


async def _check_choices(
    *, session: AsyncSession, category: str | None, priority: str | None, antenna: str | None
) -> None:
    if category is not None and category not in CATEGORIES:
        raise InvalidChoice()
    if priority is not None and priority not in PRIORITIES:
        raise InvalidChoice()
    if antenna is not None and await session.get(Antenna, antenna) is None:
        raise InvalidChoice()


async def _move_deadline(
    *, session: AsyncSession, settings: Settings, tip: Tip, priority: str | None
) -> None:
    """A case not yet acknowledged gets the deadline of its corrected priority."""
    case = (await session.scalars(select(Case).where(col(Case.tip_id) == tip.id))).first()
    if case is None or case.acknowledged_at is not None or priority is None:
        return
    minutes = settings.ack_deadline_minutes(priority)
    case.ack_deadline = case.created_at + timedelta(minutes=minutes) if minutes else None
