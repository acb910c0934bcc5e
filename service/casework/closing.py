"""Closing a tip without routing it: spam, out of scope, or merged into another tip.

A closure is undone by the officer who made it (or a supervisor) within ``UNDO_WINDOW``: one
careless click at night must not bury a tip. The undoing is audited like the closing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from service.casework.access import ensure_open, tip_target
from service.casework.claims import drop_claim, ensure_workable
from service.casework.errors import (
    CannotMerge,
    InvalidChoice,
    TipAlreadyRouted,
    TipClaimedByAnother,
    TipNotClosed,
    UndoExpired,
    UnheardVoicemail,
)
from service.casework.tip_view import has_unheard_voicemail
from service.casework.vocabulary import OFFICER_CLOSURES
from service.core.audit import record_audit
from service.models import (
    Case,
    CaseStatus,
    ClosureReason,
    DuplicateKind,
    DuplicateLink,
    Role,
    StaffUser,
    Tip,
    TipClosure,
    TipStatus,
)


async def close_tip(
    *,
    session: AsyncSession,
    tip: Tip,
    officer: StaffUser,
    reason: str,
    now: datetime,
    unheard_confirmed: bool = False,
) -> TipClosure:
    """``unheard_confirmed``: the officer confirmed closing a tip whose voicemail nobody has
    transcribed (required then: its words are in a recording nobody has heard)."""
    if reason not in OFFICER_CLOSURES:
        raise InvalidChoice()
    await _ensure_closable(session=session, tip=tip, officer=officer)
    if not unheard_confirmed and await has_unheard_voicemail(session=session, tip=tip):
        raise UnheardVoicemail()
    closure = _close(tip, officer=officer, reason=ClosureReason(reason), now=now)
    session.add(closure)
    await drop_claim(session=session, tip_id=tip.id)
    await record_audit(
        session=session,
        actor=officer,
        action="tip.closed",
        target=tip_target(tip),
        details={"reason": reason},
    )
    return closure


async def merge_tip(
    *, session: AsyncSession, tip: Tip, into: Tip, officer: StaffUser, now: datetime
) -> TipClosure:
    """The duplicate is closed and points to the tip kept; the tip kept shows its messages."""
    if into.id == tip.id or into.status == TipStatus.CLOSED:
        raise CannotMerge()
    await _ensure_closable(session=session, tip=tip, officer=officer)
    closure = _close(tip, officer=officer, reason=ClosureReason.MERGED, now=now)
    closure.merged_into = into.id
    session.add(closure)
    await _confirm_duplicate(session=session, tip=tip, other=into, now=now)
    await drop_claim(session=session, tip_id=tip.id)
    await record_audit(
        session=session,
        actor=officer,
        action="tip.merged",
        target=tip_target(tip),
        details={"into": into.reference},
    )
    return closure


UNDO_WINDOW = timedelta(minutes=15)
# Supervisors may undo an officer's closure, as they may release an officer's claim.
_MAY_UNDO_ANY = frozenset({Role.SUPERVISOR})


def undo_deadline(closure: TipClosure) -> datetime:
    return closure.closed_at + UNDO_WINDOW


def may_undo(closure: TipClosure | None, *, officer: StaffUser, now: datetime) -> bool:
    """Whether this officer may still undo this closure (the page shows the button only then)."""
    if closure is None or now > undo_deadline(closure):
        return False
    return closure.closed_by == officer.id or officer.role in _MAY_UNDO_ANY


async def undo_closure(
    *, session: AsyncSession, tip: Tip, officer: StaffUser, now: datetime
) -> TipClosure:
    """The tip goes back where it was: to the queue, or to its case if one was closed with it."""
    closure = await session.get(TipClosure, tip.id)
    if closure is None or tip.status != TipStatus.CLOSED:
        raise TipNotClosed()
    if now > undo_deadline(closure):
        raise UndoExpired()
    if not may_undo(closure, officer=officer, now=now):
        raise TipClaimedByAnother()
    case = (await session.scalars(select(Case).where(col(Case.tip_id) == tip.id))).first()
    if case is not None and case.status == CaseStatus.CLOSED:
        case.status = CaseStatus.NEW  # only an unacknowledged case is closed with its tip
    tip.mark_reopened(TipStatus.ROUTED if case is not None else TipStatus.AWAITING_OFFICER)
    await session.delete(closure)
    await record_audit(
        session=session,
        actor=officer,
        action="tip.closure_undone",
        target=tip_target(tip),
        details={"reason": closure.reason},
    )
    return closure


async def _ensure_closable(*, session: AsyncSession, tip: Tip, officer: StaffUser) -> None:
    """A case its chief has acknowledged is theirs to close. One still unacknowledged (often
    routed by the rules a minute ago) is closed with the tip."""
    ensure_open(tip)
    await ensure_workable(session=session, tip=tip, officer=officer)
    case = (await session.scalars(select(Case).where(col(Case.tip_id) == tip.id))).first()
    if case is None:
        return
    if case.acknowledged_at is not None:
        raise TipAlreadyRouted()
    case.status = CaseStatus.CLOSED


def _close(tip: Tip, *, officer: StaffUser, reason: ClosureReason, now: datetime) -> TipClosure:
    tip.mark_closed(now)
    return TipClosure(tip_id=tip.id, reason=reason, closed_by=officer.id, closed_at=now)


async def _confirm_duplicate(*, session: AsyncSession, tip: Tip, other: Tip, now: datetime) -> None:
    links = (
        await session.scalars(
            select(DuplicateLink).where(
                col(DuplicateLink.tip_id).in_([tip.id, other.id]),
                col(DuplicateLink.other_tip_id).in_([tip.id, other.id]),
            )
        )
    ).all()
    for link in links:
        link.kind = DuplicateKind.CONFIRMED
    if not any(link.tip_id == tip.id for link in links):
        session.add(
            DuplicateLink(
                tip_id=tip.id, other_tip_id=other.id, kind=DuplicateKind.CONFIRMED, created_at=now
            )
        )
