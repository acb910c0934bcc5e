"""Jobs outlast a database outage longer than their tries' backoff, without spending their tries.

Tips stored, their triage jobs queued in Redis, then PostgreSQL refused behind a proxy for longer
than the triage jobs' five tries with their growing delays (2 + 4 + 6 + 8 s) while a real
``tipline worker`` runs them: no job is failed ("max retries exceeded"), and once the database is
back every tip is triaged by the jobs themselves, without waiting for the outbox relay.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from service.core.job_names import JobName
from service.jobs import JOBS
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
from tests.support.tcp_proxy import TcpProxy

TIPS = 40
# Longer than the five tries' delays (20 s) and the runs themselves.
OUTAGE_SECONDS = 30


@pytest.fixture
def settings(tmp_path: Path, proxied_database_url: str, own_redis: OwnRedisServer) -> Settings:
    return make_settings(
        tmp_path, proxied_database_url, redis_url=own_redis.url, sms_bundle_seconds=0
    )


async def test_jobs_wait_out_a_database_outage_without_spending_their_tries(
    settings: Settings, server: ServerProcess, postgres_proxy: TcpProxy, tmp_path: Path
) -> None:
    assert settings.redis_url is not None
    load = Load.of_new_reporters(TIPS, "outage-retries")
    await deliver(load, server.url, concurrency=4)
    assert all(delivery.accepted for delivery in load.deliveries)
    postgres_proxy.refusing()
    worker = WorkerProcess(settings, tmp_path)
    worker.start()
    try:
        await worker.ready(settings.redis_url)
        outage_started = time.monotonic()
        await asyncio.sleep(OUTAGE_SECONDS)
        postgres_proxy.passing()
        back = time.monotonic()
        # Well before the relay would queue failed jobs again (entries 30 s old, every 10 s).
        await wait_until_triaged(settings, within=30)
        triaged_after = time.monotonic() - back
        retries = worker.logged_text().count("retrying job in")
        failed = worker.logged_text().count("max retries")
    finally:
        worker.stop()

    assert back - outage_started >= OUTAGE_SECONDS
    assert JOBS[JobName.TRIAGE_TIP].max_tries == 5
    assert retries > 5, "the triage jobs should have met the outage several times"
    assert failed == 0, f"{failed} jobs were failed by the outage"
    assert worker.logged("job_tries_exhausted") == 0
    assert triaged_after < 20
