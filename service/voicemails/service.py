"""Green-number voicemails as the hotline operators see them: those waiting for a transcript,
one call's recordings and transcript so far, and a recording's audio, decrypted for one request.

A call is its message (the one the recordings hang on); its transcript is the message whose
``transcript_of`` is the call (see ``service.voicemails.transcripts``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from channels.errors import NotFound
from crypto import Keyring, Purpose, open_text
from service.background.outbox import add_job
from service.casework.access import tip_target
from service.casework.attachments import OpenedFile, opened
from service.core.job_names import JobName
from service.models import (
    Attachment,
    AttachmentSource,
    AttachmentStatus,
    AuditEntry,
    Message,
    StaffUser,
    Tip,
)
from service.models.channels import retryable
from service.models.types import utcnow
from service.voicemails.transcripts import current_version, transcript_of

# More than a shift's worth: the page lists the oldest first, so nothing waits unseen for long.
WAITING_LIMIT = 200
RECENT_LIMIT = 20
# An operator who opened a voicemail this recently may be typing its transcript.
PRESENCE_WINDOW = timedelta(minutes=30)


@dataclass(frozen=True)
class WaitingVoicemail:
    call_id: uuid.UUID
    reference: str
    received_at: datetime
    status: AttachmentStatus
    size_bytes: int | None
    language: str | None
    refusal: str | None = None

    @property
    def failed(self) -> bool:
        return self.status == AttachmentStatus.FAILED

    @property
    def retryable(self) -> bool:
        """Failed, and Twilio still holds the recording: a retry may bring it home."""
        return self.failed and retryable(self.refusal)


@dataclass(frozen=True)
class TranscribedVoicemail:
    call_id: uuid.UUID
    reference: str
    transcribed_at: datetime


@dataclass(frozen=True)
class Voicemail:
    call: Message
    tip: Tip
    recordings: Sequence[Attachment]
    transcript: str | None  # the operator's text so far, decrypted for this view
    version: str  # which transcript this view shows: a save names it (``save_transcript``)
    others: Sequence[str] = ()  # other operators who opened it lately

    @property
    def playable(self) -> bool:
        return any(row.status == AttachmentStatus.STORED for row in self.recordings)

    @property
    def retryable(self) -> bool:
        return not self.playable and any(
            row.status == AttachmentStatus.FAILED and retryable(row.refusal)
            for row in self.recordings
        )


def _waiting() -> ColumnElement[bool]:
    """Still to be heard: downloaded, or on its way. A failed download is not waiting."""
    return col(Attachment.status).in_([AttachmentStatus.PENDING, AttachmentStatus.STORED])


def _untranscribed() -> ColumnElement[bool]:
    """No transcript message for the call."""
    transcript = aliased(Message)
    return ~exists().where(col(transcript.transcript_of) == col(Message.id))


def _recordings() -> ColumnElement[bool]:
    return col(Attachment.source) == AttachmentSource.TWILIO_RECORDING


async def waiting_voicemails(*, session: AsyncSession) -> list[WaitingVoicemail]:
    """Recorded calls without a transcript, oldest first (one row per call)."""
    rows = await session.execute(
        select(
            col(Message.id),
            col(Tip.reference),
            col(Message.created_at),
            col(Attachment.status),
            col(Attachment.size_bytes),
            col(Message.language),
            col(Attachment.refusal),
        )
        .join(Attachment, col(Attachment.message_id) == col(Message.id))
        .join(Tip, col(Tip.id) == col(Message.tip_id))
        .where(_recordings(), _untranscribed())
        .order_by(col(Message.created_at), col(Message.id), col(Attachment.created_at))
        .limit(WAITING_LIMIT)
    )
    found: dict[uuid.UUID, WaitingVoicemail] = {}
    for call_id, reference, received_at, status, size, language, refusal in rows:
        found.setdefault(
            call_id,
            WaitingVoicemail(
                call_id, reference, received_at, AttachmentStatus(status), size, language, refusal
            ),
        )
    return list(found.values())


async def count_waiting(*, session: AsyncSession) -> int:
    """Calls without a transcript whose recording is here or on its way (not failed ones)."""
    return await _count_calls(session, _waiting())


async def count_failed(*, session: AsyncSession) -> int:
    """Calls without a transcript whose recording could not be brought home."""
    return await _count_calls(session, col(Attachment.status) == AttachmentStatus.FAILED)


async def _count_calls(session: AsyncSession, condition: ColumnElement[bool]) -> int:
    calls = (
        select(col(Message.id))
        .join(Attachment, col(Attachment.message_id) == col(Message.id))
        .where(_recordings(), _untranscribed(), condition)
        .distinct()
        .subquery()
    )
    return int(await session.scalar(select(func.count()).select_from(calls)) or 0)


async def recently_transcribed(*, session: AsyncSession) -> list[TranscribedVoicemail]:
    """The latest transcripts, newest first, so an operator can reopen one to correct it."""
    rows = await session.execute(
        select(col(Message.transcript_of), col(Tip.reference), col(Message.created_at))
        .join(Tip, col(Tip.id) == col(Message.tip_id))
        .where(col(Message.transcript_of).is_not(None))
        .order_by(col(Message.created_at).desc())
        .limit(RECENT_LIMIT)
    )
    return [TranscribedVoicemail(call_id, ref, at) for call_id, ref, at in rows if call_id]


async def recorded_call(*, session: AsyncSession, call_id: uuid.UUID) -> Message:
    """The call's message; NotFound unless it carries a recording."""
    call = await session.get(Message, call_id)
    recording = await session.scalar(
        select(col(Attachment.id)).where(col(Attachment.message_id) == call_id, _recordings())
    )
    if call is None or recording is None:
        raise NotFound("Enregistrement introuvable.")
    return call


