"""Fixtures shared by the security tests that need the service as a real process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from service.settings import Settings
from tests.reliability.harness import ServerProcess


@pytest.fixture
async def server(settings: Settings, tmp_path: Path) -> AsyncIterator[ServerProcess]:
    """`tipline serve` on the test's settings, its logs under tmp_path/logs."""
    logs = tmp_path / "logs"
    logs.mkdir()
    process = ServerProcess(settings, logs)
    await process.ready()
    try:
        yield process
    finally:
        process.stop()
