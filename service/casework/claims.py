"""Claims: one duty officer works a tip at a time, so two never act on it at once."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from service.casework.access import ensure_open, tip_target
from service.casework.errors import TipClaimedByAnother, TipNotClaimedByYou
from service.core.audit import record_audit
from service.core.db import among
from service.models import Role, StaffUser, Tip, TipClaim

# Supervisors may take a tip back from an officer who went off duty with it.
_MAY_RELEASE_ANY = frozenset({Role.SUPERVISOR})


async def claim_of(*, session: AsyncSession, tip_id: uuid.UUID) -> TipClaim | None:
    return await session.get(TipClaim, tip_id)


async def claim_tip(
    *, session: AsyncSession, tip: Tip, officer: StaffUser, now: datetime
) -> TipClaim:
    """Claiming a tip one already holds changes nothing."""
    ensure_open(tip)
    held = await claim_of(session=session, tip_id=tip.id)
    if held is not None:
        if held.staff_id != officer.id:
            raise TipClaimedByAnother()
        return held
    claim = TipClaim(tip_id=tip.id, staff_id=officer.id, claimed_at=now)
    session.add(claim)
    try:
        await session.flush()
    except IntegrityError as error:  # another officer claimed it at the same instant
        raise TipClaimedByAnother() from error
    await record_audit(session=session, actor=officer, action="tip.claimed", target=tip_target(tip))
    return claim


async def release_tip(*, session: AsyncSession, tip: Tip, officer: StaffUser) -> None:
    held = await claim_of(session=session, tip_id=tip.id)
    if held is None:
        raise TipNotClaimedByYou()
    if held.staff_id != officer.id and officer.role not in _MAY_RELEASE_ANY:
        raise TipClaimedByAnother()
    await session.delete(held)
    await record_audit(
        session=session, actor=officer, action="tip.released", target=tip_target(tip)
    )


async def ensure_workable(*, session: AsyncSession, tip: Tip, officer: StaffUser) -> None:
    """An officer acts on an open tip that nobody else has claimed."""
    ensure_open(tip)
    held = await claim_of(session=session, tip_id=tip.id)
    if held is not None and held.staff_id != officer.id:
        raise TipClaimedByAnother()


async def drop_claim(*, session: AsyncSession, tip_id: uuid.UUID) -> None:
    """A tip that leaves the queue (routed, closed, merged) needs no claim any more."""
    await session.execute(delete(TipClaim).where(col(TipClaim.tip_id) == tip_id))


async def claimants(
    *, session: AsyncSession, tip_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """Who holds each of these tips, by username."""
    if not tip_ids:
        return {}
    rows = await session.execute(
        select(col(TipClaim.tip_id), col(StaffUser.username))
        .join(StaffUser, col(StaffUser.id) == col(TipClaim.staff_id))
        .where(among(session, col(TipClaim.tip_id), tip_ids))
    )
    return dict(rows.all())
