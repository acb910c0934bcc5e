"""A worker stopped with SIGTERM in the middle of its jobs stops cleanly, as in a rolling restart.

A real ``tipline worker`` on the test's own Redis and PostgreSQL, fed by a real ``tipline serve``
under a steady load of signed SMS that lasts until the last restart, is sent SIGTERM several
times while jobs run, and replaced each time. Each stop exits 0 with no traceback in its log,
and leaves no job marked as running (what would make it wait for the stale-job sweep, about
70 s): with the default stop wait its jobs finish before it exits, with none they are handed
back at once. Every tip is then triaged within seconds of the last restart.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from redis.asyncio import Redis

from service.settings import Settings
from tests.conftest import make_settings
from tests.reliability.harness import (
    Load,
    ServerProcess,
    WorkerProcess,
    deliver,
    wait_until_triaged,
)
from tests.support.redis import OwnRedisServer

# More than the restarts need on any machine: the load stops once the last worker is ready.
LOAD = 6000
STOPS = 4
# A stop must take no longer than a container runtime waits before SIGKILL (Docker: 10 s).
STOP_BOUND_SECONDS = 10


@pytest.fixture(params=[5.0, 0.0], ids=["jobs-finished", "jobs-handed-back"])
def settings(
    tmp_path: Path, own_database_url: str, own_redis: OwnRedisServer, request: pytest.FixtureRequest
) -> Settings:
    return make_settings(
        tmp_path,
        own_database_url,
        redis_url=own_redis.url,
        sms_bundle_seconds=0,
        worker_stop_seconds=request.param,
    )


async def test_sigterm_during_jobs_exits_0_and_leaves_no_job_marked_running(
    settings: Settings, server: ServerProcess, tmp_path: Path
) -> None:
    redis_url = settings.redis_url
    assert redis_url is not None
    load = Load.of_new_reporters(LOAD, "stop")
    stops: list[Stop] = []
    restarted = asyncio.Event()

    async def rolling_restarts() -> None:
        worker = WorkerProcess(settings, tmp_path)
        worker.start()
        await worker.ready(redis_url)
        for _ in range(STOPS):
            stops.append(await stop_during_jobs(worker, redis_url))
            worker = WorkerProcess(settings, tmp_path)
            worker.start()
            await worker.ready(redis_url)
        stops.append(Stop(worker=worker, running=0, status=None, seconds=0, left_running=0))
        restarted.set()

    delivering = asyncio.create_task(deliver(load, server.url, concurrency=8, until=restarted))
    try:
        await rolling_restarts()
        await delivering
        # Far sooner than the stale-job sweep would hand back a job left marked as running.
        drain = await wait_until_triaged(settings, within=30)
    finally:
        for stop in stops:
            stop.worker.stop()

    stopped = stops[:-1]
    assert 0 < load.done < LOAD, "the load should last until the last restart, then stop"
    assert all(delivery.accepted for delivery in load.deliveries[: load.done])
    assert sum(stop.running for stop in stopped) >= STOPS, "jobs should run at each stop"
    assert [stop.status for stop in stopped] == [0] * STOPS
    assert max(stop.seconds for stop in stopped) < STOP_BOUND_SECONDS
    assert [stop.left_running for stop in stopped] == [0] * STOPS
    for stop in stopped:
        log = stop.worker.logged_text()
        assert "Traceback" not in log
        assert "CancelledError" not in log
    assert drain < 20


class Stop:
    def __init__(
        self,
        *,
        worker: WorkerProcess,
        running: int,
        status: int | None,
        seconds: float,
        left_running: int,
    ) -> None:
        self.worker = worker
        self.running = running
        self.status = status
        self.seconds = seconds
        self.left_running = left_running


async def stop_during_jobs(worker: WorkerProcess, redis_url: str) -> Stop:
    """SIGTERM once jobs are running; how it went."""
    running = await jobs_running(redis_url, at_least=1, within=20)
    started = time.monotonic()
    status = await asyncio.to_thread(worker.terminate, STOP_BOUND_SECONDS * 3)
    seconds = time.monotonic() - started
    left = await jobs_running(redis_url, at_least=0, within=0)
    return Stop(worker=worker, running=running, status=status, seconds=seconds, left_running=left)


async def jobs_running(redis_url: str, *, at_least: int, within: float) -> int:
    """Queued jobs marked as running in Redis (scheduled ones keep their mark on purpose)."""
    redis = Redis.from_url(redis_url)
    try:
        deadline = time.monotonic() + within
        while True:
            keys = [key async for key in redis.scan_iter(match="arq:in-progress:*")]
            running = sum(1 for key in keys if not key.startswith(b"arq:in-progress:cron:"))
            if running >= at_least or time.monotonic() > deadline:
                return running
            await asyncio.sleep(0.005)
    finally:
        await redis.aclose()
