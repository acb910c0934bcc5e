"""``send_reply``: an officer's message to its reporter. The only code that decrypts a number.

The number is decrypted in memory, handed to Twilio, and dropped. Never sent: to a reporter who
opted out or whose identity was destroyed, or to a web reporter (their mailbox shows it).
Temporary Twilio failures are retried with a doubling delay; permanent ones mark the reply failed.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import structlog
from arq.worker import Retry
from sqlalchemy import select, update
from sqlmodel import col

from crypto import Purpose, open_text, provider_id_hash
from service.core.db import forget_on_disk, transaction
from service.core.provider_ids import message_context, open_provider_id, seal_provider_id
from service.core.twilio import TwilioError
from service.models import Channel, Direction, Message, Reporter, Tip
from service.reporters.identity import destroy_identity
from service.runtime import Runtime, runtime_of

log = structlog.get_logger(__name__)

SEND_REPLY_MAX_TRIES = 8
ERASE_REPLY_MAX_TRIES = 5
STATUS_CALLBACK_PATH = "/channels/sms/twilio/status"
_MAX_RETRY_DELAY = timedelta(hours=1)
# "Attempt to send to unsubscribed recipient": Twilio knows the number sent STOP.
_OPTED_OUT = 21610


def retry_delay(runtime: Runtime, job_try: int) -> timedelta:
    delay = timedelta(seconds=runtime.settings.twilio_retry_seconds * 2 ** (job_try - 1))
    return min(delay, _MAX_RETRY_DELAY)


async def send_reply(ctx: dict[str, Any], message_id: str) -> str:
    runtime = runtime_of(ctx)
    async with runtime.twilio_send_slots, transaction(runtime.sessions) as session:
        # Locked: two runs of the job (at-least-once) cannot both send.
        reply = (
            await session.scalars(
                select(Message)
                .where(
                    col(Message.id) == uuid.UUID(message_id),
                    col(Message.direction) == Direction.OUTBOUND,
                )
                .with_for_update()
            )
        ).first()
        if reply is None or reply.delivery_status != "queued":
            return "skipped"
        tip = await session.get(Tip, reply.tip_id)
        assert tip is not None
        reporter = await session.get(Reporter, tip.reporter_id) if tip.reporter_id else None
        outcome = await _deliver(runtime, ctx, reply=reply, tip=tip, reporter=reporter)
    if outcome == "opted_out":
        await forget_on_disk(runtime.sessions)
    log.info("reply_handled", outcome=outcome)
    return outcome


async def _deliver(
    runtime: Runtime, ctx: dict[str, Any], *, reply: Message, tip: Tip, reporter: Reporter | None
) -> str:
    if tip.channel == Channel.WEB:
        reply.delivery_status = "mailbox"
        return "mailbox"
    if reporter is None or reporter.opted_out_at or reporter.identity_ciphertext is None:
        reply.delivery_status = "not_sent"
        return "unreachable"
    if runtime.twilio is None:
        reply.delivery_status = "failed"
        return "twilio_not_configured"
    phone = open_text(
        runtime.keyring,
        Purpose.IDENTITY,
        reporter.identity_ciphertext,
        context=f"reporter:{reporter.id}",
    )
    body = open_text(
        runtime.keyring, Purpose.CONTENT, reply.body_ciphertext, context=f"message:{reply.id}"
    )
    try:
        sid = await runtime.twilio.send_sms(
            to=f"whatsapp:{phone}" if tip.channel == Channel.WHATSAPP else phone,
            body=body,
            status_callback=runtime.settings.public_base_url.rstrip("/") + STATUS_CALLBACK_PATH,
        )
    except TwilioError as error:
        return _failed(runtime, ctx, reply=reply, reporter=reporter, error=error)
    # The hash finds the reply when its status comes back; the id, sealed, deletes it at
    # Twilio once delivered (``erase_reply``), then goes.
    reply.provider_id_hash = provider_id_hash(runtime.keyring, sid)
    reply.provider_id_sealed = seal_provider_id(
        runtime.keyring, sid, context=message_context(reply.id)
    )
    reply.delivery_status = "sent"
    return "sent"


def _failed(
    runtime: Runtime, ctx: dict[str, Any], *, reply: Message, reporter: Reporter, error: TwilioError
) -> str:
    job_try = int(ctx.get("job_try", 1))
    if error.temporary and job_try < SEND_REPLY_MAX_TRIES:
        log.info("reply_retried", status=error.status, code=error.code, job_try=job_try)
        raise Retry(defer=retry_delay(runtime, job_try))
    reply.delivery_status = "failed"
    if error.code == _OPTED_OUT:
        destroy_identity(reporter, opted_out=True)
        return "opted_out"
    log.warning("reply_failed", status=error.status, code=error.code)
    return "failed"


async def erase_reply(ctx: dict[str, Any], message_id: str) -> str:
    """Delete a reply that reached its final status from Twilio's message log."""
    runtime = runtime_of(ctx)
    async with runtime.sessions() as session:
        reply = await session.get(Message, uuid.UUID(message_id))
    if reply is None or runtime.twilio is None:
        return "skipped"
    sid = open_provider_id(
        runtime.keyring, reply.provider_id_sealed, context=message_context(reply.id)
    )
    if sid is None:  # never sent, or already deleted
        return "skipped"
    try:
        await runtime.twilio.delete_message(sid)
    except TwilioError as error:
        job_try = int(ctx.get("job_try", 1))
        if error.temporary and job_try < ERASE_REPLY_MAX_TRIES:
            raise Retry(defer=retry_delay(runtime, job_try)) from None
        log.warning("reply_kept_at_twilio", status=error.status, code=error.code)
        return "kept"
    async with transaction(runtime.sessions) as session:
        await session.execute(
            update(Message).where(col(Message.id) == reply.id).values(provider_id_sealed=None)
        )
    return "erased"
