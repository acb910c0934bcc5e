"""A stop that arrives while arq is starting a job still hands that job back.

arq marks a job as running in Redis (its in-progress key) a round trip before the job has a
task. A stop that ended the worker in that gap left the mark with nothing to clear it: the job
waited for the mark to expire (about 70 s in production) before any worker could run it — the
rarely failing ``test_worker_stop`` under CI load. A slow link to the real Redis widens the gap
so that the stop lands in it every time.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from arq import create_pool
from arq.connections import RedisSettings
from arq.worker import Worker, func
from redis.asyncio import Redis

from service.background.process import stop_in_order
from tests.support.tcp_proxy import TcpProxy

JOB_ID = "stop-gap"
# Each chunk either way waits this long: arq's marking round trip takes twice as much.
LINK_DELAY = 0.1


async def _long_job(ctx: dict[Any, Any]) -> None:
    await asyncio.sleep(60)


@pytest.fixture
def slow_redis(redis_url: str) -> Iterator[tuple[str, TcpProxy]]:
    """The machine's Redis (this test process's database) behind a proxy the test slows."""
    server = urlsplit(redis_url)
    proxy = TcpProxy(server.port or 6379, server.hostname or "127.0.0.1")
    proxy.start()
    try:
        yield f"redis://127.0.0.1:{proxy.port}{server.path}", proxy
    finally:
        proxy.stop()


async def test_a_stop_while_a_job_is_being_marked_hands_it_back(
    redis_url: str, slow_redis: tuple[str, TcpProxy]
) -> None:
    proxied_url, proxy = slow_redis
    queue = await create_pool(RedisSettings.from_dsn(redis_url))
    redis = Redis.from_url(redis_url)
    worker = Worker(
        functions=[func(_long_job, name="long_job")],
        redis_settings=RedisSettings.from_dsn(proxied_url),
        handle_signals=False,
        poll_delay=0.05,
        keep_result=0,
    )
    try:
        proxy.slowed(LINK_DELAY)
        running = asyncio.create_task(worker.async_run())
        await queue.enqueue_job("long_job", _job_id=JOB_ID)
        # The mark is in Redis; its reply is still on the slow link back to the worker.
        await _until_exists(redis, f"arq:in-progress:{JOB_ID}", within=10)
        assert not worker.tasks, "the stop must land before the job has its task"
        await stop_in_order(worker, stop_seconds=0)
        with contextlib.suppress(asyncio.CancelledError):
            await running
        await worker.close()
        assert not await redis.exists(f"arq:in-progress:{JOB_ID}"), "the job's mark was left"
        assert await redis.zscore("arq:queue", JOB_ID) is not None, "the job is still queued"
    finally:
        await queue.aclose()
        await redis.aclose()


async def _until_exists(redis: Redis, key: str, *, within: float) -> None:
    deadline = time.monotonic() + within
    while not await redis.exists(key):
        assert time.monotonic() < deadline, f"{key} never appeared"
        await asyncio.sleep(0.002)
