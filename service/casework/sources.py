"""A source's track record under its pseudonym: past tips, their grades and outcomes.

Officers weigh a source by what came of its earlier tips; they never learn who it is.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from service.casework.cases import outcomes_of
from service.casework.effective import effective_triages
from service.casework.grading import latest_grades
from service.models import Case, Reporter, Tip

# A prolific source may have sent thousands: the officer weighs it by its latest tips.
PAST_TIPS_SHOWN = 20
# ... and counts the rest up to here ("more than 1 000"), an index range however long the years.
PAST_COUNT_LIMIT = 1_000


@dataclass(frozen=True)
class PastTip:
    tip_id: uuid.UUID
    reference: str
    received_at: datetime
    status: str
    category: str | None
    case_status: str | None
    grade: str | None
    outcomes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SourceRecord:
    pseudonym: str | None  # None: a web reporter, who has no stable identity to follow
    opted_out: bool
    past_tips: list[PastTip]  # the most recent PAST_TIPS_SHOWN
    past_count: int = 0  # all of the source's other tips, up to PAST_COUNT_LIMIT
    past_count_is_floor: bool = False  # more than PAST_COUNT_LIMIT


async def source_record(*, session: AsyncSession, tip: Tip) -> SourceRecord:
    if tip.reporter_id is None:
        return SourceRecord(pseudonym=None, opted_out=False, past_tips=[])
    reporter = await session.get(Reporter, tip.reporter_id)
    if reporter is None:
        return SourceRecord(pseudonym=None, opted_out=False, past_tips=[])
    others = (col(Tip.reporter_id) == reporter.id, col(Tip.id) != tip.id)
    result = await session.execute(
        select(Tip, Case)
        .outerjoin(Case, col(Case.tip_id) == col(Tip.id))
        .where(*others)
        .order_by(col(Tip.received_at).desc())
        .limit(PAST_TIPS_SHOWN)
    )
    rows: list[tuple[Tip, Case | None]] = [(tip, case) for tip, case in result.all()]
    # Counted up to a limit: a source of years (a courier reporting daily) is not walked whole.
    others_ids = select(col(Tip.id)).where(*others).limit(PAST_COUNT_LIMIT + 1).subquery()
    count = int(await session.scalar(select(func.count()).select_from(others_ids)) or 0)
    return SourceRecord(
        pseudonym=reporter.pseudonym,
        opted_out=reporter.opted_out_at is not None,
        past_tips=await _past_tips(session=session, rows=rows),
        past_count=min(count, PAST_COUNT_LIMIT),
        past_count_is_floor=count > PAST_COUNT_LIMIT,
    )


async def _past_tips(
    *, session: AsyncSession, rows: list[tuple[Tip, Case | None]]
) -> list[PastTip]:
    tip_ids = [tip.id for tip, _case in rows]
    triages = await effective_triages(session=session, tip_ids=tip_ids)
    grades = await latest_grades(session=session, tip_ids=tip_ids)
    outcomes = await outcomes_of(
        session=session, case_ids=[case.id for _tip, case in rows if case is not None]
    )
    return [
        PastTip(
            tip_id=tip.id,
            reference=tip.reference,
            received_at=tip.received_at,
            status=tip.status,
            category=triages[tip.id].category,
            case_status=case.status if case else None,
            grade=grades.get(tip.id),
            outcomes=[o.kind for o in outcomes.get(case.id, [])] if case else [],
        )
        for tip, case in rows
    ]
