"""A job's tries are the runs after which it asked to be retried, not the runs an outage cost it
(arq counts both: ``service.background.tries``). On a Redis server of the test's own."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from arq.worker import Retry
from redis.asyncio import Redis
from sqlalchemy.exc import OperationalError

from service.background.tries import OUTAGE_RUNS
from service.worker import outages_spend_no_tries, worker_functions
from tests.support.redis import OwnRedisServer


@pytest.fixture
def own_redis() -> Iterator[OwnRedisServer]:
    server = OwnRedisServer()
    server.start()
    yield server
    server.stop()


async def test_outage_runs_spend_no_try_and_the_job_sees_only_its_own_retries(
    own_redis: OwnRedisServer,
) -> None:
    seen: list[int] = []
    # Two runs meet an outage, two ask to be retried (a Twilio failure), the last succeeds.
    outcomes: list[BaseException | None] = [
        OperationalError("SELECT 1", {}, ConnectionRefusedError()),
        Retry(defer=30),
        OSError("connection refused"),
        Retry(defer=60),
        None,
    ]

    async def job(ctx: dict[str, Any]) -> str:
        seen.append(ctx["job_try"])
        outcome = outcomes[len(seen) - 1]
        if outcome is not None:
            raise outcome
        return "done"

    run = outages_spend_no_tries("probe", job, max_tries=3)
    redis = Redis.from_url(own_redis.url)
    results: list[object] = []
    try:
        for arq_try in range(1, len(outcomes) + 1):
            ctx = {"redis": redis, "job_id": "probe:1", "job_try": arq_try}
            try:
                results.append(await run(ctx))
            except Retry as retry:
                results.append(retry.defer_score)
    finally:
        await redis.aclose()

    assert seen == [1, 1, 2, 2, 3]
    # Outage runs wait 2 s per run so far (capped at 10 s); the job's own retries their delay.
    assert results == [2_000, 30_000, 6_000, 60_000, "done"]


def test_arq_may_run_a_job_through_a_long_outage() -> None:
    limits = {function.name: function.max_tries for function in worker_functions()}
    assert limits["triage_tip"] == 5 + OUTAGE_RUNS
