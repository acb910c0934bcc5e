"""Transactional outbox: jobs are written with the data, and queued only after the commit."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import timedelta

import structlog
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from service.db import SessionMaker, transaction
from service.models import OutboxEntry
from service.models.types import utcnow
from service.queue import JobQueue, QueueUnavailable

log = structlog.get_logger(__name__)

# After a failed enqueue, requests stop trying Redis for this long and leave the work to the relay.
_BACKOFF_SECONDS = 5.0
_RELAY_BATCH = 500


def add_job(
    *, session: AsyncSession, job_name: str, args: Sequence[str], job_key: str
) -> OutboxEntry:
    entry = OutboxEntry(job_name=job_name, job_args=list(args), job_key=job_key)
    session.add(entry)
    return entry


class OutboxDispatcher:
    def __init__(self, *, sessions: SessionMaker, queue: JobQueue) -> None:
        self._sessions = sessions
        self._queue = queue
        self._skip_until = 0.0

    async def dispatch(self, entries: Sequence[OutboxEntry]) -> None:
        """Queue committed entries now if the queue is up; otherwise the relay will."""
        if time.monotonic() < self._skip_until:
            return
        sent = await self._enqueue(entries)
        await self._mark_dispatched(sent)

    async def relay(self, *, older_than: timedelta = timedelta(seconds=2)) -> int:
        """Queue entries still pending (after a crash or a queue outage). Returns how many."""
        async with self._sessions() as session:
            pending = (
                await session.scalars(
                    select(OutboxEntry)
                    .where(OutboxEntry.dispatched_at.is_(None))  # type: ignore[union-attr]
                    .where(OutboxEntry.created_at <= utcnow() - older_than)
                    .order_by(OutboxEntry.id)  # type: ignore[arg-type]
                    .limit(_RELAY_BATCH)
                )
            ).all()
        sent = await self._enqueue(pending)
        await self._mark_dispatched(sent)
        return len(sent)

    async def _enqueue(self, entries: Sequence[OutboxEntry]) -> list[int]:
        sent: list[int] = []
        for entry in entries:
            try:
                await self._queue.enqueue(entry.job_name, entry.job_args, job_id=entry.job_key)
            except QueueUnavailable as error:
                self._skip_until = time.monotonic() + _BACKOFF_SECONDS
                log.warning("queue_unavailable", error=str(error), pending=len(entries) - len(sent))
                break
            assert entry.id is not None
            sent.append(entry.id)
        return sent

    async def _mark_dispatched(self, entry_ids: list[int]) -> None:
        if not entry_ids:
            return
        async with transaction(self._sessions) as session:
            await session.execute(
                update(OutboxEntry)
                .where(OutboxEntry.id.in_(entry_ids))  # type: ignore[union-attr]
                .values(dispatched_at=utcnow(), attempts=OutboxEntry.attempts + 1)
            )
