"""``/console/dossiers``: an antenna's cases, and what its chief does with them.

A chief sees their antenna's cases only; another antenna's case answers 404. The chief's alert
number is set here too (``/console/alerte-sms``): stored sealed, never shown back.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import BackgroundTasks, Form, Request
from starlette.responses import Response

from service.access.deps import (
    CaseReader,
    CaseWorker,
    Chief,
    Keys,
    Now,
    ReadableCase,
    Rules,
    WorkableCase,
    queue_after_commit,
)
from service.access.files import case_file_response
from service.access.roles import CASE_READERS, CASE_WORKERS, CHIEFS
from service.access.session import DbSession
from service.casework import alerts, cases, questions
from service.casework.access import tip_of_case
from service.casework.case_view import case_detail
from service.casework.vocabulary import CASE_STATUSES, QUANTITY_UNITS, SUBSTANCES
from service.console.casework_pages import console_router, label, see_other, time_left
from service.console.navigation import NavItem, add_navigation
from service.console.templates import render
from service.console.voicemail_pages import voicemail_response
from service.models import Tip

router = console_router()
add_navigation(NavItem("console.nav.cases", "/console/dossiers", CASE_READERS, order=20))
add_navigation(NavItem("console.nav.alert_phone", "/console/alerte-sms", CHIEFS, order=40))

ALL_CASES = "tous"
Choice = Annotated[str, Form(max_length=32)]
Text = Annotated[str, Form(max_length=4000)]


def _page(case_id: object) -> str:
    return f"/console/dossiers/{case_id}"


@router.get("/dossiers")
async def cases_page(
    request: Request,
    session: DbSession,
    staff: CaseReader,
    now: Now,
    statut: str | None = None,
    apres: str | None = None,
) -> Response:
    # Open cases by default; closed ones (or all) on request.
    everything = statut == ALL_CASES
    status = None if everything else statut or None
    page = await cases.list_cases(
        session=session,
        staff=staff,
        status=status,
        open_only=not everything,
        after=apres or None,
    )
    following = request.url.include_query_params(apres=page.next_cursor or "")
    context = {
        "rows": page.rows,
        "page": page,
        "next_url": f"{following.path}?{following.query}" if page.next_cursor else None,
        "first_url": request.url.remove_query_params("apres") if apres else None,
        "counts": page.counts.by_status,
        "past_limit": page.counts.past_limit,
        "status": statut or "",
        "open_count": page.counts.open,
        "statuses": CASE_STATUSES,
        "now": now,
        "time_left": time_left,
        "label": label,
    }
    return render(request, "console/cases.html", context)


@router.get("/dossiers/{case_id}")
async def case_page(
    request: Request,
    case: ReadableCase,
    session: DbSession,
    keys: Keys,
    rules: Rules,
    staff: CaseReader,
    now: Now,
) -> Response:
    detail = await case_detail(session=session, keyring=keys, rules=rules, case=case, viewer=staff)
    deadline = case.ack_deadline
    context = {
        "detail": detail,
        "may_act": staff.role in CASE_WORKERS,
        "late": case.acknowledged_at is None and deadline is not None and deadline <= now,
        "seconds_left": int((deadline - now).total_seconds()) if deadline else None,
        "statuses": CASE_STATUSES,
        "substances": SUBSTANCES,
        "units": QUANTITY_UNITS,
        "done": request.query_params.get("fait"),
        "time_left": time_left,
        "label": label,
    }
    return render(request, "console/case.html", context)


@router.post("/dossiers/{case_id}/accuse")
async def acknowledge(
    case: WorkableCase, session: DbSession, staff: CaseWorker, now: Now
) -> Response:
    await cases.acknowledge_case(session=session, case=case, staff=staff, now=now)
    return see_other(_page(case.id), "acknowledged")


@router.post("/dossiers/{case_id}/statut")
async def set_status(
    case: WorkableCase, session: DbSession, staff: CaseWorker, now: Now, status: Choice
) -> Response:
    await cases.set_case_status(session=session, case=case, staff=staff, status=status, now=now)
    return see_other(_page(case.id), "status")


@router.post("/dossiers/{case_id}/resultat")
async def record_outcome(
    case: WorkableCase,
    session: DbSession,
    staff: CaseWorker,
    now: Now,
    kind: Choice,
    substance: Choice = "",
    quantity: Annotated[float | None, Form()] = None,
    unit: Choice = "",
    arrests: Annotated[int | None, Form()] = None,
) -> Response:
    outcome = cases.OutcomeInput(
        kind=kind,
        substance=substance or None,
        quantity=quantity,
        unit=unit or None,
        arrests=arrests,
    )
    await cases.record_outcome(session=session, case=case, staff=staff, outcome=outcome, now=now)
    return see_other(_page(case.id), "outcome")


@router.post("/dossiers/{case_id}/question")
async def ask(
    request: Request,
    background: BackgroundTasks,
    case: WorkableCase,
    session: DbSession,
    keys: Keys,
    staff: CaseWorker,
    text: Text,
) -> Response:
    tip = await session.get(Tip, case.tip_id)
    assert tip is not None  # cases.tip_id is a foreign key
    await questions.ask_reporter(session=session, keyring=keys, tip=tip, staff=staff, body=text)
    queue_after_commit(request, session, background)
    return see_other(_page(case.id), "asked")


@router.get("/dossiers/{case_id}/vocal/{message_id}")
async def case_voicemail_audio(
    request: Request,
    case: ReadableCase,
    message_id: uuid.UUID,
    session: DbSession,
    keys: Keys,
    staff: CaseReader,
) -> Response:
    """A voicemail of the case's tip, for whoever may read the case."""
    return await voicemail_response(
        request,
        session=session,
        keyring=keys,
        viewer=staff,
        tip=await tip_of_case(session=session, case=case),
        call_id=message_id,
    )


@router.get("/dossiers/{case_id}/fichiers/{file_id}")
async def case_file(
    request: Request,
    case: ReadableCase,
    file_id: uuid.UUID,
    session: DbSession,
    keys: Keys,
    staff: CaseReader,
) -> Response:
    """A photo or voice note of the case's tip; another antenna's case is 404 before it."""
    return await case_file_response(
        request, session=session, keyring=keys, viewer=staff, case=case, attachment_id=file_id
    )


@router.get("/alerte-sms")
async def alert_phone_page(request: Request, session: DbSession, chief: Chief) -> Response:
    context = {
        "configured": await alerts.has_alert_phone(session=session, staff=chief),
        "done": request.query_params.get("fait"),
    }
    return render(request, "console/alert_phone.html", context)


@router.post("/alerte-sms")
async def set_alert_phone(
    session: DbSession,
    keys: Keys,
    chief: Chief,
    now: Now,
    phone: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    if phone.strip():
        await alerts.change_alert_phone(
            session=session, keyring=keys, staff=chief, phone=phone, now=now
        )
        return see_other("/console/alerte-sms", "phone_set")
    await alerts.forget_alert_phone(session=session, staff=chief)
    return see_other("/console/alerte-sms", "phone_removed")