async def call_of_tip(*, session: AsyncSession, tip_id: uuid.UUID, call_id: uuid.UUID) -> Message:
    """A recorded call of this tip (a page that may show the tip may play it); else NotFound."""
    call = await recorded_call(session=session, call_id=call_id)
    if call.tip_id != tip_id:
        raise NotFound("Enregistrement introuvable.")
    return call


async def tip_of_call(*, session: AsyncSession, call: Message) -> Tip:
    tip = await session.get(Tip, call.tip_id)
    assert tip is not None  # a message's tip is a foreign key
    return tip


async def voicemail(
    *, session: AsyncSession, keyring: Keyring, call: Message, viewer: StaffUser | None = None
) -> Voicemail:
    tip = await tip_of_call(session=session, call=call)
    recordings = (
        await session.scalars(
            select(Attachment)
            .where(col(Attachment.message_id) == call.id, _recordings())
            .order_by(col(Attachment.created_at))
        )
    ).all()
    message = await transcript_of(session=session, call_id=call.id)
    text = None
    if message is not None:
        text = open_text(
            keyring, Purpose.CONTENT, message.body_ciphertext, context=f"message:{message.id}"
        )
    others = await _others_on(session, tip, viewer) if viewer is not None else ()
    return Voicemail(call, tip, recordings, text, current_version(message), others)


async def _others_on(session: AsyncSession, tip: Tip, viewer: StaffUser) -> list[str]:
    """Operators other than ``viewer`` who opened the voicemail lately (the audit trail says
    who opened what, and when): so that two of them do not transcribe it unawares."""
    since = utcnow() - PRESENCE_WINDOW
    found = await session.scalars(
        select(col(AuditEntry.actor_username))
        .where(
            col(AuditEntry.action) == "tip.voicemail_opened",
            col(AuditEntry.target) == tip_target(tip),
            col(AuditEntry.recorded_at) >= since,
            col(AuditEntry.actor_id) != viewer.id,
        )
        .distinct()
    )
    return sorted(name for name in found.all() if name)


async def retry_download(*, session: AsyncSession, call: Message) -> bool:
    """Send a failed recording's download job again, if Twilio still holds it; False if not.
    The job is written to the outbox in the caller's transaction."""
    failed = (
        await session.scalars(
            select(Attachment).where(
                col(Attachment.message_id) == call.id,
                _recordings(),
                col(Attachment.status) == AttachmentStatus.FAILED,
                col(Attachment.provider_erased_at).is_(None),
            )
        )
    ).all()
    again = [row for row in failed if retryable(row.refusal)]
    for row in again:
        row.status = AttachmentStatus.PENDING
        row.refusal = None
    if again:
        add_job(
            session=session,
            job_name=JobName.FETCH_RECORDING,
            args=[str(call.id)],
            job_key=f"{JobName.FETCH_RECORDING}:{call.id}:retry:{uuid.uuid4()}",
        )
    return bool(again)


async def voicemail_audio(*, session: AsyncSession, keyring: Keyring, call: Message) -> OpenedFile:
    """The call's first downloaded recording, decrypted like any file a reporter sent; else
    NotFound."""
    recording = (
        await session.scalars(
            select(Attachment)
            .where(col(Attachment.message_id) == call.id, _recordings())
            .where(col(Attachment.status) == AttachmentStatus.STORED)
            .where(col(Attachment.content_ciphertext).is_not(None))
            .order_by(col(Attachment.created_at))
            .limit(1)
        )
    ).first()
    if recording is None:
        raise NotFound("Enregistrement pas encore téléchargé.")
    return opened(keyring, recording)
