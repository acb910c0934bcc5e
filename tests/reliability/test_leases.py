"""A job left "in progress" by a dead worker is released once its own timeout is long past."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from arq.connections import ArqRedis, RedisSettings, create_pool
from arq.worker import Worker

from service.background.leases import GRACE_SECONDS, job_leases, release_stale_jobs
from service.worker import job_timeouts, worker_settings
from tests.conftest import make_settings
from tests.support.redis import OwnRedisServer

TRIAGE_TIMEOUT = 60.0
LEASES = job_leases([("triage_tip", TRIAGE_TIMEOUT), ("fetch_media", 300.0)])


@pytest.fixture
async def redis(own_redis: OwnRedisServer) -> AsyncIterator[ArqRedis]:
    pool = await create_pool(RedisSettings.from_dsn(own_redis.url))
    yield pool
    await pool.aclose()


async def running_since(redis: ArqRedis, job_id: str, seconds: float) -> None:
    """A triage job as a worker leaves it: queued, and marked in progress ``seconds`` ago."""
    await redis.enqueue_job("triage_tip", "tip", _job_id=job_id)
    remaining = LEASES["job_lease_seconds"] - seconds
    await redis.psetex(f"arq:in-progress:{job_id}", int(remaining * 1000), b"1")


async def test_a_triage_job_past_its_own_timeout_is_released(redis: ArqRedis) -> None:
    await running_since(redis, "stale", TRIAGE_TIMEOUT + GRACE_SECONDS + 5)
    await running_since(redis, "fresh", TRIAGE_TIMEOUT - 5)

    released = await release_stale_jobs({"redis": redis, **LEASES})

    assert released == 1
    assert not await redis.exists("arq:in-progress:stale")
    assert await redis.exists("arq:in-progress:fresh")
    # Still queued: the next poll of a live worker runs it again.
    assert await redis.zscore("arq:queue", "stale") is not None


def test_the_lease_it_assumes_is_the_one_arq_gives(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, "sqlite+aiosqlite://", redis_url="redis://127.0.0.1:1/0")
    options = worker_settings(settings, handle_signals=False)

    worker = Worker(**options)

    assert job_leases(job_timeouts(options))["job_lease_seconds"] == worker.in_progress_timeout_s
