"""Job queues: arq on Redis in production, an in-process queue in embedded mode.

Both are at-least-once (the outbox re-sends), so every job is idempotent and keyed by a job id.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import structlog
from arq.connections import ArqRedis
from arq.worker import Retry
from redis.asyncio import ConnectionPool
from redis.exceptions import RedisError

log = structlog.get_logger(__name__)

# A job asking to be retried more often than this in-process is given up (arq has max_tries).
_IN_PROCESS_MAX_TRIES = 25

JobFunction = Callable[..., Coroutine[Any, Any, Any]]


@dataclass(frozen=True)
class QueuedJob:
    name: str
    args: Sequence[str]
    job_id: str


# Jobs queued at once by one call: arq's enqueue_job is a short WATCH/MULTI transaction each, and a
# stored batch queues its triage and one erase per text.
_ENQUEUE_CONCURRENCY = 16


class QueueUnavailable(Exception):
    """The queue could not take the job; the outbox keeps it for the relay."""


class JobQueue(Protocol):
    async def enqueue(self, job_name: str, args: Sequence[str], *, job_id: str) -> None: ...

    async def enqueue_many(self, jobs: Sequence[QueuedJob]) -> set[str]:
        """The ids of the jobs queued now (not those the queue already held).

        On ``QueueUnavailable`` the outbox keeps them all for the relay, which skips those that
        were queued before the error."""

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...


class ArqQueue:
    def __init__(self, redis_url: str) -> None:
        # Short timeouts: while Redis is down, intake must still answer fast.
        pool = ConnectionPool.from_url(redis_url, socket_connect_timeout=1, socket_timeout=2)
        self.redis = ArqRedis(connection_pool=pool)

    async def enqueue(self, job_name: str, args: Sequence[str], *, job_id: str) -> None:
        await self.enqueue_many([QueuedJob(job_name, args, job_id)])

    async def enqueue_many(self, jobs: Sequence[QueuedJob]) -> set[str]:
        slots = asyncio.Semaphore(_ENQUEUE_CONCURRENCY)

        async def enqueue(job: QueuedJob) -> str | None:
            async with slots:
                # None: arq already holds this job id (queued or running), nothing to do.
                queued = await self.redis.enqueue_job(job.name, *job.args, _job_id=job.job_id)
            return job.job_id if queued is not None else None

        try:
            queued = await asyncio.gather(*(enqueue(job) for job in jobs))
        except (RedisError, OSError, TimeoutError) as error:
            raise QueueUnavailable(type(error).__name__) from error
        return {job_id for job_id in queued if job_id is not None}

    async def ping(self) -> bool:
        try:
            return bool(await self.redis.ping())
        except (RedisError, OSError, TimeoutError):
            return False

    async def close(self) -> None:
        await self.redis.aclose()


class InProcessQueue:
    """Runs the same job functions in this process, for a single machine with no Redis."""

    def __init__(self, functions: Mapping[str, JobFunction], ctx: dict[str, Any]) -> None:
        self._functions = functions
        self._ctx = ctx
        self._pending: asyncio.Queue[tuple[str, tuple[str, ...], str]] = asyncio.Queue()
        self._queued_ids: set[str] = set()
        self._runner: asyncio.Task[None] | None = None
        # Jobs that raised arq's Retry: their try number, and the timers that re-queue them.
        self._tries: dict[str, int] = {}
        self._deferred: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        self._runner = asyncio.create_task(self._run(), name="in-process-queue")

    async def enqueue_many(self, jobs: Sequence[QueuedJob]) -> set[str]:
        queued = {job.job_id for job in jobs if job.job_id not in self._queued_ids}
        for job in jobs:
            await self.enqueue(job.name, job.args, job_id=job.job_id)
        return queued

    async def enqueue(self, job_name: str, args: Sequence[str], *, job_id: str) -> None:
        if job_id in self._queued_ids:
            return
        self._queued_ids.add(job_id)
        self._pending.put_nowait((job_name, tuple(args), job_id))

    async def ping(self) -> bool:
        return self._runner is not None and not self._runner.done()

    async def join(self) -> None:
        """Wait until every job queued for now has run (tests and shutdown).

        Jobs deferred by ``Retry`` run later and are not waited for.
        """
        await self._pending.join()

    async def close(self) -> None:
        for timer in self._deferred:
            timer.cancel()
        if self._runner is not None:
            self._runner.cancel()
            await asyncio.gather(self._runner, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            job_name, args, job_id = await self._pending.get()
            retry = None
            try:
                retry = await self._run_one(job_name, args, job_id)
            finally:
                if retry is None:
                    self._queued_ids.discard(job_id)
                    self._tries.pop(job_id, None)
                self._pending.task_done()
            if retry is not None:
                self._defer(job_name, args, job_id, retry)

    async def _run_one(self, job_name: str, args: tuple[str, ...], job_id: str) -> Retry | None:
        """Run a job; the ``Retry`` it raised, if it asked to run again later like on arq."""
        job_try = self._tries.get(job_id, 1)
        ctx = {**self._ctx, "job_id": job_id, "job_try": job_try}
        try:
            await self._functions[job_name](ctx, *args)
        except Retry as retry:
            if job_try < _IN_PROCESS_MAX_TRIES:
                return retry
            log.warning("job_gave_up", job=job_name, job_id=job_id, tries=job_try)
        except Exception:
            log.exception("job_failed", job=job_name, job_id=job_id)
        return None

    def _defer(self, job_name: str, args: tuple[str, ...], job_id: str, retry: Retry) -> None:
        self._tries[job_id] = self._tries.get(job_id, 1) + 1
        delay = (retry.defer_score or 0) / 1000

        async def requeue() -> None:
            await asyncio.sleep(delay)
            self._pending.put_nowait((job_name, args, job_id))

        timer = asyncio.create_task(requeue())
        self._deferred.add(timer)
        timer.add_done_callback(self._deferred.discard)
