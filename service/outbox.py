"""Transactional outbox: jobs are written with the data, and queued only after the commit.

The request queues its entries right after committing and writes nothing more; the job marks its
entry complete when it has run. The relay queues again what stayed incomplete (a crash between
commit and enqueue, a Redis outage) — queues de-duplicate by job id, and every job is idempotent.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import timedelta

import structlog
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from service.db import SessionMaker, transaction
from service.models import OutboxEntry
from service.models.types import utcnow
from service.queue import JobQueue, QueuedJob, QueueUnavailable

log = structlog.get_logger(__name__)

# After a failed enqueue, requests stop trying the queue for this long and leave it to the relay.
_BACKOFF_SECONDS = 5.0
_RELAY_BATCH = 500
# An entry queued but not yet run (a backlog) is not queued again before this.
_REQUEUE_AFTER = timedelta(minutes=5)


def add_job(
    *, session: AsyncSession, job_name: str, args: Sequence[str], job_key: str
) -> OutboxEntry:
    entry = OutboxEntry(job_name=job_name, job_args=list(args), job_key=job_key)
    session.add(entry)
    return entry


async def mark_completed(*, session: AsyncSession, job_key: str) -> None:
    await session.execute(
        update(OutboxEntry)
        .where(col(OutboxEntry.job_key) == job_key, col(OutboxEntry.completed_at).is_(None))
        .values(completed_at=utcnow())
    )


class OutboxDispatcher:
    def __init__(self, *, sessions: SessionMaker, queue: JobQueue) -> None:
        self._sessions = sessions
        self._queue = queue
        self._skip_until = 0.0

    async def dispatch(self, entries: Sequence[OutboxEntry]) -> None:
        """Queue just-committed entries if the queue is up; otherwise the relay will."""
        if time.monotonic() >= self._skip_until:
            await self._enqueue(entries)

    async def relay(self, *, older_than: timedelta = timedelta(seconds=30)) -> int:
        """Queue incomplete entries older than ``older_than``. Returns how many were queued."""
        now = utcnow()
        async with self._sessions() as session:
            pending = (
                await session.scalars(
                    select(OutboxEntry)
                    .where(col(OutboxEntry.completed_at).is_(None))
                    .where(col(OutboxEntry.created_at) <= now - older_than)
                    .where(
                        or_(
                            col(OutboxEntry.relayed_at).is_(None),
                            col(OutboxEntry.relayed_at) <= now - _REQUEUE_AFTER,
                        )
                    )
                    .order_by(col(OutboxEntry.id))
                    .limit(_RELAY_BATCH)
                )
            ).all()
        queued = await self._enqueue(pending)
        await self._mark_relayed(queued)
        return len(queued)

    async def _enqueue(self, entries: Sequence[OutboxEntry]) -> list[int]:
        """All the entries in one call to the queue; on failure none, and the relay retries."""
        if not entries:
            return []
        jobs = [QueuedJob(e.job_name, e.job_args, e.job_key) for e in entries]
        try:
            await self._queue.enqueue_many(jobs)
        except QueueUnavailable as error:
            self._skip_until = time.monotonic() + _BACKOFF_SECONDS
            log.warning("queue_unavailable", error=str(error), left=len(entries))
            return []
        return [entry.id for entry in entries if entry.id is not None]

    async def _mark_relayed(self, entry_ids: list[int]) -> None:
        if not entry_ids:
            return
        async with transaction(self._sessions) as session:
            await session.execute(
                update(OutboxEntry)
                .where(col(OutboxEntry.id).in_(entry_ids))
                .values(relayed_at=utcnow(), relay_count=OutboxEntry.relay_count + 1)
            )
