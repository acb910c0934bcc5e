"""Green-number voicemails as the hotline operators see them: those waiting for a transcript,
one call's recordings and transcript so far, and a recording's audio, decrypted for one request.

A call is its message (the one the recordings hang on); its transcript is the message whose
``transcript_of`` is the call (see ``service.voicemails.transcripts``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from channels.errors import NotFound
from crypto import Keyring, Purpose, open_sealed, open_text
from service.intake.attachments import attachment_context
from service.models import Attachment, AttachmentSource, AttachmentStatus, Message, Tip

# More than a shift's worth: the page lists the oldest first, so nothing waits unseen for long.
WAITING_LIMIT = 200
RECENT_LIMIT = 20
# What a browser may be told a recording is; anything else is served as opaque bytes.
_AUDIO_PREFIX = "audio/"
_OPAQUE = "application/octet-stream"


@dataclass(frozen=True)
class WaitingVoicemail:
    call_id: uuid.UUID
    reference: str
    received_at: datetime
    status: AttachmentStatus
    size_bytes: int | None
    language: str | None


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

    @property
    def playable(self) -> bool:
        return any(row.status == AttachmentStatus.STORED for row in self.recordings)


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
        )
        .join(Attachment, col(Attachment.message_id) == col(Message.id))
        .join(Tip, col(Tip.id) == col(Message.tip_id))
        .where(_recordings(), _untranscribed())
        .order_by(col(Message.created_at), col(Message.id), col(Attachment.created_at))
        .limit(WAITING_LIMIT)
    )
    found: dict[uuid.UUID, WaitingVoicemail] = {}
    for call_id, reference, received_at, status, size, language in rows:
        found.setdefault(
            call_id,
            WaitingVoicemail(
                call_id, reference, received_at, AttachmentStatus(status), size, language
            ),
        )
    return list(found.values())


async def count_waiting(*, session: AsyncSession) -> int:
    calls = (
        select(col(Message.id))
        .join(Attachment, col(Attachment.message_id) == col(Message.id))
        .where(_recordings(), _untranscribed())
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


async def tip_of_call(*, session: AsyncSession, call: Message) -> Tip:
    tip = await session.get(Tip, call.tip_id)
    assert tip is not None  # a message's tip is a foreign key
    return tip


async def voicemail(*, session: AsyncSession, keyring: Keyring, call: Message) -> Voicemail:
    tip = await tip_of_call(session=session, call=call)
    recordings = (
        await session.scalars(
            select(Attachment)
            .where(col(Attachment.message_id) == call.id, _recordings())
            .order_by(col(Attachment.created_at))
        )
    ).all()
    return Voicemail(call, tip, recordings, await _transcript(session, keyring, call.id))


async def _transcript(session: AsyncSession, keyring: Keyring, call_id: uuid.UUID) -> str | None:
    message = (
        await session.scalars(select(Message).where(col(Message.transcript_of) == call_id))
    ).first()
    if message is None:
        return None
    return open_text(
        keyring, Purpose.CONTENT, message.body_ciphertext, context=f"message:{message.id}"
    )


async def voicemail_audio(
    *, session: AsyncSession, keyring: Keyring, call: Message
) -> tuple[bytes, str]:
    """The call's first downloaded recording, decrypted, and its content type; else NotFound."""
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
    if recording is None or recording.content_ciphertext is None:
        raise NotFound("Enregistrement pas encore téléchargé.")
    audio = open_sealed(
        keyring,
        Purpose.CONTENT,
        recording.content_ciphertext,
        context=attachment_context(recording.id),
    )
    content_type = recording.content_type
    return audio, content_type if content_type.startswith(_AUDIO_PREFIX) else _OPAQUE
