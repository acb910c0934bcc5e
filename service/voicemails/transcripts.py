"""An operator's transcript of a green-number voicemail, which triage then reads.

Twilio's built-in transcription is not relied on (it handles neither Bambara nor Malian French
well): an operator listens in the console and types what was said. The transcript is one more
inbound message on the tip, so triage re-runs on it; saving again replaces it (a new message id,
so the triage input changes and the decision is made again). Who typed it is kept (an operator
entry, shown on the tip page as staff, never as the source).

The transcript is the first moment there is something to decide: the tip's ``transcribed_at``,
from which an unrouted tip's deadline runs. A tip an officer closed as spam or out of scope
before anyone transcribed it is re-opened for triage; one merged into another, or whose case
was closed with it, stays closed and the operator is told why.

Two operators on the same voicemail: each save names the transcript it replaces (its message
id, the page's ``version``); a save over a transcript the operator never saw is refused
(``TranscriptChanged``), never a silent overwrite.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from channels.errors import MalformedRequest, NotFound
from channels.i18n import translate
from crypto import Keyring, Purpose, seal_text
from service.background.outbox import add_job
from service.casework.access import tip_target
from service.casework.errors import Conflict
from service.core.audit import record_audit
from service.core.job_names import JobName
from service.models import (
    Attachment,
    AttachmentSource,
    Case,
    ClosureReason,
    Direction,
    Message,
    OperatorEntry,
    StaffUser,
    Tip,
    TipClosure,
    TipStatus,
)
from service.models.types import utcnow

MAX_TRANSCRIPT_CHARS = 8000
# The page's version when the voicemail had no transcript yet.
NO_TRANSCRIPT = "aucune"
# Closures an unheard voicemail may have been given by mistake: its transcript re-opens them.
_REOPENED = frozenset({ClosureReason.SPAM, ClosureReason.OUT_OF_SCOPE})


class TranscriptChanged(Conflict):
    code = "transcript_changed"
    message = translate("console.voicemail.error.changed")


class AfterSave(StrEnum):
    """What became of the tip: triaged again, re-opened, or left closed (and why)."""

    TRIAGED = "transcribed"
    REOPENED = "transcribed_reopened"
    MERGED = "transcribed_merged"
    CLOSED_WITH_CASE = "transcribed_closed"


@dataclass(frozen=True)
class Saved:
    tip: Tip
    after: AfterSave


async def save_transcript(
    *,
    session: AsyncSession,
    keyring: Keyring,
    recording_message_id: uuid.UUID,
    text: str,
    operator: StaffUser | None = None,
    version: str | None = None,
) -> Saved:
    """Store (or replace) the transcript of a call's recording and queue triage again.

    ``version``: the transcript the operator's page showed (``current_version``); None skips
    the check (a caller that is not a page). The triage job is written to the outbox in the
    caller's transaction; the relay queues it after the commit (or the caller hands it to
    ``runtime.dispatcher.dispatch``).
    """
    text = text.strip()
    if not text or len(text) > MAX_TRANSCRIPT_CHARS:
        raise MalformedRequest(
            f"Texte vide ou trop long ({MAX_TRANSCRIPT_CHARS} caractères au plus)."
        )
    call = await _recorded_call(session=session, message_id=recording_message_id)
    tip = await session.get(Tip, call.tip_id, with_for_update=True)
    assert tip is not None  # a message's tip is a foreign key
    previous = await transcript_of(session=session, call_id=call.id)
    if version is not None and version != current_version(previous):
        raise TranscriptChanged()
    if previous is not None:
        await session.execute(
            delete(OperatorEntry).where(col(OperatorEntry.message_id) == previous.id)
        )
        await session.delete(previous)
        await session.flush()  # one transcript per call (unique): the old one goes first
    transcript_id = uuid.uuid4()
    now = utcnow()
    session.add(
        Message(
            id=transcript_id,
            tip_id=call.tip_id,
            direction=Direction.INBOUND,
            transcript_of=call.id,
            body_ciphertext=seal_text(
                keyring, Purpose.CONTENT, text, context=f"message:{transcript_id}"
            ),
            created_at=now,
        )
    )
    if operator is not None:
        await session.flush()  # the entry points to the message
        session.add(OperatorEntry(message_id=transcript_id, staff_user_id=operator.id))
    tip.transcribed_at = now
    after = await _reopen_if_closed(session=session, tip=tip, operator=operator)
    add_job(
        session=session,
        job_name=JobName.TRIAGE_TIP,
        args=[str(call.tip_id)],
        job_key=f"{JobName.TRIAGE_TIP}:{call.tip_id}:{transcript_id}",
    )
    await session.flush()
    return Saved(tip=tip, after=after)


def current_version(transcript: Message | None) -> str:
    return NO_TRANSCRIPT if transcript is None else str(transcript.id)


async def transcript_of(*, session: AsyncSession, call_id: uuid.UUID) -> Message | None:
    found = await session.scalars(select(Message).where(col(Message.transcript_of) == call_id))
    return found.first()


async def _reopen_if_closed(
    *, session: AsyncSession, tip: Tip, operator: StaffUser | None
) -> AfterSave:
    if tip.status != TipStatus.CLOSED:
        return AfterSave.TRIAGED
    closure = await session.get(TipClosure, tip.id)
    if closure is not None and closure.reason == ClosureReason.MERGED:
        return AfterSave.MERGED
    case = await session.scalar(select(col(Case.id)).where(col(Case.tip_id) == tip.id))
    if closure is None or closure.reason not in _REOPENED or case is not None:
        return AfterSave.CLOSED_WITH_CASE
    await session.delete(closure)
    tip.mark_reopened(TipStatus.RECEIVED)  # triage decides it again, and may route it
    await record_audit(
        session=session,
        actor=operator,
        action="tip.reopened",
        target=tip_target(tip),
        details={"reason": "transcript"},
    )
    return AfterSave.REOPENED


async def _recorded_call(*, session: AsyncSession, message_id: uuid.UUID) -> Message:
    """The call's message, which must carry a recording."""
    call = await session.get(Message, message_id)
    has_recording = await session.scalar(
        select(col(Attachment.id)).where(
            col(Attachment.message_id) == message_id,
            col(Attachment.source) == AttachmentSource.TWILIO_RECORDING,
        )
    )
    if call is None or has_recording is None:
        raise NotFound("Enregistrement introuvable.")
    return call
