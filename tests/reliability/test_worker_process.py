"""The ``tipline worker`` process outlives a Redis restart and serves its own metrics."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import httpx
import pytest

from service.antennas import seed_antennas
from service.db import create_engine, create_sessionmaker, transaction
from tests.conftest import make_settings
from tests.support import databases
from tests.support.app import http_client, running_app
from tests.support.inspect import count_rows
from tests.support.redis import OwnRedisServer, _free_port
from tests.support.twilio import signature, sms_form

ROOT = Path(__file__).resolve().parents[2]
PATH = "/channels/sms/twilio"


@pytest.fixture
async def database_url(postgres_url: str | None) -> str:
    """Production's database only: what this test checks is the process, not storage."""
    if postgres_url is None:
        pytest.skip("TIPLINE_TEST_DATABASE_URL is not set (outside CI)")
    await databases.empty_database(postgres_url)
    engine = create_engine(postgres_url)
    async with transaction(create_sessionmaker(engine)) as session:
        await seed_antennas(session=session)
    await engine.dispose()
    return postgres_url


@pytest.fixture
def own_redis() -> Iterator[OwnRedisServer]:
    server = OwnRedisServer()
    server.start()
    yield server
    server.stop()


async def wait_for(condition: Callable[[], Awaitable[bool]], timeout: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if await condition():
            return
        await asyncio.sleep(0.2)
    pytest.fail("timed out")


async def test_the_worker_comes_back_after_redis_restarts(
    tmp_path: Path, database_url: str, own_redis: OwnRedisServer
) -> None:
    settings = make_settings(tmp_path, database_url, redis_url=own_redis.url)
    metrics_port = _free_port()
    env = os.environ | {
        "TIPLINE_DATA_DIR": str(tmp_path),
        "TIPLINE_KEYRING": str(tmp_path / "keyring.json"),
        "TIPLINE_DATABASE_URL": database_url,
        "TIPLINE_REDIS_URL": own_redis.url,
        "TIPLINE_SMS_BUNDLE_SECONDS": "0",
        "TIPLINE_WORKER_METRICS_PORT": str(metrics_port),
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "worker"], cwd=ROOT, env=env, stderr=subprocess.PIPE
    )
    metrics = f"http://127.0.0.1:{metrics_port}/metrics"
    try:

        async def metrics_served() -> bool:
            try:
                async with httpx.AsyncClient() as client:
                    return (await client.get(metrics)).status_code == 200
            except httpx.TransportError:
                return False

        await wait_for(metrics_served)
        own_redis.stop()
        await asyncio.sleep(3)
        assert worker.poll() is None  # still running, waiting for Redis
        own_redis.start()

        async with running_app(settings) as application, http_client(application) as client:
            form = sms_form(sender="+22370000007", body="yamba bɛ feere Kalaban Coura bi su")
            answer = await client.post(
                PATH, data=form, headers={"X-Twilio-Signature": signature(PATH, form)}
            )
        assert answer.status_code == 200

        async def triaged() -> bool:
            return await count_rows(database_url, "triage_decisions") == 1

        await wait_for(triaged)
        async with httpx.AsyncClient() as client:
            exported = (await client.get(metrics)).text
        assert 'tipline_job_duration_seconds_count{job="triage_tip"}' in exported
    finally:
        worker.send_signal(signal.SIGTERM)
        _, errors = worker.communicate(timeout=30)
    assert worker.returncode == 0
    assert b"worker_lost_redis" in errors
