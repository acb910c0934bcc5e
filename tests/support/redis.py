"""Redis for queue tests: the machine's server from ``TIPLINE_TEST_REDIS_URL``, or one we own.

A server of our own (on a free loopback port) is what lets a test stop Redis and start it again.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from typing import Any

import pytest
from arq.worker import Worker
from redis import Redis
from redis.exceptions import RedisError

from service.settings import Settings
from service.worker import worker_settings


def redis_test_url() -> str | None:
    """The machine's Redis; a database of its own per parallel test worker (pytest-xdist)."""
    url = os.environ.get("TIPLINE_TEST_REDIS_URL")
    if url is None:
        if os.environ.get("CI"):
            pytest.fail("CI must set TIPLINE_TEST_REDIS_URL: Redis tests may not be skipped")
        return None
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return url
    base, _, database = url.rpartition("/")
    # Redis has 16 databases unless configured otherwise: wrap rather than ask for a 17th.
    return f"{base}/{(int(database or 0) + 1 + int(worker[2:])) % 16}"


class OwnRedisServer:
    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed")
        self._binary = binary
        self.port = _free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [self._binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no"]
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if Redis.from_url(self.url, socket_connect_timeout=0.2).ping():
                    return
            except (OSError, RedisError):  # still starting
                pass
            time.sleep(0.05)
        pytest.fail("redis-server did not start")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None


async def run_burst_worker(settings: Settings, **overrides: Any) -> Worker:
    """A real arq worker that drains the queue and returns."""
    worker = Worker(**worker_settings(settings, burst=True, handle_signals=False, **overrides))
    try:
        await worker.main()
    finally:
        await worker.close()
    return worker


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
