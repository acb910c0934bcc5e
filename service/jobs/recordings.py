"""``fetch_recording``: a green-number voicemail brought home, then erased at Twilio with its call.

The recording is downloaded with the account credentials once Twilio has finished processing it,
sealed like message text, and deleted at Twilio; then the call itself is deleted from Twilio's
log (it holds the caller's number). A call still in progress cannot be deleted yet: tried again.
"""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from arq.worker import Retry

from service.jobs import twilio_files
from service.jobs.outbound import retry_delay
from service.models import Attachment, AttachmentSource, AttachmentStatus, Message
from service.runtime import Runtime, runtime_of
from service.twilio_client import DownloadTooLarge, TwilioClient, TwilioError

log = structlog.get_logger(__name__)

FETCH_RECORDING_MAX_TRIES = 8
_PROCESSING = frozenset({"processing", "in-progress", "paused"})


async def fetch_recording(ctx: dict[str, Any], message_id: str) -> str:
    runtime = runtime_of(ctx)
    if runtime.twilio is None:
        return "twilio_not_configured"
    async with runtime.sessions() as session:
        message = await session.get(Message, uuid.UUID(message_id))
    if message is None or message.provider_id is None:
        return "skipped"
    recordings = await twilio_files.attachments_at_twilio(
        runtime, message.id, AttachmentSource.TWILIO_RECORDING
    )
    for recording in recordings:
        await _collect(runtime, ctx, runtime.twilio, recording)
    try:
        await runtime.twilio.delete_call(message.provider_id)
    except TwilioError as error:
        # Any refusal may mean "still in progress": worth another try while tries remain.
        if int(ctx.get("job_try", 1)) < FETCH_RECORDING_MAX_TRIES:
            raise Retry(defer=retry_delay(runtime, int(ctx.get("job_try", 1)))) from None
        log.warning("call_kept_at_twilio", status=error.status, code=error.code)
    log.info("recording_fetched", recordings=len(recordings))
    return "done"


async def _collect(
    runtime: Runtime, ctx: dict[str, Any], twilio: TwilioClient, recording: Attachment
) -> None:
    assert recording.provider_sid is not None
    if recording.status == AttachmentStatus.PENDING:
        await _download(runtime, ctx, twilio, recording)
    try:
        await twilio.delete_recording(recording.provider_sid)
    except TwilioError as error:
        twilio_files.retry_or_give_up(runtime, ctx, error, max_tries=FETCH_RECORDING_MAX_TRIES)
        log.warning("recording_kept_at_twilio", status=error.status, code=error.code)
        return
    await twilio_files.mark_erased(runtime, recording.id)


async def _download(
    runtime: Runtime, ctx: dict[str, Any], twilio: TwilioClient, recording: Attachment
) -> None:
    assert recording.provider_sid is not None
    try:
        state = await twilio.recording_status(recording.provider_sid)
        if state in _PROCESSING and int(ctx.get("job_try", 1)) < FETCH_RECORDING_MAX_TRIES:
            raise Retry(defer=retry_delay(runtime, int(ctx.get("job_try", 1))))
        if state != "completed":
            await _fail(runtime, recording, state)
            return
        download = await twilio.download_recording(
            recording.provider_sid, max_bytes=runtime.settings.media_max_bytes
        )
    except DownloadTooLarge:
        await _fail(runtime, recording, "too_large")
        return
    except TwilioError as error:
        twilio_files.retry_or_give_up(runtime, ctx, error, max_tries=FETCH_RECORDING_MAX_TRIES)
        await _fail(runtime, recording, "download")
        return
    await twilio_files.store(runtime, recording.id, download.content, download.content_type)


async def _fail(runtime: Runtime, recording: Attachment, reason: str) -> None:
    log.warning("recording_not_kept", reason=reason)
    await twilio_files.refuse(runtime, recording.id, status=AttachmentStatus.FAILED, reason=reason)
