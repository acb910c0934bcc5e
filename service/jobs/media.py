"""``fetch_media``: photos and voice notes sent by MMS or WhatsApp, brought home and erased.

Each file is downloaded with the account credentials (never past the size limit), a photo is
re-encoded without its metadata (GPS, phone model…), and the result is sealed like message text.
Then the file, and finally the whole message (sender's number, text), are deleted at Twilio.
A refused file (type, size, unreadable) is deleted too, and the reporter is told why.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import structlog

from channels.media import (
    REFUSED_SIZE,
    REFUSED_TYPE,
    REFUSED_UNREADABLE,
    MediaKind,
    UnreadableImage,
    clean_image,
    kind_of,
    media_type,
)
from service.jobs import twilio_files
from service.models import Attachment, AttachmentSource, AttachmentStatus, Message
from service.runtime import Runtime, runtime_of
from service.twilio_client import DownloadTooLarge, TwilioClient, TwilioError

log = structlog.get_logger(__name__)

FETCH_MEDIA_MAX_TRIES = 6


async def fetch_media(ctx: dict[str, Any], message_id: str) -> str:
    runtime = runtime_of(ctx)
    if runtime.twilio is None:
        return "twilio_not_configured"
    async with runtime.sessions() as session:
        message = await session.get(Message, uuid.UUID(message_id))
    if message is None or message.provider_id is None:
        return "skipped"
    files = await twilio_files.attachments_at_twilio(
        runtime, message.id, AttachmentSource.TWILIO_MEDIA
    )
    for attachment in files:
        await _collect(runtime, ctx, runtime.twilio, message.provider_id, attachment)
    try:
        await runtime.twilio.delete_message(message.provider_id)
    except TwilioError as error:
        twilio_files.retry_or_give_up(runtime, ctx, error, max_tries=FETCH_MEDIA_MAX_TRIES)
        log.warning("message_kept_at_twilio", status=error.status, code=error.code)
    log.info("media_fetched", files=len(files))
    return "done"


async def _collect(
    runtime: Runtime,
    ctx: dict[str, Any],
    twilio: TwilioClient,
    message_sid: str,
    attachment: Attachment,
) -> None:
    assert attachment.provider_sid is not None
    if attachment.status == AttachmentStatus.PENDING:
        await _download(runtime, ctx, twilio, message_sid, attachment)
    try:
        await twilio.delete_media(message_sid, attachment.provider_sid)
    except TwilioError as error:
        twilio_files.retry_or_give_up(runtime, ctx, error, max_tries=FETCH_MEDIA_MAX_TRIES)
        log.warning("media_kept_at_twilio", status=error.status, code=error.code)
        return
    await twilio_files.mark_erased(runtime, attachment.id)


async def _download(
    runtime: Runtime,
    ctx: dict[str, Any],
    twilio: TwilioClient,
    message_sid: str,
    attachment: Attachment,
) -> None:
    assert attachment.provider_sid is not None
    try:
        download = await twilio.download_media(
            message_sid, attachment.provider_sid, max_bytes=runtime.settings.media_max_bytes
        )
    except DownloadTooLarge:
        await _refuse(runtime, attachment, REFUSED_SIZE)
        return
    except TwilioError as error:
        twilio_files.retry_or_give_up(runtime, ctx, error, max_tries=FETCH_MEDIA_MAX_TRIES)
        log.warning("media_download_failed", status=error.status, code=error.code)
        await twilio_files.refuse(
            runtime, attachment.id, status=AttachmentStatus.FAILED, reason="download"
        )
        return
    content_type = media_type(download.content_type or attachment.content_type)
    kind = kind_of(content_type)
    if kind is None:
        await _refuse(runtime, attachment, REFUSED_TYPE)
        return
    content = download.content
    if kind is MediaKind.IMAGE:
        try:
            content = await asyncio.to_thread(clean_image, content, content_type)
        except UnreadableImage:
            await _refuse(runtime, attachment, REFUSED_UNREADABLE)
            return
    await twilio_files.store(runtime, attachment.id, content, content_type)


async def _refuse(runtime: Runtime, attachment: Attachment, reason: str) -> None:
    log.info("media_refused", reason=reason)
    await twilio_files.refuse(
        runtime, attachment.id, status=AttachmentStatus.REFUSED, reason=reason
    )
