"""Releasing the jobs of a worker that died, once their own timeout is long past.

arq marks a running job "in progress" for the *worker's* longest job timeout plus 10 s, whatever
the job: with media downloads allowed 300 s, a triage job (60 s) left by a killed worker would
wait more than five minutes before another worker may run it. This sweep releases a job once its
own timeout and a grace period have passed — a live worker has cancelled it by then — and the
job, still queued, runs again elsewhere. Every job is idempotent, so a second run is safe.

arq has no public way to release a lease: this sweep is the one place left that knows arq's
storage (its in-progress key prefix), pinned by tests/reliability/test_leases.py. Giving the
long jobs (media, recordings, the Twilio purge) a queue and worker of their own would make arq's
own lease short enough and let it go.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import structlog
from arq.connections import ArqRedis
from arq.constants import in_progress_key_prefix
from arq.jobs import Job

log = structlog.get_logger(__name__)

GRACE_SECONDS = 10.0
# arq's own lease: the longest timeout plus this (arq.worker.Worker.in_progress_timeout_s).
_ARQ_LEASE_MARGIN = 10.0


def job_leases(timeouts: Iterable[tuple[str, float]]) -> dict[str, Any]:
    """What the sweep needs on the worker's ``ctx``: each job's timeout, and arq's lease."""
    by_name = dict(timeouts)
    return {"job_timeouts": by_name, "job_lease_seconds": max(by_name.values()) + _ARQ_LEASE_MARGIN}


async def release_stale_jobs(ctx: dict[str, Any]) -> int:
    redis: ArqRedis = ctx["redis"]
    lease: float = ctx["job_lease_seconds"]
    timeouts: dict[str, float] = ctx["job_timeouts"]
    released = 0
    async for key in redis.scan_iter(match=f"{in_progress_key_prefix}*", count=500):
        job_id = key.decode()[len(in_progress_key_prefix) :]
        remaining_ms = await redis.pttl(key)
        info = await Job(job_id, redis).info()
        if remaining_ms < 0 or info is None:
            continue
        running_for = lease - remaining_ms / 1000
        if running_for > timeouts.get(info.function, lease) + GRACE_SECONDS:
            released += await redis.delete(key)
    if released:
        log.warning("stale_jobs_released", count=released)
    return released
