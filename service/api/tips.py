"""``/api/v1/queue`` and ``/api/v1/tips/…``: the duty officers' operations."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from starlette.responses import Response

from service.access.csrf import csrf_protect
from service.access.deps import (
    AppSettings,
    Keys,
    Now,
    Officer,
    OfficerTip,
    Rules,
    queue_after_commit,
)
from service.access.files import tip_file_response
from service.access.session import DbSession
from service.api.presenters import (
    case_public,
    note_public,
    queue_item_public,
    tip_detail_public,
    triage_public,
)
from service.api.schemas import (
    CasePublic,
    ClaimPublic,
    CloseIn,
    CorrectionIn,
    GradeIn,
    GradePublic,
    MergeIn,
    NotePublic,
    QuestionQueued,
    QueuePage,
    RouteIn,
    TextIn,
    TipDetailPublic,
    TipStatusPublic,
    TriagePublic,
)
from service.casework import claims, closing, corrections, grading, notes, questions, routing
from service.casework.access import get_tip
from service.casework.effective import effective_triage
from service.casework.notes import NoteView
from service.casework.queue import build_queue, parse_filters
from service.casework.tip_view import tip_detail
from service.models import Tip, TipClosure

router = APIRouter(tags=["casework"], dependencies=[Depends(csrf_protect)])


@router.get("/queue", response_model=QueuePage)
async def queue(
    session: DbSession,
    settings: AppSettings,
    now: Now,
    officer: Officer,
    view: str | None = None,
    channel: str | None = None,
    category: str | None = None,
    antenna: str | None = None,
    after: str | None = None,
) -> QueuePage:
    """One page of the view, most urgent first; ``next`` is the ``after`` of the next page."""
    filters = await parse_filters(
        session=session,
        view=view,
        channel=channel,
        category=category,
        antenna=antenna,
        after=after,
        claimant=officer.id,
    )
    page = await build_queue(session=session, settings=settings, filters=filters, now=now)
    return QueuePage(
        total=page.total,
        total_is_floor=page.total_is_floor,
        next=page.next_cursor,
        items=[queue_item_public(item) for item in page.items],
    )


@router.get("/tips/{tip_id}", response_model=TipDetailPublic)
async def tip(
    tip: OfficerTip,
    session: DbSession,
    keys: Keys,
    rules: Rules,
    officer: Officer,
    now: Now,
) -> TipDetailPublic:
    detail = await tip_detail(session=session, keyring=keys, rules=rules, tip=tip, viewer=officer)
    return tip_detail_public(detail, now)


@router.get("/tips/{tip_id}/attachments/{attachment_id}")
async def attachment(
    request: Request,
    tip: OfficerTip,
    attachment_id: uuid.UUID,
    session: DbSession,
    keys: Keys,
    officer: Officer,
) -> Response:
    """A file of the tip (or of a tip merged into it), decrypted for this response (never
    cached; audited)."""
    return await tip_file_response(
        request,
        session=session,
        keyring=keys,
        viewer=officer,
        tip=tip,
        attachment_id=attachment_id,
    )


@router.post("/tips/{tip_id}/claim", response_model=ClaimPublic)
async def claim(tip: OfficerTip, session: DbSession, officer: Officer, now: Now) -> ClaimPublic:
    await claims.claim_tip(session=session, tip=tip, officer=officer, now=now)
    return ClaimPublic(tip_id=tip.id, claimed_by=officer.username)


@router.delete("/tips/{tip_id}/claim", response_model=ClaimPublic)
async def release(tip: OfficerTip, session: DbSession, officer: Officer) -> ClaimPublic:
    await claims.release_tip(session=session, tip=tip, officer=officer)
    return ClaimPublic(tip_id=tip.id, claimed_by=None)


@router.post("/tips/{tip_id}/corrections", response_model=TriagePublic)
async def correct(
    body: CorrectionIn,
    tip: OfficerTip,
    session: DbSession,
    settings: AppSettings,
    officer: Officer,
    now: Now,
) -> TriagePublic:
    await corrections.correct_triage(
        session=session,
        settings=settings,
        tip=tip,
        officer=officer,
        now=now,
        category=body.category,
        priority=body.priority,
        antenna=body.antenna,
    )
    return triage_public(await effective_triage(session=session, tip_id=tip.id), [])


@router.post("/tips/{tip_id}/route", response_model=CasePublic)
async def route(
    body: RouteIn,
    tip: OfficerTip,
    request: Request,
    background: BackgroundTasks,
    session: DbSession,
    settings: AppSettings,
    officer: Officer,
    now: Now,
) -> CasePublic:
    case = await routing.route_by_officer(
        session=session,
        settings=settings,
        tip=tip,
        officer=officer,
        antenna_code=body.antenna,
        now=now,
    )
    queue_after_commit(request, session, background)
    triage = await effective_triage(session=session, tip_id=tip.id)
    return case_public(case=case, tip=tip, triage=triage, escalated=False, outcomes=[], now=now)


@router.post("/tips/{tip_id}/merge", response_model=TipStatusPublic)
async def merge(
    body: MergeIn, tip: OfficerTip, session: DbSession, officer: Officer, now: Now
) -> TipStatusPublic:
    into = await get_tip(session=session, tip_id=body.into_tip_id)
    closure = await closing.merge_tip(session=session, tip=tip, into=into, officer=officer, now=now)
    return _status(tip, closure, merged_into=into)


@router.post("/tips/{tip_id}/close", response_model=TipStatusPublic)
async def close(
    body: CloseIn, tip: OfficerTip, session: DbSession, officer: Officer, now: Now
) -> TipStatusPublic:
    closure = await closing.close_tip(
        session=session,
        tip=tip,
        officer=officer,
        reason=body.reason,
        now=now,
        unheard_confirmed=body.unheard_voicemail_confirmed,
    )
    return _status(tip, closure, merged_into=None)


@router.post("/tips/{tip_id}/questions", response_model=QuestionQueued, status_code=201)
async def ask(
    body: TextIn,
    tip: OfficerTip,
    request: Request,
    background: BackgroundTasks,
    session: DbSession,
    keys: Keys,
    officer: Officer,
) -> QuestionQueued:
    message = await questions.ask_reporter(
        session=session, keyring=keys, tip=tip, staff=officer, body=body.text
    )
    queue_after_commit(request, session, background)
    return QuestionQueued(message_id=message.id, delivery_status=message.delivery_status)


@router.post("/tips/{tip_id}/notes", response_model=NotePublic, status_code=201)
async def add_note(
    body: TextIn, tip: OfficerTip, session: DbSession, keys: Keys, officer: Officer, now: Now
) -> NotePublic:
    note = await notes.add_note(
        session=session, keyring=keys, tip=tip, author=officer, body=body.text, now=now
    )
    view = NoteView(author=officer.username, created_at=note.created_at, text=body.text.strip())
    return note_public(view)


@router.post("/tips/{tip_id}/grades", response_model=GradePublic, status_code=201)
async def grade(
    body: GradeIn, tip: OfficerTip, session: DbSession, officer: Officer, now: Now
) -> GradePublic:
    graded = await grading.grade_tip(
        session=session,
        tip=tip,
        officer=officer,
        source_reliability=body.source_reliability,
        information_credibility=body.information_credibility,
        now=now,
    )
    return GradePublic(
        tip_id=tip.id, grade=f"{graded.source_reliability}{graded.information_credibility}"
    )


def _status(tip: Tip, closure: TipClosure, *, merged_into: Tip | None) -> TipStatusPublic:
    return TipStatusPublic(
        tip_id=tip.id,
        reference=tip.reference,
        status=tip.status,
        closure_reason=closure.reason,
        merged_into=merged_into.reference if merged_into else None,
    )
