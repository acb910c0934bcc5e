"""Finding a tip or a case for a staff member. A chief's view is bounded by their antenna.

Another antenna's case and a case that does not exist answer alike (404), so guessing ids
reveals nothing.
"""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, false, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from service.casework.errors import CaseNotFound, TipClosed, TipNotFound
from service.models import Case, Role, StaffUser, Tip, TipStatus


async def get_tip(*, session: AsyncSession, tip_id: uuid.UUID) -> Tip:
    tip = await session.get(Tip, tip_id)
    if tip is None:
        raise TipNotFound()
    return tip


def ensure_open(tip: Tip) -> None:
    if tip.status == TipStatus.CLOSED:
        raise TipClosed()


def case_scope(staff: StaffUser) -> ColumnElement[bool]:
    """The cases this person may see: a chief only their antenna's, no antenna means none."""
    if staff.role != Role.ANTENNA_CHIEF:
        return true()
    if staff.antenna_code is None:
        return false()
    return col(Case.antenna_code) == staff.antenna_code


def may_see_case(staff: StaffUser, case: Case) -> bool:
    if staff.role != Role.ANTENNA_CHIEF:
        return True
    return staff.antenna_code is not None and case.antenna_code == staff.antenna_code


async def visible_case(*, session: AsyncSession, staff: StaffUser, case_id: uuid.UUID) -> Case:
    case = await session.get(Case, case_id)
    if case is None or not may_see_case(staff, case):
        raise CaseNotFound()
    return case


async def tip_of_case(*, session: AsyncSession, case: Case) -> Tip:
    tip = await session.get(Tip, case.tip_id)
    assert tip is not None  # cases.tip_id is a foreign key
    return tip


def tip_target(tip: Tip) -> str:
    """How the audit trail names a tip: its public reference, never its content."""
    return f"tip:{tip.reference}"


def case_target(case: Case) -> str:
    return f"case:{case.id}"
