"""``erase_messages``: the plain texts one stored batch holds, deleted at Twilio together.

An SMS or WhatsApp text without media stays in Twilio's log, with the sender's number, until it
is deleted there. Intake queues one job per stored batch (``service.intake.batch.erase_job``),
not one per text: in a campaign the queue's cost per job was most of a worker's time. The
deletions run a few at a time; each text's sealed id is set to NULL once Twilio deleted it, so a
retry (Twilio down or throttling) deletes only what is still held, and a text whose delete was
given up is left to the periodic purge (``service.retention.twilio_purge``).

The job marks its outbox entry complete itself, in the transaction that forgets the ids of the
texts deleted (as the triage job does in its batch's): a transaction less per stored batch. A run
that asks to be retried leaves the entry incomplete, for the relay.
"""

from __future__ import annotations

import asyncio
import functools
import uuid
from typing import Any

import structlog
from sqlalchemy import Executable, select, update
from sqlmodel import col

from service.background.outbox import complete_job, mark_completed
from service.core.db import among_named, read_alone, run_built, transaction
from service.core.provider_ids import message_context, open_provider_id
from service.core.twilio import TwilioClient, TwilioError
from service.intake.files import retry_or_give_up, worth_retrying
from service.models import Message
from service.runtime import Runtime, runtime_of

log = structlog.get_logger(__name__)

ERASE_MESSAGES_MAX_TRIES = 6
# Deletes in flight at once for one job: enough to hide Twilio's latency, few enough not to be
# throttled (Twilio answers 429 past its account's concurrency).
_CONCURRENCY = 8


async def erase_messages(ctx: dict[str, Any], *message_ids: str) -> str:
    runtime = runtime_of(ctx)
    job_key: str | None = ctx.get("job_id")
    if runtime.twilio is None:
        await complete_job(runtime.sessions, job_key)
        return "twilio_not_configured"
    held = await _still_held(runtime, [uuid.UUID(message_id) for message_id in message_ids])
    if not held:
        await complete_job(runtime.sessions, job_key)
        return "skipped"  # a second run of the job
    limit = asyncio.Semaphore(_CONCURRENCY)
    failures = await asyncio.gather(*(_delete(runtime.twilio, sid, limit) for sid in held.values()))
    erased = [message_id for message_id, error in zip(held, failures, strict=True) if not error]
    errors = [error for error in failures if error is not None]
    # One temporary failure is reason enough to come back for what is left.
    failed = next((error for error in errors if error.temporary), errors[0] if errors else None)
    retrying = failed is not None and worth_retrying(
        ctx, failed, max_tries=ERASE_MESSAGES_MAX_TRIES
    )
    await _forget_provider_ids(runtime, erased, completing=None if retrying else job_key)
    log.info("messages_erased", erased=len(erased), kept=len(errors))
    if failed is not None:
        log.warning("messages_kept_at_twilio", count=len(errors), status=failed.status)
        retry_or_give_up(runtime, ctx, failed, max_tries=ERASE_MESSAGES_MAX_TRIES)
    return f"{len(erased)} erased"


async def _still_held(runtime: Runtime, message_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Each message whose id Twilio still holds, with that id (opened here, in memory only)."""
    rows = await read_alone(runtime.engine, _held_statement, {"message_ids": message_ids})
    held = {}
    for message_id, sealed in rows:
        sid = open_provider_id(runtime.keyring, sealed, context=message_context(message_id))
        if sid is not None:
            held[message_id] = sid
    return held


@functools.cache
def _held_statement(postgresql: bool) -> Executable:
    return select(col(Message.id), col(Message.provider_id_sealed)).where(
        among_named("message_ids", col(Message.id), postgresql),
        col(Message.provider_id_sealed).is_not(None),
    )


async def _delete(twilio: TwilioClient, sid: str, limit: asyncio.Semaphore) -> TwilioError | None:
    async with limit:
        try:
            await twilio.delete_message(sid)
        except TwilioError as error:
            return error
    return None


async def _forget_provider_ids(
    runtime: Runtime, message_ids: list[uuid.UUID], *, completing: str | None
) -> None:
    """Deleted at Twilio: the ids lead nowhere now, keep only their hashes. With ``completing``,
    the job's outbox entry is marked complete in the same transaction."""
    if not message_ids and not completing:
        return
    async with transaction(runtime.sessions) as session:
        if message_ids:
            await run_built(session, _forget_statement, {"message_ids": message_ids})
        if completing:
            await mark_completed(session=session, job_key=completing)


@functools.cache
def _forget_statement(postgresql: bool) -> Executable:
    return (
        update(Message)
        .where(among_named("message_ids", col(Message.id), postgresql))
        .values(provider_id_sealed=None)
    )
