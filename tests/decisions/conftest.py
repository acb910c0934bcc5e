"""A worker's process for the triage tests: they store tips through intake and run triage
themselves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from service.runtime import Runtime
from service.startup import Process, open_process
from tests.conftest import make_settings

# Nothing listens there: intake stores each tip and its outbox entry, and no job runs until the
# test runs triage itself.
_NO_REDIS = "redis://127.0.0.1:9/0"


@pytest.fixture
def join_minutes() -> int:
    """``Settings.duplicate_join_minutes``: a test of the links alone turns joining off."""
    return 30


@pytest.fixture
async def process(tmp_path: Path, database_url: str, join_minutes: int) -> AsyncIterator[Process]:
    settings = make_settings(
        tmp_path, database_url, redis_url=_NO_REDIS, duplicate_join_minutes=join_minutes
    )
    opened = await open_process(settings)
    yield opened
    await opened.close()


@pytest.fixture
def runtime(process: Process) -> Runtime:
    return process.runtime
