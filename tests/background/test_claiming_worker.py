"""The worker that claims and reads a poll's jobs in one Redis call and finishes them together:
each job runs once, and retries, failures, timeouts and tries are counted as arq counts them."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from arq import create_pool
from arq.connections import RedisSettings
from arq.worker import Function, Retry, func
from redis.asyncio import Redis

from service.background.claiming_worker import ClaimingWorker


async def enqueue(redis_url: str, jobs: list[tuple[str, int]]) -> None:
    pool = await create_pool(RedisSettings.from_dsn(redis_url))
    for name, n in jobs:
        await pool.enqueue_job(name, n, _job_id=f"{name}:{n}")
    await pool.aclose()


async def drain(redis_url: str, functions: list[Function], **options: Any) -> ClaimingWorker:
    worker = ClaimingWorker(
        functions=functions,
        redis_settings=RedisSettings.from_dsn(redis_url),
        burst=True,
        poll_delay=0.01,
        handle_signals=False,
        keep_result=0,
        **options,
    )
    try:
        await worker.main()
    finally:
        await worker.close()
    return worker


async def leftover_keys(redis_url: str) -> list[bytes]:
    """arq's keys left once the queue is drained: none but the worker's health check."""
    redis = Redis.from_url(redis_url)
    try:
        keys = await redis.keys("arq:*")
    finally:
        await redis.aclose()
    return sorted(key for key in keys if not key.endswith(b"health-check"))


async def test_two_claiming_workers_run_each_job_once(redis_url: str) -> None:
    runs: Counter[int] = Counter()

    async def count(ctx: dict[Any, Any], n: int) -> None:
        runs[n] += 1
        await asyncio.sleep(0.01)

    await enqueue(redis_url, [("count", n) for n in range(100)])
    workers = await asyncio.gather(
        *(drain(redis_url, [func(count, name="count")], max_jobs=30) for _ in range(2))
    )

    assert runs == dict.fromkeys(range(100), 1)
    assert all(worker.jobs_complete > 0 for worker in workers)  # both took a share
    assert await leftover_keys(redis_url) == []


async def test_retries_failures_and_timeouts_end_as_with_arq(redis_url: str) -> None:
    tries: dict[str, list[int]] = {"flaky": [], "broken": [], "slow": [], "stubborn": []}

    async def flaky(ctx: dict[Any, Any], n: int) -> str:
        tries["flaky"].append(ctx["job_try"])
        if ctx["job_try"] < 3:
            raise Retry(defer=0)
        return "done"

    async def broken(ctx: dict[Any, Any], n: int) -> None:
        tries["broken"].append(ctx["job_try"])
        raise ValueError("a bug")

    async def slow(ctx: dict[Any, Any], n: int) -> None:
        tries["slow"].append(ctx["job_try"])
        await asyncio.sleep(5)

    async def stubborn(ctx: dict[Any, Any], n: int) -> None:
        tries["stubborn"].append(ctx["job_try"])
        raise Retry(defer=0)

    await enqueue(redis_url, [("flaky", 1), ("broken", 1), ("slow", 1), ("stubborn", 1)])
    worker = await drain(
        redis_url,
        [
            func(flaky, name="flaky"),
            func(broken, name="broken"),
            func(slow, name="slow", timeout=0.1),
            func(stubborn, name="stubborn", max_tries=2),
        ],
    )

    # Retried with the try counted once per run; a failure or a timeout is not retried; past its
    # tries a job is failed by arq's own run_job, without running again.
    assert tries == {"flaky": [1, 2, 3], "broken": [1], "slow": [1], "stubborn": [1, 2]}
    assert (worker.jobs_complete, worker.jobs_failed, worker.jobs_retried) == (1, 3, 4)
    assert await leftover_keys(redis_url) == []


async def test_jobs_left_to_arq_count_their_try_once(redis_url: str) -> None:
    """With a start hook every job goes through arq's own run_job: the try the claim counted is
    taken back first, or each run would count two."""
    tries: list[int] = []
    started: list[str] = []

    async def flaky(ctx: dict[Any, Any], n: int) -> None:
        tries.append(ctx["job_try"])
        if ctx["job_try"] < 2:
            raise Retry(defer=0)

    async def on_job_start(ctx: dict[Any, Any]) -> None:
        started.append(ctx["job_id"])

    await enqueue(redis_url, [("flaky", 1)])
    worker = await drain(redis_url, [func(flaky, name="flaky")], on_job_start=on_job_start)

    assert tries == [1, 2]
    assert started == ["flaky:1", "flaky:1"]
    assert worker.jobs_complete == 1
    assert await leftover_keys(redis_url) == []


async def test_an_expired_job_fails_without_running(redis_url: str) -> None:
    ran: list[int] = []

    async def noted(ctx: dict[Any, Any], n: int) -> None:
        ran.append(n)

    await enqueue(redis_url, [("noted", 1), ("noted", 2)])
    redis = Redis.from_url(redis_url)
    await redis.delete("arq:job:noted:1")  # its definition expired, its queue entry did not
    await redis.aclose()
    worker = await drain(redis_url, [func(noted, name="noted")])

    assert ran == [2]
    assert (worker.jobs_complete, worker.jobs_failed) == (1, 1)
    assert await leftover_keys(redis_url) == []
