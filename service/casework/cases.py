"""An antenna's cases: acknowledgement, status, outcomes; lists and counts bounded by antenna."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from service.casework.access import case_scope, case_target
from service.casework.effective import EffectiveTriage, effective_triages
from service.casework.errors import InvalidChoice
from service.casework.vocabulary import CASE_STATUSES, QUANTITY_UNITS, SUBSTANCES
from service.core.audit import record_audit
from service.core.db import among
from service.core.keyset import InvalidCursor, decode_cursor, encode_cursor
from service.core.keyset import after as keyset_after
from service.models import (
    Case,
    CaseEscalation,
    CaseOutcome,
    CaseStatus,
    OutcomeKind,
    StaffUser,
    Tip,
    TipStatus,
)

CASES_PAGE_SIZE = 50
# Cases of a status are counted up to here: an exact count of years of closed cases would cost
# more than the page (and grow with the years), and "1 000+" tells a chief as much.
COUNT_LIMIT = 1_000
_CASES = cast(Table, getattr(Case, "__table__"))  # noqa: B009 - SQLModel hides it
_OPEN_STATUSES = [status for status in CaseStatus if status != CaseStatus.CLOSED]


@dataclass(frozen=True)
class CaseCounts:
    """Cases by status, each counted up to ``COUNT_LIMIT``; ``past_limit`` holds the statuses
    with more (their count reads "at least")."""

    by_status: dict[str, int]
    past_limit: frozenset[str]

    @property
    def open(self) -> int:
        return sum(n for name, n in self.by_status.items() if name != CaseStatus.CLOSED)

    def total(self, *, status: str | None, open_only: bool) -> tuple[int, bool]:
        """How many the list holds, and whether that is a floor."""
        names = [status] if status is not None else list(self.by_status)
        if status is None and open_only:
            names = [name for name in names if name != CaseStatus.CLOSED]
        total = sum(self.by_status[name] for name in names)
        return total, any(name in self.past_limit for name in names)


@dataclass(frozen=True)
class CaseRow:
    case: Case
    tip: Tip
    triage: EffectiveTriage
    escalated: bool

    def late(self, now: datetime) -> bool:
        deadline = self.case.ack_deadline
        return self.case.acknowledged_at is None and deadline is not None and deadline <= now


@dataclass(frozen=True)
class CasePage:
    """One page of a case list: its rows, how many the list holds, where the next page starts."""

    rows: list[CaseRow]
    total: int
    total_is_floor: bool  # some status has more than COUNT_LIMIT cases
    counts: CaseCounts
    next_cursor: str | None


async def list_cases(
    *,
    session: AsyncSession,
    staff: StaffUser,
    status: str | None = None,
    open_only: bool = False,
    after: str | None = None,
    limit: int = CASES_PAGE_SIZE,
) -> CasePage:
    """A page of the cases this person may see, the most recently routed first: a walk down
    the index on (antenna, routing time), however many cases years have piled up.

    ``open_only`` leaves closed cases out (what a chief works on), unless a status is asked."""
    if status is not None and status not in CASE_STATUSES:
        raise InvalidChoice()
    keys = [_CASES.c.created_at, _CASES.c.id]
    query = select(Case, Tip).join(Tip, col(Tip.id) == col(Case.tip_id)).where(case_scope(staff))
    if status is not None:
        query = query.where(col(Case.status) == status)
    elif open_only:
        # The open statuses by name, not "not closed": an index range on (antenna, status) of
        # what is open, instead of a walk down the antenna's years of closed cases.
        query = query.where(col(Case.status).in_(_OPEN_STATUSES))
    if after is not None:
        try:
            cursor = decode_cursor(after, (datetime, uuid.UUID))
        except InvalidCursor as error:
            raise InvalidChoice() from error
        query = query.where(keyset_after(keys, cursor, descending=True))
    found = await session.execute(query.order_by(*(key.desc() for key in keys)).limit(limit + 1))
    rows = found.all()
    more, rows = len(rows) > limit, rows[:limit]
    triages = await effective_triages(session=session, tip_ids=[tip.id for _case, tip in rows])
    escalated = await escalated_case_ids(session=session, cases=[case for case, _tip in rows])
    counts = await count_cases(session=session, staff=staff)
    total, total_is_floor = counts.total(status=status, open_only=open_only)
    last = rows[-1][0] if rows else None
    return CasePage(
        rows=[
            CaseRow(case=case, tip=tip, triage=triages[tip.id], escalated=case.id in escalated)
            for case, tip in rows
        ],
        total=total,
        total_is_floor=total_is_floor,
        counts=counts,
        next_cursor=encode_cursor([last.created_at, last.id]) if more and last else None,
    )


async def count_cases(*, session: AsyncSession, staff: StaffUser) -> CaseCounts:
    """Cases by status within what this person may see, in one statement: each status an index
    range (``ix_cases_antenna_code_status``, ``ix_cases_status_created_at``) stopped after
    ``COUNT_LIMIT`` + 1 rows, however many cases the years have closed."""
    per_status = [
        select(literal(status).label("status"), func.count().label("found")).select_from(
            select(col(Case.id))
            .where(case_scope(staff), col(Case.status) == status)
            .limit(COUNT_LIMIT + 1)
            .subquery()
        )
        for status in CASE_STATUSES
    ]
    rows = (await session.execute(union_all(*per_status))).all()
    found = {str(status): int(count) for status, count in rows}
    return CaseCounts(
        by_status={status: min(count, COUNT_LIMIT) for status, count in found.items()},
        past_limit=frozenset(status for status, count in found.items() if count > COUNT_LIMIT),
    )


async def count_late_cases(*, session: AsyncSession, staff: StaffUser, now: datetime) -> int:
    """Cases past their acknowledgement deadline, within what this person may see."""
    found = await session.scalar(
        select(func.count())
        .select_from(Case)
        .where(
            case_scope(staff),
            col(Case.acknowledged_at).is_(None),
            col(Case.ack_deadline) < now,
            col(Case.status) != CaseStatus.CLOSED,
        )
    )
    return int(found or 0)


async def escalated_case_ids(*, session: AsyncSession, cases: list[Case]) -> set[uuid.UUID]:
    """Cases escalated for missing their current deadline (a re-routed case starts afresh)."""
    if not cases:
        return set()
    deadlines = {case.id: case.ack_deadline for case in cases if case.acknowledged_at is None}
    found = await session.execute(
        select(col(CaseEscalation.case_id), col(CaseEscalation.deadline)).where(
            among(session, col(CaseEscalation.case_id), deadlines)
        )
    )
    return {case_id for case_id, deadline in found.all() if deadlines.get(case_id) == deadline}


async def acknowledge_case(
    *, session: AsyncSession, case: Case, staff: StaffUser, now: datetime
) -> Case:
    """Acknowledging twice keeps the first time: it is what the dashboard measures."""
    if case.acknowledged_at is None:
        case.acknowledged_at = now
        await record_audit(
            session=session, actor=staff, action="case.acknowledged", target=case_target(case)
        )
    return case


async def set_case_status(
    *, session: AsyncSession, case: Case, staff: StaffUser, status: str, now: datetime
) -> Case:
    if status not in CASE_STATUSES:
        raise InvalidChoice()
    new = CaseStatus(status)
    if new == case.status:
        return case
    if new != CaseStatus.NEW:
        await acknowledge_case(session=session, case=case, staff=staff, now=now)
    previous, case.status = case.status, new
    tip = await session.get(Tip, case.tip_id)
    if tip is not None and new == CaseStatus.CLOSED:
        tip.mark_closed(now)
    elif tip is not None:
        tip.mark_reopened(TipStatus.ROUTED)
    await record_audit(
        session=session,
        actor=staff,
        action="case.status_changed",
        target=case_target(case),
        details={"status": f"{previous} -> {new}"},
    )
    return case


@dataclass(frozen=True)
class OutcomeInput:
    kind: str
    substance: str | None = None
    quantity: float | None = None
    unit: str | None = None
    arrests: int | None = None


async def record_outcome(
    *, session: AsyncSession, case: Case, staff: StaffUser, outcome: OutcomeInput, now: datetime
) -> CaseOutcome:
    _check_outcome(outcome)  # InvalidChoice before anything is written
    seizure = outcome.kind == OutcomeKind.SEIZURE
    row = CaseOutcome(
        case_id=case.id,
        kind=OutcomeKind(outcome.kind),
        substance=outcome.substance if seizure else None,
        quantity=outcome.quantity if seizure else None,
        unit=outcome.unit if seizure else None,
        arrests=outcome.arrests if outcome.kind == OutcomeKind.ARRESTS else None,
        recorded_by=staff.id,
        recorded_at=now,
    )
    session.add(row)
    await acknowledge_case(session=session, case=case, staff=staff, now=now)
    await record_audit(
        session=session,
        actor=staff,
        action="case.outcome_recorded",
        target=case_target(case),
        details={"kind": row.kind},
    )
    await _follow_outcome(session=session, case=case, staff=staff, kind=row.kind, now=now)
    return row


# What an outcome says of the case: an operation was carried out, or nothing will follow.
_STATUS_AFTER = {
    OutcomeKind.SEIZURE: CaseStatus.OPERATION_DONE,
    OutcomeKind.ARRESTS: CaseStatus.OPERATION_DONE,
    OutcomeKind.NO_FOLLOW_UP: CaseStatus.CLOSED,
}
_STATUS_ORDER = tuple(CaseStatus)


async def _follow_outcome(
    *, session: AsyncSession, case: Case, staff: StaffUser, kind: OutcomeKind, now: datetime
) -> None:
    """The status moves forward with the outcome (« sans suite » is not « nouveau »), never
    back: a chief who already closed the case keeps it closed."""
    implied = _STATUS_AFTER[kind]
    if _STATUS_ORDER.index(implied) > _STATUS_ORDER.index(case.status):
        await set_case_status(session=session, case=case, staff=staff, status=implied, now=now)


def _check_outcome(outcome: OutcomeInput) -> None:
    """A seizure names a substance and a quantity; arrests give their number."""
    if outcome.kind == OutcomeKind.SEIZURE:
        valid = (
            outcome.substance in SUBSTANCES
            and outcome.unit in QUANTITY_UNITS
            and outcome.quantity is not None
            and outcome.quantity > 0
        )
    elif outcome.kind == OutcomeKind.ARRESTS:
        valid = outcome.arrests is not None and outcome.arrests > 0
    else:
        valid = outcome.kind == OutcomeKind.NO_FOLLOW_UP
    if not valid:
        raise InvalidChoice()


async def outcomes_of(
    *, session: AsyncSession, case_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[CaseOutcome]]:
    if not case_ids:
        return {}
    found: dict[uuid.UUID, list[CaseOutcome]] = {}
    for outcome in await session.scalars(
        select(CaseOutcome)
        .where(among(session, col(CaseOutcome.case_id), case_ids))
        .order_by(col(CaseOutcome.recorded_at))
    ):
        found.setdefault(outcome.case_id, []).append(outcome)
    return found
