"""``/console/signalements/{tip_id}``: the tip page and the duty officer's actions on it.

Each action is a form posting here; the handler calls one casework service and redirects back.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import BackgroundTasks, Form, Request
from sqlalchemy import select
from starlette.responses import Response

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
from service.casework import claims, closing, corrections, grading, notes, questions, routing
from service.casework.access import get_tip
from service.casework.errors import InvalidChoice
from service.casework.tip_view import has_unheard_voicemail, tip_detail
from service.casework.vocabulary import (
    CATEGORIES,
    INFORMATION_CREDIBILITY,
    OFFICER_CLOSURES,
    PRIORITIES,
    SOURCE_RELIABILITY,
)
from service.console.casework_pages import console_router, label, see_other
from service.console.templates import render
from service.console.voicemail_pages import voicemail_response
from service.models import Antenna, Tip, TipStatus

router = console_router()

Choice = Annotated[str, Form(max_length=32)]
Text = Annotated[str, Form(max_length=4000)]


def _page(tip_id: uuid.UUID) -> str:
    return f"/console/signalements/{tip_id}"


@router.get("/signalements/{tip_id}")
async def tip_page(
    request: Request,
    tip: OfficerTip,
    session: DbSession,
    keys: Keys,
    rules: Rules,
    officer: Officer,
    now: Now,
    annuler: uuid.UUID | None = None,
) -> Response:
    detail = await tip_detail(session=session, keyring=keys, rules=rules, tip=tip, viewer=officer)
    antennas = (await session.scalars(select(Antenna).order_by(Antenna.code))).all()
    context = {
        "detail": detail,
        "may_undo": closing.may_undo(detail.closure, officer=officer, now=now),
        "undo_until": closing.undo_deadline(detail.closure) if detail.closure else None,
        "antennas": antennas,
        "categories": CATEGORIES,
        "priorities": PRIORITIES,
        "reliabilities": SOURCE_RELIABILITY,
        "credibilities": INFORMATION_CREDIBILITY,
        "done": request.query_params.get("fait"),
        "undo_tip": annuler,
        "label": label,
    }
    return render(request, "console/tip.html", context)


@router.get("/signalements/{tip_id}/vocal/{message_id}")
async def tip_voicemail_audio(
    request: Request,
    tip: OfficerTip,
    message_id: uuid.UUID,
    session: DbSession,
    keys: Keys,
    officer: Officer,
) -> Response:
    """A voicemail of the tip, for the officers who read it (seekable, never cached)."""
    return await voicemail_response(
        request, session=session, keyring=keys, viewer=officer, tip=tip, call_id=message_id
    )


@router.get("/signalements/{tip_id}/fichiers/{file_id}")
async def tip_file(
    request: Request,
    tip: OfficerTip,
    file_id: uuid.UUID,
    session: DbSession,
    keys: Keys,
    officer: Officer,
) -> Response:
    """A photo or voice note the reporter sent (or sent on a tip merged into this one)."""
    return await tip_file_response(
        request,
        session=session,
        keyring=keys,
        viewer=officer,
        tip=tip,
        attachment_id=file_id,
    )


@router.post("/signalements/{tip_id}/prise-en-charge")
async def claim(tip: OfficerTip, session: DbSession, officer: Officer, now: Now) -> Response:
    await claims.claim_tip(session=session, tip=tip, officer=officer, now=now)
    return see_other(_page(tip.id), "claimed")


@router.post("/signalements/{tip_id}/liberation")
async def release(tip: OfficerTip, session: DbSession, officer: Officer) -> Response:
    await claims.release_tip(session=session, tip=tip, officer=officer)
    return see_other(_page(tip.id), "released")


@router.post("/signalements/{tip_id}/correction")
async def correct(
    tip: OfficerTip,
    session: DbSession,
    settings: AppSettings,
    officer: Officer,
    now: Now,
    category: Choice = "",
    priority: Choice = "",
    antenna: Choice = "",
) -> Response:
    await corrections.correct_triage(
        session=session,
        settings=settings,
        tip=tip,
        officer=officer,
        now=now,
        category=category or None,
        priority=priority or None,
        antenna=antenna or None,
    )
    return see_other(_page(tip.id), "corrected")


@router.post("/signalements/{tip_id}/transmission")
async def route(
    request: Request,
    background: BackgroundTasks,
    tip: OfficerTip,
    session: DbSession,
    settings: AppSettings,
    officer: Officer,
    now: Now,
    antenna: Choice,
) -> Response:
    await routing.route_by_officer(
        session=session, settings=settings, tip=tip, officer=officer, antenna_code=antenna, now=now
    )
    queue_after_commit(request, session, background)
    return see_other("/console/signalements", "routed")


@router.get("/signalements/{tip_id}/fusion")
async def confirm_merge(
    request: Request, tip: OfficerTip, session: DbSession, into: uuid.UUID | None = None
) -> Response:
    """The step before a merge, so that it works without script: say what will happen."""
    if tip.status == TipStatus.CLOSED:
        return _confirmation(request, tip, "fusion", "already_closed", [])
    if into is None:  # the tip to keep is chosen on the tip's page
        return _confirmation(request, tip, "fusion", "merge_choose", [])
    kept = await get_tip(session=session, tip_id=into)
    choice = ("into", str(kept.id), "console.confirm.submit")
    return _confirmation(request, tip, "fusion", "merge", [choice], kept=kept)


@router.post("/signalements/{tip_id}/fusion")
async def merge(
    tip: OfficerTip,
    session: DbSession,
    officer: Officer,
    now: Now,
    into: Annotated[uuid.UUID, Form()],
) -> Response:
    kept = await get_tip(session=session, tip_id=into)
    await closing.merge_tip(session=session, tip=tip, into=kept, officer=officer, now=now)
    return see_other(f"{_page(kept.id)}?annuler={tip.id}", "merged")


@router.get("/signalements/{tip_id}/cloture")
async def confirm_close(
    request: Request, tip: OfficerTip, session: DbSession, reason: str | None = None
) -> Response:
    """Confirm one reason, or choose between them when none was given; a voicemail nobody has
    transcribed yet is named, and closing it needs a box ticked."""
    unheard = await has_unheard_voicemail(session=session, tip=tip)
    if reason is not None and reason not in OFFICER_CLOSURES:
        raise InvalidChoice()
    if tip.status == TipStatus.CLOSED:
        return _confirmation(request, tip, "cloture", "already_closed", [])
    if reason is None:
        choices = [
            ("reason", value, f"console.tip.close_{_CLOSE_KEYS[value]}")
            for value in OFFICER_CLOSURES
        ]
        return _confirmation(request, tip, "cloture", "close", choices, unheard=unheard)
    choice = ("reason", reason, "console.confirm.submit")
    return _confirmation(request, tip, "cloture", f"close_{reason}", [choice], unheard=unheard)


_CLOSE_KEYS = {"spam": "spam", "hors_champ": "out_of_scope"}


def _confirmation(
    request: Request,
    tip: Tip,
    action: str,
    question: str,
    choices: list[tuple[str, str, str]],  # (field, value, catalogue key of the button)
    kept: Tip | None = None,
    *,
    unheard: bool = False,
) -> Response:
    context = {
        "unheard": unheard,
        "tip": tip,
        "action": f"{_page(tip.id)}/{action}",
        "question": f"console.confirm.{question}",
        "choices": choices,
        "kept": kept,
        "undo_minutes": int(closing.UNDO_WINDOW.total_seconds() // 60),
    }
    return render(request, "console/confirm.html", context)


@router.post("/signalements/{tip_id}/annulation")
async def undo_closure(tip: OfficerTip, session: DbSession, officer: Officer, now: Now) -> Response:
    await closing.undo_closure(session=session, tip=tip, officer=officer, now=now)
    return see_other(_page(tip.id), "undone")


@router.post("/signalements/{tip_id}/cloture")
async def close(
    tip: OfficerTip,
    session: DbSession,
    officer: Officer,
    now: Now,
    reason: Choice,
    sans_ecoute: Choice = "",
) -> Response:
    await closing.close_tip(
        session=session,
        tip=tip,
        officer=officer,
        reason=reason,
        now=now,
        unheard_confirmed=sans_ecoute == "1",
    )
    return see_other(f"/console/signalements?annuler={tip.id}", "closed")


@router.post("/signalements/{tip_id}/question")
async def ask(
    request: Request,
    background: BackgroundTasks,
    tip: OfficerTip,
    session: DbSession,
    keys: Keys,
    officer: Officer,
    text: Text,
) -> Response:
    await questions.ask_reporter(session=session, keyring=keys, tip=tip, staff=officer, body=text)
    queue_after_commit(request, session, background)
    return see_other(_page(tip.id), "asked")


@router.post("/signalements/{tip_id}/note")
async def add_note(
    tip: OfficerTip, session: DbSession, keys: Keys, officer: Officer, now: Now, text: Text
) -> Response:
    await notes.add_note(session=session, keyring=keys, tip=tip, author=officer, body=text, now=now)
    return see_other(_page(tip.id), "noted")


@router.post("/signalements/{tip_id}/cotation")
async def grade(
    tip: OfficerTip,
    session: DbSession,
    officer: Officer,
    now: Now,
    source_reliability: Choice,
    information_credibility: Annotated[int, Form()],
) -> Response:
    await grading.grade_tip(
        session=session,
        tip=tip,
        officer=officer,
        source_reliability=source_reliability,
        information_credibility=information_credibility,
        now=now,
    )
    return see_other(_page(tip.id), "graded")
