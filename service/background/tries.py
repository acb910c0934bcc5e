"""A job's tries, counted without the runs an outage cost it.

arq counts every run of a job against its ``max_tries``: a run that met a database or Redis
outage (and asked to run again later) or that a stopping worker handed back spends a try like a
run that failed. A 30 s outage then exhausted the triage jobs' five tries ("max retries
exceeded"). So arq's own limit is set ``OUTAGE_RUNS`` higher, a backstop only, and the tries that
count — the runs after which a job itself asked to be retried (a Twilio failure) — are kept here,
in Redis beside arq's own counter, and given to the job as ``ctx["job_try"]``.
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

# With the retry delays capped at 10 s, about an hour and a half of outage; the outbox relay
# queues a job again even past it.
OUTAGE_RUNS = 500
_PREFIX = "tipline:job-tries:"
# arq keeps its own count as long (arq.worker: 88,400 s).
_KEPT_SECONDS = 88_400


class JobTries:
    """The tries one run of a job has spent before it: those after which it asked to retry."""

    def __init__(self, ctx: dict[str, Any]) -> None:
        self._redis: Redis = ctx["redis"]
        self._key = f"{_PREFIX}{ctx['job_id']}"
        self._first_run = int(ctx.get("job_try", 1)) == 1

    async def spent(self) -> int:
        # A first run has spent none; a count left by an earlier job of the same id is stale.
        if self._first_run:
            return 0
        value = await self._redis.get(self._key)
        return int(value or 0)

    async def spend(self, spent: int) -> None:
        """The job asked to be retried: one more try spent."""
        await self._redis.set(self._key, spent + 1, ex=_KEPT_SECONDS)
