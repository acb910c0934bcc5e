"""Files that come with a message: stored with it in intake's transaction, fetched by a job.

Twilio-held files (MMS/WhatsApp media, call recordings) get a pending row and one download job
per message; a web upload arrives already cleaned and is sealed at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from channels.ports import IncomingAttachment
from crypto import Keyring, Purpose, seal
from service.background.outbox import add_job
from service.core.job_names import JobName
from service.models import Attachment, AttachmentSource, AttachmentStatus, Message, OutboxEntry
from service.models.types import utcnow

# The job that downloads a message's files from Twilio, by source.
_FETCH_JOBS = {
    AttachmentSource.TWILIO_MEDIA: JobName.FETCH_MEDIA,
    AttachmentSource.TWILIO_RECORDING: JobName.FETCH_RECORDING,
}


def attachment_context(attachment_id: uuid.UUID) -> str:
    return f"attachment:{attachment_id}"


def add_attachments(
    *,
    session: AsyncSession,
    keyring: Keyring,
    tip_id: uuid.UUID,
    message_id: uuid.UUID,
    attachments: Sequence[IncomingAttachment],
) -> list[OutboxEntry]:
    """Rows for the files of a new message, and the jobs that fetch those still at Twilio."""
    rows = [_row(keyring, tip_id, message_id, incoming) for incoming in attachments]
    session.add_all(rows)
    return _fetch_jobs(session=session, message_id=message_id, rows=rows)


async def add_missing_attachments(
    *,
    session: AsyncSession,
    keyring: Keyring,
    provider_id: str,
    attachments: Sequence[IncomingAttachment],
) -> list[OutboxEntry]:
    """On a provider retry, the files not stored yet (a recording callback after the call's)."""
    message = (
        await session.scalars(select(Message).where(col(Message.provider_id) == provider_id))
    ).first()
    if message is None:
        return []
    sids = [incoming.provider_sid for incoming in attachments if incoming.provider_sid]
    known = set(
        (
            await session.scalars(
                select(col(Attachment.provider_sid)).where(col(Attachment.provider_sid).in_(sids))
            )
        ).all()
    )
    missing = [item for item in attachments if item.provider_sid and item.provider_sid not in known]
    return add_attachments(
        session=session,
        keyring=keyring,
        tip_id=message.tip_id,
        message_id=message.id,
        attachments=missing,
    )


def _row(
    keyring: Keyring, tip_id: uuid.UUID, message_id: uuid.UUID, incoming: IncomingAttachment
) -> Attachment:
    row = Attachment(
        id=uuid.uuid4(),
        tip_id=tip_id,
        message_id=message_id,
        source=AttachmentSource(incoming.source),
        provider_sid=incoming.provider_sid,
        content_type=incoming.content_type[:100],
    )
    if incoming.refusal is not None:
        row.status = AttachmentStatus.REFUSED
        row.refusal = incoming.refusal
    elif incoming.content is not None:
        row.content_ciphertext = seal(
            keyring, Purpose.CONTENT, incoming.content, context=attachment_context(row.id)
        )
        row.size_bytes = len(incoming.content)
        row.status = AttachmentStatus.STORED
        row.stored_at = utcnow()
    return row


def _fetch_jobs(
    *, session: AsyncSession, message_id: uuid.UUID, rows: Sequence[Attachment]
) -> list[OutboxEntry]:
    """One job per message and source; refused media is still erased at Twilio by it."""
    jobs = []
    for source in sorted({row.source for row in rows if row.provider_sid}):
        first = next(row for row in rows if row.source == source and row.provider_sid)
        jobs.append(
            add_job(
                session=session,
                job_name=_FETCH_JOBS[source],
                args=[str(message_id)],
                # Keyed by the first new file, so a later callback adding more files queues again.
                job_key=f"{_FETCH_JOBS[source]}:{message_id}:{first.id}",
            )
        )
    return jobs
