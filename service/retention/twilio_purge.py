"""``purge_twilio``: what Twilio still holds for the account's numbers, deleted.

Intake's jobs delete each message and call once stored (``erase_messages``, ``fetch_media``,
``fetch_recording``). This pass catches the rest: a webhook that never reached us (a STOP, a
message sent while every API host was down), a delete given up after its tries, a call hung up
before the beep. Twilio's log holds the number and the words for as long as nobody deletes them.

Only what is older than ``TIPLINE_TWILIO_PURGE_AFTER_MINUTES`` and finished goes, and never a
message or call whose files a fetch job still has to bring home. A failed delete is left for the
next pass (every few minutes: the pass is its own retry). Twilio's ids are stored only as keyed
hashes: the pass hashes each id Twilio lists to find its row, and a row whose message or call it
deleted forgets the sealed id too.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col

from crypto import Keyring, provider_id_hashes
from service.core.db import transaction
from service.core.twilio import HeldRecord, TwilioClient, TwilioError
from service.models import Attachment, AttachmentStatus, Message
from service.models.channels import retryable
from service.models.types import utcnow
from service.runtime import Runtime, runtime_of

log = structlog.get_logger(__name__)

# arq's schedule on the worker; embedded mode runs the same pass on a loop this often.
PURGE_SCHEDULE = {"minute": set(range(2, 60, 5)), "second": {30}}
EVERY_SECONDS = 300.0


async def purge_twilio(ctx: dict[str, Any]) -> str:
    runtime = runtime_of(ctx)
    if runtime.twilio is None:
        return "twilio_not_configured"
    # Twilio unreachable or busy raises: the worker's schedule logs it in one line
    # (``scheduled_job_skipped``) and the next pass is the retry.
    deleted, kept = await run_purge(runtime, runtime.twilio, now=utcnow())
    log.info("twilio_purged", deleted=deleted, kept=kept)
    return f"{deleted} deleted, {kept} kept"


async def purge_forever(ctx: dict[str, Any]) -> None:
    """Embedded mode's schedule (no arq cron without Redis)."""
    while True:
        await asyncio.sleep(EVERY_SECONDS)
        try:
            await purge_twilio(ctx)
        except (SQLAlchemyError, OSError, TwilioError) as error:  # the next pass tries again
            log.warning("twilio_purge_failed", error=type(error).__name__)


async def run_purge(runtime: Runtime, twilio: TwilioClient, *, now: datetime) -> tuple[int, int]:
    """(deleted, kept): messages and calls deleted, and those left for a later pass."""
    cutoff = now - timedelta(minutes=runtime.settings.twilio_purge_after_minutes)
    deleted = kept = 0
    for number in await _numbers(runtime, twilio):
        messages = _due(await twilio.messages_of(number), cutoff)
        messages += _due(await twilio.messages_of(f"whatsapp:{number}"), cutoff)
        calls = _due(await twilio.calls_of(number), cutoff)
        waiting = await _still_fetching(runtime, [record.sid for record in messages + calls])
        for record in messages + calls:
            if record.sid in waiting:
                kept += 1
            elif await _erase(runtime, twilio, record, call=record in calls):
                await _forget(runtime, record.sid)
                deleted += 1
            else:
                kept += 1
    return deleted, kept


async def _numbers(runtime: Runtime, twilio: TwilioClient) -> list[str]:
    """The account's numbers, and the configured senders (a number may be ported elsewhere)."""
    settings = runtime.settings
    configured = [settings.twilio_from or "", settings.twilio_whatsapp_from or ""]
    found = set(await twilio.account_numbers())
    found |= {sender.removeprefix("whatsapp:") for sender in configured if "+" in sender}
    return sorted(found)


def _due(records: list[HeldRecord], cutoff: datetime) -> list[HeldRecord]:
    return [
        record
        for record in records
        if record.finished and record.created_at is not None and record.created_at <= cutoff
    ]


async def _still_fetching(runtime: Runtime, sids: list[str]) -> set[str]:
    """Provider ids whose files are not downloaded yet: deleting them would lose the file."""
    if not sids:
        return set()
    sid_of = _hashed(runtime.keyring, sids)
    async with runtime.sessions() as session:
        found = await session.scalars(
            select(col(Message.provider_id_hash))
            .join(Attachment, col(Attachment.message_id) == col(Message.id))
            .where(col(Message.provider_id_hash).in_(list(sid_of)))
            .where(col(Attachment.status) == AttachmentStatus.PENDING)
        )
        return {sid_of[hashed] for hashed in found.all() if hashed is not None}


async def _recordings_not_kept(runtime: Runtime, sids: list[str]) -> set[str]:
    if not sids:
        return set()
    sid_of = _hashed(runtime.keyring, sids)
    async with runtime.sessions() as session:
        found = await session.execute(
            select(col(Attachment.provider_id_hash), col(Attachment.refusal))
            .where(col(Attachment.provider_id_hash).in_(list(sid_of)))
            .where(col(Attachment.status) == AttachmentStatus.FAILED)
        )
        return {
            sid_of[hashed]
            for hashed, refusal in found.all()
            if hashed is not None and retryable(refusal)
        }


async def _forget(runtime: Runtime, sid: str) -> None:
    """Twilio's copy is gone: the row keeps the hash, never again the id."""
    hashes = list(provider_id_hashes(runtime.keyring, sid))
    async with transaction(runtime.sessions) as session:
        await session.execute(
            update(Message)
            .where(col(Message.provider_id_hash).in_(hashes))
            .values(provider_id_sealed=None)
        )


def _hashed(keyring: Keyring, sids: list[str]) -> dict[str, str]:
    """Each id's hash under every provider-id key, mapped back to the id."""
    return {hashed: sid for sid in sids for hashed in provider_id_hashes(keyring, sid)}


async def _erase(runtime: Runtime, twilio: TwilioClient, record: HeldRecord, *, call: bool) -> bool:
    """The files first (a message's media, a call's recordings), then the record itself. A
    recording whose download failed in a way a retry can mend stays: it is the only copy."""
    try:
        if call:
            recordings = await twilio.recordings_of(record.sid)
            wanted = await _recordings_not_kept(runtime, recordings)
            for recording in recordings:
                if recording not in wanted:
                    await twilio.delete_recording(recording)
            await twilio.delete_call(record.sid)
        else:
            if record.has_files:
                for media in await twilio.media_of(record.sid):
                    await twilio.delete_media(record.sid, media)
            await twilio.delete_message(record.sid)
    except TwilioError as error:
        log.warning("twilio_purge_kept", status=error.status, code=error.code)
        return False
    return True
