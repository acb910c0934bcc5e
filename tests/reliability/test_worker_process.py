"""The ``tipline worker`` process outlives a Redis restart and serves its own metrics."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest

from tests.conftest import make_settings
from tests.support.app import http_client, running_app
from tests.support.inspect import count_rows
from tests.support.redis import OwnRedisServer, _free_port
from tests.support.twilio import signature, sms_form

ROOT = Path(__file__).resolve().parents[2]
PATH = "/channels/sms/twilio"


async def wait_for(condition: Callable[[], Awaitable[bool]], timeout: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if await condition():
            return
        await asyncio.sleep(0.2)
    pytest.fail("timed out")


async def test_the_worker_comes_back_after_redis_restarts(
    tmp_path: Path, own_database_url: str, own_redis: OwnRedisServer
) -> None:
    database_url = own_database_url
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
