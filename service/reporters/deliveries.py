"""Twilio's status callbacks for replies: delivered or failed, and opt-outs learnt on the way.

A status never goes backwards (callbacks can arrive out of order). Error 21610 means the number
replied STOP to Twilio itself: its identity is destroyed like after our own STOP. Once a reply
reached a final status, a job erases it at Twilio, whose log holds the reporter's number.
"""

from __future__ import annotations

import uuid

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from crypto import Keyring, provider_id_hashes
from service.background.outbox import OutboxDispatcher, add_job
from service.core.db import SessionMaker, forget_on_disk, transaction
from service.core.job_names import JobName
from service.models import Direction, Message, OutboxEntry, Reporter, Tip
from service.reporters.identity import destroy_identity

log = structlog.get_logger(__name__)

# Twilio's message statuses in the order they happen; equal ranks are alternative endings.
_RANK = {
    "accepted": 0,
    "scheduled": 0,
    "queued": 0,
    "sending": 1,
    "sent": 2,
    "delivered": 3,
    "undelivered": 3,
    "failed": 3,
    "read": 4,
}
FINAL_STATUSES = frozenset({"delivered", "undelivered", "failed", "read"})
# "Attempt to send to unsubscribed recipient": the number sent STOP to the Twilio number.
OPTED_OUT_ERROR = "21610"


class DeliveryService:
    def __init__(
        self, *, sessions: SessionMaker, keyring: Keyring, dispatcher: OutboxDispatcher
    ) -> None:
        self._sessions = sessions
        self._keyring = keyring
        self._dispatcher = dispatcher

    async def record_delivery(
        self, *, provider_id: str, status: str, error_code: str | None
    ) -> None:
        async with transaction(self._sessions) as session:
            jobs = await record_delivery(
                session=session,
                keyring=self._keyring,
                provider_id=provider_id,
                status=status,
                error_code=error_code,
            )
        if error_code == OPTED_OUT_ERROR:
            await forget_on_disk(self._sessions)
        await self._dispatcher.dispatch(jobs)


async def record_delivery(
    *,
    session: AsyncSession,
    keyring: Keyring,
    provider_id: str,
    status: str,
    error_code: str | None,
) -> list[OutboxEntry]:
    """The reply is found by the hash of its MessageSid, under every provider-id key."""
    reply = (
        await session.scalars(
            select(Message)
            .where(
                col(Message.provider_id_hash).in_(provider_id_hashes(keyring, provider_id)),
                col(Message.direction) == Direction.OUTBOUND,
            )
            .with_for_update()
        )
    ).first()
    if reply is None:
        log.info("delivery_status_unknown_message")
        return []
    if _RANK.get(status, -1) > _RANK.get(reply.delivery_status or "queued", 0):
        reply.delivery_status = status
    if error_code == OPTED_OUT_ERROR:
        await _opt_out(session=session, tip_id=reply.tip_id)
    log.info("delivery_status", status=status, error_code=error_code)
    if status in FINAL_STATUSES:
        return await _erase_later(session=session, reply=reply)
    return []


async def _opt_out(*, session: AsyncSession, tip_id: uuid.UUID) -> None:
    reporter = (
        await session.scalars(
            select(Reporter).join(Tip, Tip.reporter_id == Reporter.id).where(Tip.id == tip_id)  # type: ignore[arg-type]
        )
    ).first()
    if reporter is not None and reporter.opted_out_at is None:
        destroy_identity(reporter, opted_out=True)
        log.info("reporter_opted_out", via="delivery_status")


async def _erase_later(*, session: AsyncSession, reply: Message) -> list[OutboxEntry]:
    key = f"{JobName.ERASE_REPLY}:{reply.id}"
    if await session.scalar(select(col(OutboxEntry.id)).where(col(OutboxEntry.job_key) == key)):
        return []  # a second final status (delivered, then read): already planned
    return [
        add_job(session=session, job_name=JobName.ERASE_REPLY, args=[str(reply.id)], job_key=key)
    ]
