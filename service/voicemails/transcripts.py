"""An operator's transcript of a green-number voicemail, which triage then reads.

Twilio's built-in transcription is not relied on (it handles neither Bambara nor Malian French
well): an operator listens in the console and types what was said. The transcript is one more
inbound message on the tip, so triage re-runs on it; saving again replaces it (a new message id,
so the triage input changes and the decision is made again).
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from channels.errors import MalformedRequest, NotFound
from crypto import Keyring, Purpose, seal_text
from service.background.outbox import add_job
from service.core.job_names import JobName
from service.models import Attachment, AttachmentSource, Direction, Message
from service.models.types import utcnow

MAX_TRANSCRIPT_CHARS = 8000


async def save_transcript(
    *, session: AsyncSession, keyring: Keyring, recording_message_id: uuid.UUID, text: str
) -> None:
    """Store (or replace) the transcript of a call's recording and queue triage again.

    The triage job is written to the outbox in the caller's transaction; the relay queues it
    after the commit (or the caller hands it to ``runtime.dispatcher.dispatch``).
    """
    text = text.strip()
    if not text or len(text) > MAX_TRANSCRIPT_CHARS:
        raise MalformedRequest(
            f"Texte vide ou trop long ({MAX_TRANSCRIPT_CHARS} caractères au plus)."
        )
    call = await _recorded_call(session=session, message_id=recording_message_id)
    previous = (
        await session.scalars(select(Message).where(col(Message.transcript_of) == call.id))
    ).first()
    if previous is not None:
        await session.delete(previous)
        await session.flush()  # one transcript per call (unique): the old one goes first
    transcript_id = uuid.uuid4()
    transcript = Message(
        id=transcript_id,
        tip_id=call.tip_id,
        direction=Direction.INBOUND,
        transcript_of=call.id,
        body_ciphertext=seal_text(
            keyring, Purpose.CONTENT, text, context=f"message:{transcript_id}"
        ),
        created_at=utcnow(),
    )
    session.add(transcript)
    add_job(
        session=session,
        job_name=JobName.TRIAGE_TIP,
        args=[str(call.tip_id)],
        job_key=f"{JobName.TRIAGE_TIP}:{call.tip_id}:{transcript_id}",
    )
    await session.flush()


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
