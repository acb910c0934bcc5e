"""``/api/v1/cases/…``: an antenna's cases. A chief sees, counts and acts on their antenna's only;
another antenna's case answers 404, like one that does not exist."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from starlette.responses import Response

from service.access.csrf import csrf_protect
from service.access.deps import (
    CaseReader,
    CaseWorker,
    Keys,
    Now,
    ReadableCase,
    Rules,
    WorkableCase,
    queue_after_commit,
)
from service.access.files import case_file_response
from service.access.session import DbSession
from service.api.presenters import (
    attachments_public,
    case_public,
    case_row_public,
    message_public,
    triage_public,
)
from service.api.schemas import (
    CaseDetailPublic,
    CaseListPublic,
    CasePublic,
    OutcomeIn,
    QuestionQueued,
    StatusIn,
    TextIn,
)
from service.casework import cases, questions
from service.casework.case_view import CaseDetail, case_detail
from service.casework.effective import effective_triage
from service.models import Case, Tip

router = APIRouter(tags=["casework"], dependencies=[Depends(csrf_protect)])


@router.get("/cases", response_model=CaseListPublic)
async def list_cases(
    session: DbSession,
    staff: CaseReader,
    now: Now,
    status: str | None = None,
    after: str | None = None,
) -> CaseListPublic:
    """A page of cases, the most recently routed first; ``next`` is the next page's ``after``."""
    page = await cases.list_cases(session=session, staff=staff, status=status, after=after)
    rows = page.rows
    outcomes = await cases.outcomes_of(session=session, case_ids=[row.case.id for row in rows])
    return CaseListPublic(
        total=page.total,
        total_is_floor=page.total_is_floor,
        counts=page.counts.by_status,
        counts_past_limit=sorted(page.counts.past_limit),
        next=page.next_cursor,
        items=[case_row_public(row, outcomes.get(row.case.id, []), now) for row in rows],
    )


@router.get("/cases/{case_id}", response_model=CaseDetailPublic)
async def case(
    case: ReadableCase,
    session: DbSession,
    keys: Keys,
    rules: Rules,
    staff: CaseReader,
    now: Now,
) -> CaseDetailPublic:
    detail = await case_detail(session=session, keyring=keys, rules=rules, case=case, viewer=staff)
    return _detail_public(detail, now)


@router.get("/cases/{case_id}/attachments/{attachment_id}")
async def attachment(
    request: Request,
    case: ReadableCase,
    attachment_id: uuid.UUID,
    session: DbSession,
    keys: Keys,
    staff: CaseReader,
) -> Response:
    """A file of the case's tip, decrypted for this response (never cached; audited)."""
    return await case_file_response(
        request, session=session, keyring=keys, viewer=staff, case=case, attachment_id=attachment_id
    )


@router.post("/cases/{case_id}/acknowledge", response_model=CasePublic)
async def acknowledge(
    case: WorkableCase, session: DbSession, staff: CaseWorker, now: Now
) -> CasePublic:
    await cases.acknowledge_case(session=session, case=case, staff=staff, now=now)
    return await _case_public(session, case, now)


@router.post("/cases/{case_id}/status", response_model=CasePublic)
async def set_status(
    body: StatusIn, case: WorkableCase, session: DbSession, staff: CaseWorker, now: Now
) -> CasePublic:
    await cases.set_case_status(
        session=session, case=case, staff=staff, status=body.status, now=now
    )
    return await _case_public(session, case, now)


@router.post("/cases/{case_id}/outcomes", response_model=CasePublic, status_code=201)
async def record_outcome(
    body: OutcomeIn, case: WorkableCase, session: DbSession, staff: CaseWorker, now: Now
) -> CasePublic:
    outcome = cases.OutcomeInput(
        kind=body.kind,
        substance=body.substance,
        quantity=body.quantity,
        unit=body.unit,
        arrests=body.arrests,
    )
    await cases.record_outcome(session=session, case=case, staff=staff, outcome=outcome, now=now)
    return await _case_public(session, case, now)


@router.post("/cases/{case_id}/questions", response_model=QuestionQueued, status_code=201)
async def ask(
    body: TextIn,
    case: WorkableCase,
    request: Request,
    background: BackgroundTasks,
    session: DbSession,
    keys: Keys,
    staff: CaseWorker,
) -> QuestionQueued:
    tip = await session.get(Tip, case.tip_id)
    assert tip is not None  # cases.tip_id is a foreign key
    message = await questions.ask_reporter(
        session=session, keyring=keys, tip=tip, staff=staff, body=body.text
    )
    queue_after_commit(request, session, background)
    return QuestionQueued(message_id=message.id, delivery_status=message.delivery_status)


async def _case_public(session: DbSession, case: Case, now: Now) -> CasePublic:
    tip = await session.get(Tip, case.tip_id)
    assert tip is not None
    escalated = await cases.escalated_case_ids(session=session, cases=[case])
    outcomes = await cases.outcomes_of(session=session, case_ids=[case.id])
    return case_public(
        case=case,
        tip=tip,
        triage=await effective_triage(session=session, tip_id=tip.id),
        escalated=case.id in escalated,
        outcomes=outcomes.get(case.id, []),
        now=now,
    )


def _detail_public(detail: CaseDetail, now: Now) -> CaseDetailPublic:
    return CaseDetailPublic(
        case=case_public(
            case=detail.case,
            tip=detail.tip,
            triage=detail.triage,
            escalated=detail.escalated,
            outcomes=detail.outcomes,
            now=now,
        ),
        channel=detail.tip.channel,
        received_at=detail.tip.received_at,
        triage=triage_public(detail.triage, detail.hits),
        conversation=[message_public(line) for line in detail.conversation],
        merged=[tip.reference for tip in detail.merged],
        pseudonym=detail.pseudonym,
        grade=detail.grade,
        attachments=attachments_public(detail.attachments, f"/api/v1/cases/{detail.case.id}"),
        place_hint=detail.place_hint,
    )
