"""Transactional outbox: jobs are written with the data, and queued only after the commit.

The request queues its entries right after committing and writes nothing more; the job marks its
entry complete when it has run. The relay queues again what stayed incomplete (a crash between
commit and enqueue, a Redis outage) — queues de-duplicate by job id, and every job is idempotent.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

import structlog
from sqlalchemy import Executable, bindparam, event, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlmodel import col

from service.background.backends import JobQueue, QueuedJob, QueueUnavailable
from service.core.db import SessionMaker, among_named, run_built, transaction
from service.models import OutboxEntry
from service.models.types import utcnow

log = structlog.get_logger(__name__)

# After a failed enqueue, requests stop trying the queue for this long and leave it to the relay.
_BACKOFF_SECONDS = 5.0
_RELAY_BATCH = 500
# The relay looks at an incomplete entry again after this. Asking the queue again is cheap: it
# skips a job it still holds (queued or running), and queues one it lost (a Redis restart
# without persistence) — so a lost job waits about this long, not more.
_RECHECK_AFTER = timedelta(minutes=1)
# A job queued again this many times without completing is failing for good: it is left for an
# operator (logged, and still counted by ``tipline_queue_depth``) rather than retried forever.
MAX_REQUEUES = 10


class OutboxJob(Protocol):
    """What queuing needs of an outbox entry: an ``OutboxEntry``, or a row written in bulk."""

    @property
    def job_name(self) -> str: ...

    @property
    def job_args(self) -> list[str]: ...

    @property
    def job_key(self) -> str: ...


@dataclass(frozen=True)
class BulkJob:
    """An outbox row written with a set-based insert: no ORM instance (intake's group commit)."""

    job_name: str
    job_args: list[str]
    job_key: str


def add_job(
    *, session: AsyncSession, job_name: str, args: Sequence[str], job_key: str
) -> OutboxEntry:
    entry = OutboxEntry(job_name=job_name, job_args=list(args), job_key=job_key)
    session.add(entry)
    return entry


async def mark_completed(*, session: AsyncSession, job_key: str) -> None:
    await mark_all_completed(session=session, job_keys=[job_key])


async def mark_all_completed(*, session: AsyncSession, job_keys: Sequence[str]) -> None:
    """Several jobs' entries complete in one statement (a triage batch's, in its transaction)."""
    if job_keys:
        params = {"job_keys": list(job_keys), "completed_now": utcnow()}
        await run_built(session, _completed_statement, params)


@functools.cache
def _completed_statement(postgresql: bool) -> Executable:
    return (
        update(OutboxEntry)
        .where(
            among_named("job_keys", col(OutboxEntry.job_key), postgresql),
            col(OutboxEntry.completed_at).is_(None),
        )
        .values(completed_at=bindparam("completed_now"))
    )


async def complete_job(sessions: SessionMaker, job_key: str | None) -> None:
    """Mark a job's outbox entry complete, in a transaction of its own (the queue's job id is
    the entry's key, on arq and in process alike)."""
    if job_key:
        async with transaction(sessions) as session:
            await mark_completed(session=session, job_key=job_key)


# Jobs a unit of work wrote, to queue right after its commit. Without this the relay would pick
# them up anyway, but only after it waits for stragglers; an officer's question or a chief's
# alert should leave at once. The session's identity map holds flushed rows only weakly, so
# outbox rows are remembered (in ``session.info``) as each flush writes them, whoever added them.
_WRITTEN = "tipline_outbox_written"


def _remember_outbox_rows(session: Session, _flush_context: Any, _instances: Any) -> None:
    written: list[OutboxEntry] = session.info.setdefault(_WRITTEN, [])
    written.extend(row for row in session.new if isinstance(row, OutboxEntry))


def track_written_jobs() -> None:
    """Remember the outbox rows each session flushes (idempotent; called by the composition
    root, so that importing this module changes nothing)."""
    if not event.contains(Session, "before_flush", _remember_outbox_rows):
        event.listen(Session, "before_flush", _remember_outbox_rows)


def jobs_written(session: AsyncSession) -> list[OutboxEntry]:
    """Outbox rows added in this session, flushed or not. Call before the session closes."""
    flushed: list[OutboxEntry] = session.info.get(_WRITTEN, [])
    pending = [row for row in session.new if isinstance(row, OutboxEntry)]
    return [*flushed, *(row for row in pending if row not in flushed)]


class OutboxDispatcher:
    def __init__(self, *, sessions: SessionMaker, queue: JobQueue) -> None:
        self._sessions = sessions
        self._queue = queue
        self._skip_until = 0.0

    async def dispatch(self, entries: Sequence[OutboxJob]) -> None:
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
                            col(OutboxEntry.relayed_at) <= now - _RECHECK_AFTER,
                        )
                    )
                    .where(col(OutboxEntry.relay_count) < MAX_REQUEUES)
                    .order_by(col(OutboxEntry.id))
                    .limit(_RELAY_BATCH)
                )
            ).all()
        queued = await self._enqueue(pending)
        if queued is None:
            return 0
        await self._mark_relayed(checked=pending, queued=queued)
        return len(queued)

    async def _enqueue(self, entries: Sequence[OutboxJob]) -> set[str] | None:
        """All the entries in one call to the queue: the job keys it queued now (it skips those it
        still holds), or None when the queue is down and the relay must try again."""
        if not entries:
            return set()
        jobs = [QueuedJob(e.job_name, e.job_args, e.job_key) for e in entries]
        try:
            return await self._queue.enqueue_many(jobs)
        except QueueUnavailable as error:
            self._skip_until = time.monotonic() + _BACKOFF_SECONDS
            log.warning("queue_unavailable", error=str(error), left=len(entries))
            return None

    async def _mark_relayed(self, *, checked: Sequence[OutboxEntry], queued: set[str]) -> None:
        """Every entry looked at is not looked at again for a while; those queued anew count."""
        if not checked:
            return
        requeued = [entry for entry in checked if entry.job_key in queued]
        async with transaction(self._sessions) as session:
            await session.execute(
                update(OutboxEntry)
                .where(col(OutboxEntry.id).in_([entry.id for entry in checked]))
                .values(relayed_at=utcnow())
            )
            if requeued:
                await session.execute(
                    update(OutboxEntry)
                    .where(col(OutboxEntry.id).in_([entry.id for entry in requeued]))
                    .values(relay_count=OutboxEntry.relay_count + 1)
                )
        for entry in requeued:
            if entry.relay_count + 1 >= MAX_REQUEUES:
                log.error("outbox_entry_given_up", job=entry.job_name, entry_id=entry.id)
