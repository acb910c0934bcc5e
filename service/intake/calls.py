"""Green-number calls: those that left no message, and the end-of-call notice about texts.

Calls that left no message: hung up in the menu or before the beep, silence.

Nothing is filed, but Twilio's log still holds the call, and the call holds the caller's number.
The call is deleted through a job (``erase_call``), as a call whose recording was kept is. The
job's argument is the CallSid sealed with an identity key bound to its keyed hash: the outbox
and the queue never hold it in clear.
"""

from __future__ import annotations

import base64

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from crypto import Keyring, provider_id_hash, provider_id_hashes
from service.background.outbox import add_job
from service.core.job_names import JobName
from service.core.provider_ids import open_provider_id, seal_provider_id
from service.models import Message, OutboxEntry
from service.models.types import utcnow


def _context(hashed: str) -> str:
    return f"provider:call:{hashed}"


async def queue_erase_call(
    *, session: AsyncSession, keyring: Keyring, call_sid: str
) -> OutboxEntry | None:
    """The job deleting the call at Twilio; None when a message of the call was filed (its
    recording job deletes the call) or the job is already written."""
    filed = await call_was_filed(session=session, keyring=keyring, call_sid=call_sid)
    hashed = provider_id_hash(keyring, call_sid)
    job_key = f"{JobName.ERASE_CALL}:{hashed}"
    queued = await session.scalar(
        select(col(OutboxEntry.id)).where(col(OutboxEntry.job_key) == job_key)
    )
    if filed or queued is not None:
        return None
    sealed = seal_provider_id(keyring, call_sid, context=_context(hashed))
    args = [hashed, base64.b64encode(sealed).decode()]
    return add_job(session=session, job_name=JobName.ERASE_CALL, args=args, job_key=job_key)


def open_call_sid(keyring: Keyring, hashed: str, sealed: str) -> str:
    call_sid = open_provider_id(keyring, base64.b64decode(sealed), context=_context(hashed))
    assert call_sid is not None
    return call_sid


async def call_was_filed(*, session: AsyncSession, keyring: Keyring, call_sid: str) -> bool:
    found = await session.scalar(
        select(col(Message.id)).where(
            col(Message.provider_id_hash).in_(list(provider_id_hashes(keyring, call_sid)))
        )
    )
    return found is not None


async def note_texts_notice(*, session: AsyncSession, keyring: Keyring, call_sid: str) -> None:
    """The call's caller heard that the office may text them and how to refuse (STOP)."""
    await session.execute(
        update(Message)
        .where(col(Message.provider_id_hash).in_(list(provider_id_hashes(keyring, call_sid))))
        .where(col(Message.texts_notice_at).is_(None))
        .values(texts_notice_at=utcnow())
    )
