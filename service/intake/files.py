"""What the media and recording jobs share: storing a file sealed, refusing it, erasing it.

Downloads happen outside any transaction; each outcome is then written in a short one that
re-reads the row, so a second run of the job (at-least-once) changes nothing already done.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from arq.worker import Retry
from sqlalchemy import select, update
from sqlmodel import col

from channels.i18n import translate
from channels.media import size_label
from crypto import Purpose, seal
from service.core.db import transaction
from service.core.job_names import JobName
from service.core.twilio import TwilioError
from service.models import (
    Attachment,
    AttachmentSource,
    AttachmentStatus,
    Message,
    OutboxEntry,
    Tip,
)
from service.models.channels import attachment_context
from service.models.types import utcnow
from service.reporters.jobs import retry_delay
from service.reporters.replies import queue_reply
from service.runtime import Runtime

# Refusals that reach the reporter by SMS/WhatsApp, and their message in the catalogue.
_REFUSAL_NOTICES = {
    "too_large": "media.refused_size",
    "type": "media.refused_type",
    "unreadable": "media.refused_unreadable",
}


async def attachments_at_twilio(
    runtime: Runtime, message_id: uuid.UUID, source: AttachmentSource
) -> Sequence[Attachment]:
    async with runtime.sessions() as session:
        found = await session.scalars(
            select(Attachment)
            .where(col(Attachment.message_id) == message_id, col(Attachment.source) == source)
            .where(col(Attachment.provider_erased_at).is_(None))
            .order_by(col(Attachment.created_at))
        )
        return found.all()


def retry_or_give_up(
    runtime: Runtime, ctx: dict[str, Any], error: TwilioError, *, max_tries: int
) -> None:
    """Raise arq's Retry for a temporary failure while tries remain; return to give up."""
    if worth_retrying(ctx, error, max_tries=max_tries):
        raise Retry(defer=retry_delay(runtime, int(ctx.get("job_try", 1)))) from None


def worth_retrying(ctx: dict[str, Any], error: TwilioError, *, max_tries: int) -> bool:
    """A temporary failure while the job has tries left."""
    return error.temporary and int(ctx.get("job_try", 1)) < max_tries


async def store(
    runtime: Runtime, attachment_id: uuid.UUID, content: bytes, content_type: str
) -> None:
    async with transaction(runtime.sessions) as session:
        attachment = await _pending(session, attachment_id)
        if attachment is None:
            return
        attachment.content_ciphertext = seal(
            runtime.keyring, Purpose.CONTENT, content, context=attachment_context(attachment.id)
        )
        attachment.size_bytes = len(content)
        attachment.content_type = content_type[:100]
        attachment.status = AttachmentStatus.STORED
        attachment.stored_at = utcnow()


async def refuse(
    runtime: Runtime, attachment_id: uuid.UUID, *, status: AttachmentStatus, reason: str
) -> None:
    """Mark a file refused or failed; a refusal the reporter can act on is told to them."""
    notice_key = None
    async with transaction(runtime.sessions) as session:
        attachment = await _pending(session, attachment_id)
        if attachment is None:
            return
        attachment.status = status
        attachment.refusal = reason
        tip = await session.get(Tip, attachment.tip_id)
        if status == AttachmentStatus.REFUSED and reason in _REFUSAL_NOTICES and tip:
            limit = size_label(runtime.settings.media_max_bytes)
            body = translate(_REFUSAL_NOTICES[reason], limit=limit)
            notice = queue_reply(session=session, keyring=runtime.keyring, tip=tip, body=body)
            notice_key = f"{JobName.SEND_REPLY}:{notice.id}"
    if notice_key is not None:
        await _dispatch(runtime, notice_key)


async def current(runtime: Runtime, attachment_id: uuid.UUID) -> Attachment | None:
    """The row as a job's last write left it."""
    async with runtime.sessions() as session:
        return await session.get(Attachment, attachment_id)


async def mark_erased(runtime: Runtime, attachment_id: uuid.UUID) -> None:
    async with transaction(runtime.sessions) as session:
        attachment = await session.get(Attachment, attachment_id, with_for_update=True)
        if attachment is not None and attachment.provider_erased_at is None:
            attachment.provider_erased_at = utcnow()
            attachment.provider_id_sealed = None  # Twilio's copy is gone: so goes its id


async def forget_provider_id(runtime: Runtime, message_id: uuid.UUID) -> None:
    """The message or call is deleted at Twilio: its id leads nowhere now, keep only the hash."""
    async with transaction(runtime.sessions) as session:
        await session.execute(
            update(Message).where(col(Message.id) == message_id).values(provider_id_sealed=None)
        )


async def _pending(session: Any, attachment_id: uuid.UUID) -> Attachment | None:
    attachment: Attachment | None = await session.get(
        Attachment, attachment_id, with_for_update=True
    )
    if attachment is None or attachment.status != AttachmentStatus.PENDING:
        return None
    return attachment


async def _dispatch(runtime: Runtime, job_key: str) -> None:
    """Queue the committed notice now rather than at the relay's next pass."""
    async with runtime.sessions() as session:
        statement = select(OutboxEntry).where(col(OutboxEntry.job_key) == job_key)
        found = await session.scalars(statement)
        entry = found.first()
    if entry is not None:
        await runtime.dispatcher.dispatch([entry])
