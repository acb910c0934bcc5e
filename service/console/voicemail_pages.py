"""``/console/standard/enregistrements``: green-number voicemails waiting for an operator to
listen and type what was said. Saving the transcript re-runs triage; saving again replaces it.

The audio is decrypted for the one request that plays it and never cached (``service.access.
files``, the path of every file a reporter sent). Opening a voicemail, playing it and saving its
transcript are in the audit trail, without the words.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import BackgroundTasks, Depends, Form, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from crypto import Keyring
from service.access.deps import Keys, queue_after_commit
from service.access.files import file_response
from service.access.permissions import VOICEMAILS_PATH
from service.access.roles import HOTLINE_OPERATORS
from service.access.session import DbSession
from service.casework.access import tip_target
from service.console.call_entry_pages import HotlineOperator
from service.console.casework_pages import console_router, see_other
from service.console.navigation import NavItem, add_navigation
from service.console.templates import render
from service.core.audit import record_audit
from service.models import Message, StaffUser, Tip
from service.voicemails.service import (
    Voicemail,
    call_of_tip,
    recently_transcribed,
    recorded_call,
    retry_download,
    tip_of_call,
    voicemail,
    voicemail_audio,
    waiting_voicemails,
)
from service.voicemails.transcripts import (
    MAX_TRANSCRIPT_CHARS,
    AfterSave,
    TranscriptChanged,
    save_transcript,
)

router = console_router()
add_navigation(NavItem("console.nav.voicemails", VOICEMAILS_PATH, HOTLINE_OPERATORS, order=13))

TranscriptText = Annotated[str, Form(max_length=4 * MAX_TRANSCRIPT_CHARS)]
Version = Annotated[str | None, Form(max_length=64)]
_DONE = frozenset({*AfterSave, "retrying", "not_retryable"})


async def operator_call(
    message_id: uuid.UUID, session: DbSession, _operator: HotlineOperator
) -> Message:
    """The recorded call in the path, for an operator; 404 when there is none."""
    return await recorded_call(session=session, call_id=message_id)


OperatorCall = Annotated[Message, Depends(operator_call)]


@router.get("/standard/enregistrements")
async def voicemails_page(
    request: Request, session: DbSession, _operator: HotlineOperator
) -> Response:
    done = request.query_params.get("fait")
    rows = await waiting_voicemails(session=session)
    context = {
        "saved_call": _call_id(request.query_params.get("appel")),
        "rows": rows,
        "waiting": [row for row in rows if not row.failed],
        "failed": [row for row in rows if row.failed],
        "transcribed": await recently_transcribed(session=session),
        "done": done if done in _DONE else None,
    }
    return render(request, "console/voicemails.html", context)


@router.get("/standard/enregistrements/{message_id}")
async def voicemail_page(
    request: Request, call: OperatorCall, session: DbSession, keys: Keys, operator: HotlineOperator
) -> Response:
    view = await voicemail(session=session, keyring=keys, call=call, viewer=operator)
    await record_audit(
        session=session, actor=operator, action="tip.voicemail_opened", target=tip_target(view.tip)
    )
    return _page(request, view, draft=view.transcript or "")


@router.get("/standard/enregistrements/{message_id}/audio")
async def voicemail_audio_file(
    request: Request,
    call: OperatorCall,
    session: DbSession,
    keys: Keys,
    operator: HotlineOperator,
) -> Response:
    # Answers range requests: without them the player cannot seek back in a long message.
    audio = await voicemail_audio(session=session, keyring=keys, call=call)
    tip = await tip_of_call(session=session, call=call)
    return await file_response(request, viewer=operator, tip=tip, opened=audio)


async def voicemail_response(
    request: Request,
    *,
    session: AsyncSession,
    keyring: Keyring,
    viewer: StaffUser,
    tip: Tip,
    call_id: uuid.UUID,
) -> Response:
    """A tip's voicemail for a page that shows the tip (officers, chiefs): served like any file
    the reporter sent (range requests answered, never cached, audited)."""
    call = await call_of_tip(session=session, tip_id=tip.id, call_id=call_id)
    audio = await voicemail_audio(session=session, keyring=keyring, call=call)
    return await file_response(request, viewer=viewer, tip=tip, opened=audio)


@router.post("/standard/enregistrements/{message_id}/transcription")
async def transcribe(
    request: Request,
    background: BackgroundTasks,
    call: OperatorCall,
    session: DbSession,
    keys: Keys,
    operator: HotlineOperator,
    text: TranscriptText = "",
    version: Version = None,
) -> Response:
    error = _problem(text.strip())
    if error is not None:
        view = await voicemail(session=session, keyring=keys, call=call, viewer=operator)
        return _page(request, view, draft=text, error=error, status_code=422)
    try:
        saved = await save_transcript(
            session=session,
            keyring=keys,
            recording_message_id=call.id,
            text=text,
            operator=operator,
            version=version,
        )
    except TranscriptChanged:
        # Another operator saved first: their text is shown, this one's draft is kept.
        view = await voicemail(session=session, keyring=keys, call=call, viewer=operator)
        return _page(
            request, view, draft=text, error="console.voicemail.error.changed", status_code=409
        )
    await record_audit(
        session=session, actor=operator, action="tip.transcribed", target=tip_target(saved.tip)
    )
    queue_after_commit(request, session, background)  # triage runs again at once
    # Names the call, so the page can drop the text the browser kept in case of trouble.
    return see_other(VOICEMAILS_PATH, f"{saved.after}&appel={call.id}")


@router.post("/standard/enregistrements/{message_id}/reessai")
async def retry(
    request: Request,
    background: BackgroundTasks,
    call: OperatorCall,
    session: DbSession,
    operator: HotlineOperator,
) -> Response:
    """A failed download tried again (Twilio still holds the recording: it is never deleted
    there before it is kept)."""
    if not await retry_download(session=session, call=call):
        return see_other(VOICEMAILS_PATH, "not_retryable")
    tip = await tip_of_call(session=session, call=call)
    await record_audit(
        session=session, actor=operator, action="tip.voicemail_retried", target=tip_target(tip)
    )
    queue_after_commit(request, session, background)
    return see_other(VOICEMAILS_PATH, "retrying")


def _call_id(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def _problem(text: str) -> str | None:
    if not text:
        return "console.voicemail.error.empty"
    if len(text) > MAX_TRANSCRIPT_CHARS:
        return "console.voicemail.error.too_long"
    return None


def _page(
    request: Request,
    view: Voicemail,
    *,
    draft: str,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "view": view,
        "version": view.version,
        "draft": draft,
        "error": error,
        "max_chars": MAX_TRANSCRIPT_CHARS,
        "path": f"{VOICEMAILS_PATH}/{view.call.id}",
    }
    return render(request, "console/voicemail.html", context, status_code=status_code)
