"""Job queues: arq on Redis in production, an in-process queue in embedded mode.

Both are at-least-once (the outbox re-sends), so every job is idempotent and keyed by a job id.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol

import structlog
from arq.connections import ArqRedis
from redis.asyncio import ConnectionPool
from redis.exceptions import RedisError

log = structlog.get_logger(__name__)

JobFunction = Callable[..., Awaitable[Any]]


class QueueUnavailable(Exception):
    """The queue could not take the job; the outbox keeps it for the relay."""


class JobQueue(Protocol):
    async def enqueue(self, job_name: str, args: Sequence[str], *, job_id: str) -> None: ...

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...


class ArqQueue:
    def __init__(self, redis_url: str) -> None:
        # Short timeouts: while Redis is down, intake must still answer fast.
        pool = ConnectionPool.from_url(redis_url, socket_connect_timeout=1, socket_timeout=2)
        self.redis = ArqRedis(connection_pool=pool)

    async def enqueue(self, job_name: str, args: Sequence[str], *, job_id: str) -> None:
        try:
            # None means arq already holds this job id (queued, running or done): nothing to do.
            await self.redis.enqueue_job(job_name, *args, _job_id=job_id)
        except (RedisError, OSError, TimeoutError) as error:
            raise QueueUnavailable(type(error).__name__) from error

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

    def start(self) -> None:
        self._runner = asyncio.create_task(self._run(), name="in-process-queue")

    async def enqueue(self, job_name: str, args: Sequence[str], *, job_id: str) -> None:
        if job_id in self._queued_ids:
            return
        self._queued_ids.add(job_id)
        self._pending.put_nowait((job_name, tuple(args), job_id))

    async def ping(self) -> bool:
        return self._runner is not None and not self._runner.done()

    async def join(self) -> None:
        """Wait until every queued job has run (tests and shutdown)."""
        await self._pending.join()

    async def close(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            await asyncio.gather(self._runner, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            job_name, args, job_id = await self._pending.get()
            try:
                await self._run_one(job_name, args, job_id)
            finally:
                self._queued_ids.discard(job_id)
                self._pending.task_done()

    async def _run_one(self, job_name: str, args: tuple[str, ...], job_id: str) -> None:
        try:
            await self._functions[job_name]({**self._ctx, "job_id": job_id}, *args)
        except Exception:
            log.exception("job_failed", job=job_name, job_id=job_id)
