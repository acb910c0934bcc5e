"""The files a reporter sent, brought home from Twilio and erased there: ``fetch_media``,
``fetch_recording`` and ``erase_message`` run one skeleton.

``fetch_media``: photos and voice notes sent by MMS or WhatsApp. Each file is downloaded with the
account credentials (never past the size limit), a photo is re-encoded without its metadata (GPS,
phone model…), and the result is sealed like message text. A refused file (type, size,
unreadable) is deleted too, and the reporter is told why. Then the whole message (sender's
number, text) is deleted at Twilio.

``fetch_recording``: a green-number voicemail, downloaded once Twilio has finished processing
it (its own size limit, ``TIPLINE_HOTLINE_RECORDING_MAX_BYTES``), sealed like message text and
deleted at Twilio; then the call itself is deleted from Twilio's log (it holds the caller's
number). A call still in progress cannot be deleted yet: tried again. A recording is never
deleted at Twilio before it is kept: one too large or whose download failed stays there, marked
failed, for an operator's retry; Twilio's first 404s (its storage lags behind its callback) are
tried again before the recording counts as gone.

``erase_call``: a call that left no message (hung up in the menu or before the beep, silence),
deleted from Twilio's log like a call whose recording was kept.

``erase_message``: a plain SMS or WhatsApp message (no media), deleted at Twilio once stored:
Twilio's log holds the sender's number and the text for as long as nobody deletes them.

Twilio's ids are stored sealed (``service.core.provider_ids``) and opened here, in memory, only
to be handed to Twilio; each is set to NULL once what it names is deleted there.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import structlog
from arq.worker import Retry

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
from service.core.provider_ids import attachment_context as provider_context
from service.core.provider_ids import message_context, open_provider_id
from service.core.twilio import DownloadTooLarge, TwilioClient, TwilioError
from service.intake import files as twilio_files
from service.intake.calls import call_was_filed, open_call_sid
from service.models import Attachment, AttachmentSource, AttachmentStatus, Message
from service.models.channels import retryable
from service.reporters.jobs import retry_delay
from service.runtime import Runtime, runtime_of

log = structlog.get_logger(__name__)

FETCH_MEDIA_MAX_TRIES = 6
FETCH_RECORDING_MAX_TRIES = 8
ERASE_MESSAGE_MAX_TRIES = FETCH_MEDIA_MAX_TRIES
_PROCESSING = frozenset({"processing", "in-progress", "paused"})
# Tries during which Twilio's 404 for a recording is taken as "not yet" rather than "gone".
NOT_FOUND_TRIES = 3


@dataclass(frozen=True)
class _Context:
    """One run of a fetch job: the job's ctx, the process's runtime and Twilio client, and the
    provider id of the message or call the files came with."""

    ctx: dict[str, Any]
    runtime: Runtime
    twilio: TwilioClient
    parent_sid: str | None  # None once deleted at Twilio (a recording's retry needs no parent)

    @property
    def job_try(self) -> int:
        return int(self.ctx.get("job_try", 1))

    @property
    def parent(self) -> str:
        assert self.parent_sid is not None  # kinds that need their parent are skipped without
        return self.parent_sid

    def sid_of(self, attachment: Attachment) -> str:
        sid = open_provider_id(
            self.runtime.keyring,
            attachment.provider_id_sealed,
            context=provider_context(attachment.id),
        )
        assert sid is not None  # only files still at Twilio are collected
        return sid


@dataclass(frozen=True)
class _FileKind:
    """What differs between a message's media and a call's recording."""

    noun: str  # in log events: media_fetched, recording_kept_at_twilio…
    source: AttachmentSource
    max_tries: int
    download: Callable[[_Context, Attachment], Awaitable[None]]
    delete_file: Callable[[_Context, Attachment], Awaitable[None]]
    delete_parent: Callable[[_Context], Awaitable[bool]]  # True once deleted at Twilio
    # Whether Twilio's copy of a file may go: only once kept here, or when nothing is lost.
    may_erase: Callable[[Attachment], bool] = lambda _attachment: True
    needs_parent: bool = True  # media is downloaded through its message's id


async def fetch_media(ctx: dict[str, Any], message_id: str) -> str:
    return await _bring_home(ctx, message_id, _MEDIA)


async def fetch_recording(ctx: dict[str, Any], message_id: str) -> str:
    return await _bring_home(ctx, message_id, _RECORDING)


async def erase_message(ctx: dict[str, Any], message_id: str) -> str:
    return await _bring_home(ctx, message_id, _PLAIN)


async def _bring_home(ctx: dict[str, Any], message_id: str, kind: _FileKind) -> str:
    runtime = runtime_of(ctx)
    if runtime.twilio is None:
        return "twilio_not_configured"
    async with runtime.sessions() as session:
        message = await session.get(Message, uuid.UUID(message_id))
    if message is None:
        return "skipped"
    parent_sid = open_provider_id(
        runtime.keyring, message.provider_id_sealed, context=message_context(message.id)
    )
    if parent_sid is None and kind.needs_parent:  # already deleted at Twilio (a second run)
        return "skipped"
    run = _Context(ctx=ctx, runtime=runtime, twilio=runtime.twilio, parent_sid=parent_sid)
    files = await twilio_files.attachments_at_twilio(runtime, message.id, kind.source)
    for attachment in files:
        await _collect(run, kind, attachment)
    if parent_sid is not None and await kind.delete_parent(run):
        await twilio_files.forget_provider_id(runtime, message.id)
    log.info(f"{kind.noun}_fetched", files=len(files))
    return "done"


async def _collect(run: _Context, kind: _FileKind, attachment: Attachment) -> None:
    if attachment.status == AttachmentStatus.PENDING:
        await kind.download(run, attachment)
        attachment = await twilio_files.current(run.runtime, attachment.id) or attachment
    if not kind.may_erase(attachment):
        log.warning(f"{kind.noun}_kept_at_twilio_until_stored", reason=attachment.refusal)
        return
    try:
        await kind.delete_file(run, attachment)
    except TwilioError as error:
        twilio_files.retry_or_give_up(run.runtime, run.ctx, error, max_tries=kind.max_tries)
        log.warning(f"{kind.noun}_kept_at_twilio", status=error.status, code=error.code)
        return
    await twilio_files.mark_erased(run.runtime, attachment.id)


# ---------------------------------------------------------------- photos and voice notes


async def _download_media(run: _Context, attachment: Attachment) -> None:
    try:
        download = await run.twilio.download_media(
            run.parent, run.sid_of(attachment), max_bytes=run.runtime.settings.media_max_bytes
        )
    except DownloadTooLarge:
        await _refuse(run.runtime, attachment, REFUSED_SIZE)
        return
    except TwilioError as error:
        twilio_files.retry_or_give_up(run.runtime, run.ctx, error, max_tries=FETCH_MEDIA_MAX_TRIES)
        log.warning("media_download_failed", status=error.status, code=error.code)
        await twilio_files.refuse(
            run.runtime, attachment.id, status=AttachmentStatus.FAILED, reason="download"
        )
        return
    content_type = media_type(download.content_type or attachment.content_type)
    kind = kind_of(content_type)
    if kind is None:
        await _refuse(run.runtime, attachment, REFUSED_TYPE)
        return
    content = download.content
    if kind is MediaKind.IMAGE:
        try:
            content = await asyncio.to_thread(clean_image, content, content_type)
        except UnreadableImage:
            await _refuse(run.runtime, attachment, REFUSED_UNREADABLE)
            return
    await twilio_files.store(run.runtime, attachment.id, content, content_type)


async def _refuse(runtime: Runtime, attachment: Attachment, reason: str) -> None:
    log.info("media_refused", reason=reason)
    await twilio_files.refuse(
        runtime, attachment.id, status=AttachmentStatus.REFUSED, reason=reason
    )


async def _delete_media(run: _Context, attachment: Attachment) -> None:
    await run.twilio.delete_media(run.parent, run.sid_of(attachment))


async def _delete_message(run: _Context) -> bool:
    try:
        await run.twilio.delete_message(run.parent)
    except TwilioError as error:
        twilio_files.retry_or_give_up(run.runtime, run.ctx, error, max_tries=FETCH_MEDIA_MAX_TRIES)
        log.warning("message_kept_at_twilio", status=error.status, code=error.code)
        return False  # the periodic purge deletes it later
    return True


_MEDIA = _FileKind(
    noun="media",
    source=AttachmentSource.TWILIO_MEDIA,
    max_tries=FETCH_MEDIA_MAX_TRIES,
    download=_download_media,
    delete_file=_delete_media,
    delete_parent=_delete_message,
)


# ---------------------------------------------------------------- green-number voicemails


async def _download_recording(run: _Context, recording: Attachment) -> None:
    recording_sid = run.sid_of(recording)
    try:
        state = await run.twilio.recording_status(recording_sid)
        if state == "deleted":  # Twilio's 404: perhaps not there *yet*
            _retry_while_young(run)
        if state in _PROCESSING and run.job_try < FETCH_RECORDING_MAX_TRIES:
            raise Retry(defer=retry_delay(run.runtime, run.job_try))
        if state != "completed":
            await _fail(run.runtime, recording, state)
            return
        download = await run.twilio.download_recording(
            recording_sid, max_bytes=run.runtime.settings.hotline_recording_max_bytes
        )
    except DownloadTooLarge:
        await _fail(run.runtime, recording, "too_large")
        return
    except TwilioError as error:
        if error.status == 404:
            _retry_while_young(run)
        twilio_files.retry_or_give_up(
            run.runtime, run.ctx, error, max_tries=FETCH_RECORDING_MAX_TRIES
        )
        await _fail(run.runtime, recording, "download")
        return
    await twilio_files.store(run.runtime, recording.id, download.content, download.content_type)


def _retry_while_young(run: _Context) -> None:
    """Twilio answers 404 for a while after announcing a recording: try again, later."""
    if run.job_try < NOT_FOUND_TRIES:
        raise Retry(defer=retry_delay(run.runtime, run.job_try))


def _recording_may_go(recording: Attachment) -> bool:
    """Kept here, or nothing at Twilio worth keeping (gone, absent, failed there)."""
    if recording.status == AttachmentStatus.STORED:
        return True
    return recording.status == AttachmentStatus.FAILED and not retryable(recording.refusal)


async def _fail(runtime: Runtime, recording: Attachment, reason: str) -> None:
    log.warning("recording_not_kept", reason=reason)
    await twilio_files.refuse(runtime, recording.id, status=AttachmentStatus.FAILED, reason=reason)


async def _delete_recording(run: _Context, recording: Attachment) -> None:
    await run.twilio.delete_recording(run.sid_of(recording))


async def _delete_call(run: _Context) -> bool:
    try:
        await run.twilio.delete_call(run.parent)
    except TwilioError as error:
        # Any refusal may mean "still in progress": worth another try while tries remain.
        if run.job_try < FETCH_RECORDING_MAX_TRIES:
            raise Retry(defer=retry_delay(run.runtime, run.job_try)) from None
        log.warning("call_kept_at_twilio", status=error.status, code=error.code)
        return False
    return True


_RECORDING = _FileKind(
    noun="recording",
    source=AttachmentSource.TWILIO_RECORDING,
    max_tries=FETCH_RECORDING_MAX_TRIES,
    download=_download_recording,
    delete_file=_delete_recording,
    delete_parent=_delete_call,
    may_erase=_recording_may_go,
    needs_parent=False,
)


# ---------------------------------------------------------------- plain texts

# A plain message is a media message with no file: the skeleton finds none and deletes it.
_PLAIN = _FileKind(
    noun="message",
    source=AttachmentSource.TWILIO_MEDIA,
    max_tries=ERASE_MESSAGE_MAX_TRIES,
    download=_download_media,
    delete_file=_delete_media,
    delete_parent=_delete_message,
)


# ---------------------------------------------------------------- calls that left no message

ERASE_CALL_MAX_TRIES = 8
# What a recording of a call without a message can be: nothing worth keeping.
_NOTHING_RECORDED = frozenset({"absent", "deleted", "failed"})


async def erase_call(ctx: dict[str, Any], hashed: str, sealed_call: str) -> str:
    """Delete at Twilio a call that left no message, and its empty recordings. A recording with
    sound and no message yet is a message on its way to intake: tried again later, never
    deleted (past the tries, the periodic purge decides, as for any call)."""
    runtime = runtime_of(ctx)
    if runtime.twilio is None:
        return "twilio_not_configured"
    call_sid = open_call_sid(runtime.keyring, hashed, sealed_call)
    async with runtime.sessions() as session:
        if await call_was_filed(session=session, keyring=runtime.keyring, call_sid=call_sid):
            return "skipped"  # its recording job deletes it once the recording is kept
    job_try = int(ctx.get("job_try", 1))
    try:
        for recording in await runtime.twilio.recordings_of(call_sid):
            if await runtime.twilio.recording_status(recording) not in _NOTHING_RECORDED:
                return _later(runtime, job_try, reason="recording")
            await runtime.twilio.delete_recording(recording)
        await runtime.twilio.delete_call(call_sid)
    except TwilioError as error:  # "in progress" among others: worth another try
        log.info("call_not_deleted_yet", status=error.status, code=error.code)
        return _later(runtime, job_try, reason="refused")
    log.info("call_without_message_erased")
    return "done"


def _later(runtime: Runtime, job_try: int, *, reason: str) -> str:
    if job_try < ERASE_CALL_MAX_TRIES:
        raise Retry(defer=retry_delay(runtime, job_try))
    log.warning("call_kept_at_twilio", reason=reason)
    return "kept"
