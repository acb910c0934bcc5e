"""Faults under load, nothing lost: 1,000 signed SMS while Redis, PostgreSQL or a worker fails.

Real servers on loopback: ``tipline serve`` and ``tipline worker`` as subprocesses, and a
PostgreSQL cluster and a Redis of the test's own (never the machine's, which other tests share).
After each run: every webhook answered 2xx has exactly one tip, under the reference it was
answered; every tip has exactly one triage decision; a webhook answered 5xx left nothing behind,
and Twilio's retry of it is then stored once.
"""

from __future__ import annotations

import asyncio
import io
import logging
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from redis.asyncio import Redis

from service.settings import Settings
from tests.conftest import make_settings
from tests.reliability.harness import (
    Delivery,
    Load,
    ServerProcess,
    WorkerProcess,
    decisions_per_tip,
    deliver,
    sid_key,
    spool_files,
    stored_references,
    wait_until_spool_replayed,
    wait_until_triaged,
    when_done,
    wrong_references,
)
from tests.support.inspect import count_rows
from tests.support.postgres_server import OwnPostgresServer
from tests.support.redis import OwnRedisServer

LOAD = 1_000
CONCURRENCY = 16
OUTAGE_SECONDS = 1.5
log = logging.getLogger("tests.reliability.faults")

Figures = Callable[[str, object], None]


@pytest.fixture
def settings(
    tmp_path: Path, own_database_url: str, own_redis: OwnRedisServer, captured_logs: io.StringIO
) -> Settings:
    # Triage at once (no SMS bundling window), the spool replayed twice a second.
    return make_settings(
        tmp_path,
        own_database_url,
        redis_url=own_redis.url,
        sms_bundle_seconds=0,
        spool_replay_seconds=0.5,
    )


@pytest.fixture
async def worker(settings: Settings, tmp_path: Path) -> AsyncIterator[WorkerProcess]:
    """A worker already polling when the load starts."""
    assert settings.redis_url is not None
    process = WorkerProcess(settings, tmp_path)
    process.start()
    try:
        await process.ready(settings.redis_url)
        yield process
    finally:
        process.stop()


async def test_a_redis_outage_under_load_loses_nothing(
    settings: Settings,
    own_redis: OwnRedisServer,
    server: ServerProcess,
    worker: WorkerProcess,
    record_property: Figures,
) -> None:
    load = Load.of_new_reporters(LOAD, "redis")

    async def redis_down() -> None:
        await asyncio.to_thread(own_redis.stop)

    async def redis_up() -> None:
        await asyncio.to_thread(own_redis.start)

    await asyncio.gather(
        deliver(load, server.url, concurrency=CONCURRENCY),
        when_done(load, 200, redis_down),
        when_done(load, 500, redis_up),
    )
    retried = await settle(settings, load, server)
    # The worker process outlived the outage: it started a fresh arq worker, whose start-up
    # relayed what the outage left pending.
    assert worker.alive
    drain = await wait_until_triaged(settings, within=90)

    await assert_nothing_lost(settings, load, retried)
    report(record_property, "redis", load, retried, drain, workers_started=worker.started)


async def test_a_postgresql_restart_under_load_loses_nothing(
    settings: Settings,
    own_postgres: OwnPostgresServer,
    server: ServerProcess,
    worker: WorkerProcess,
    record_property: Figures,
) -> None:
    load = Load.of_new_reporters(LOAD, "postgres")
    outage = Outage()

    await asyncio.gather(
        deliver(load, server.url, concurrency=CONCURRENCY),
        when_done(load, 300, lambda: outage.of(own_postgres)),
    )
    retried = await settle(settings, load, server)
    drain = await wait_until_triaged(settings, within=90)

    spooled = server.logged("message_spooled")
    assert outage.seconds >= OUTAGE_SECONDS
    assert spooled > 0, "the outage should have sent some webhooks to the spool"
    await assert_nothing_lost(settings, load, retried)
    report(record_property, "postgres", load, retried, drain, spooled=spooled)


async def test_a_postgresql_restart_with_no_spool_answers_5xx_that_leave_nothing_behind(
    settings: Settings,
    own_postgres: OwnPostgresServer,
    tmp_path: Path,
    worker: WorkerProcess,
    record_property: Figures,
) -> None:
    # The spool directory cannot be created: during the outage intake has nowhere to keep tips.
    (settings.data_dir / "spool").write_text("not a directory")
    server = ServerProcess(settings, tmp_path)
    await server.ready()
    load = Load.of_new_reporters(LOAD, "postgres-no-spool")
    outage = Outage()
    try:
        await asyncio.gather(
            deliver(load, server.url, concurrency=CONCURRENCY),
            when_done(load, 300, lambda: outage.of(own_postgres)),
        )
        refused = [d for d in load.deliveries if not d.accepted]
        retried = await settle(settings, load, server)
        drain = await wait_until_triaged(settings, within=90)
    finally:
        server.stop()

    assert refused, "the outage should have refused some webhooks"
    assert {d.status for d in refused} <= {503, None}
    await assert_nothing_lost(settings, load, retried)
    report(record_property, "postgres-no-spool", load, retried, drain)


async def test_a_worker_killed_mid_job_loses_nothing(
    settings: Settings, server: ServerProcess, worker: WorkerProcess, record_property: Figures
) -> None:
    load = Load.of_new_reporters(LOAD, "worker")
    running_when_killed: list[int] = []

    async def kill_and_replace() -> None:
        running_when_killed.append(await jobs_in_progress(settings, within=10))
        worker.kill()
        worker.start()

    await asyncio.gather(
        deliver(load, server.url, concurrency=CONCURRENCY),
        when_done(load, 100, kill_and_replace),
    )
    retried = await settle(settings, load, server)
    # The killed worker's jobs wait for their lease to run out (longest job timeout + 10 s).
    drain = await wait_until_triaged(settings, within=100)

    assert running_when_killed[0] >= 1, "the worker should have been killed in the middle of jobs"
    await assert_nothing_lost(settings, load, retried)
    report(record_property, "worker", load, retried, drain, jobs_running=running_when_killed[0])


class Outage:
    """PostgreSQL stopped (fast shutdown), left down a moment, started again."""

    def __init__(self) -> None:
        self.seconds = 0.0

    async def of(self, server: OwnPostgresServer) -> None:
        started = time.monotonic()
        await asyncio.to_thread(server.stop)
        await asyncio.sleep(OUTAGE_SECONDS)
        await asyncio.to_thread(server.start)
        self.seconds = time.monotonic() - started


async def settle(settings: Settings, load: Load, server: ServerProcess) -> list[Delivery]:
    """Once the fault is over: the spool replayed, then what was refused retried as Twilio would
    (a connection override or the fallback URL) — after checking it left nothing behind."""
    await wait_until_spool_replayed(settings, within=30)
    refused = [delivery for delivery in load.deliveries if not delivery.accepted]
    stored, key = await stored_references(settings), sid_key(settings)
    half_written = [delivery.sid for delivery in refused if key(delivery.sid) in stored]
    assert half_written == [], "a refused webhook left a message behind"
    retry = Load([Delivery(delivery.form) for delivery in refused])
    await deliver(retry, server.url, concurrency=CONCURRENCY)
    return retry.deliveries


async def assert_nothing_lost(settings: Settings, load: Load, retried: list[Delivery]) -> None:
    url = settings.resolved_database_url
    assert all(delivery.accepted for delivery in retried), "a Twilio retry was refused"
    answered = [d for d in load.deliveries if d.accepted] + retried
    assert len(answered) == LOAD
    wrong = await wrong_references(settings, answered)
    assert wrong == [], f"{len(wrong)} answered webhooks without exactly one tip of their reference"
    assert len(await stored_references(settings)) == LOAD
    decisions = await decisions_per_tip(url)
    assert len(decisions) == LOAD, "a tip exists that no answer mentions"
    assert set(decisions.values()) == {1}, "a tip was triaged more than once, or never"
    assert await count_rows(url, "reporters") == LOAD
    assert [path for path in spool_files(settings) if path.stat().st_size] == []


async def jobs_in_progress(settings: Settings, *, within: float) -> int:
    """How many arq jobs are running right now, waiting (bounded) until at least one is."""
    assert settings.redis_url is not None
    redis = Redis.from_url(settings.redis_url)
    try:
        deadline = time.monotonic() + within
        while True:
            running = len(await redis.keys("arq:in-progress:*"))
            if running or time.monotonic() > deadline:
                return running
            await asyncio.sleep(0.005)
    finally:
        await redis.aclose()


def report(
    record_property: Figures,
    scenario: str,
    load: Load,
    retried: list[Delivery],
    drain: float,
    **extra: object,
) -> None:
    """The figures, in the JUnit report (``--junitxml``) and the log."""
    figures: dict[str, object] = {
        "answers": load.summary(),
        "load_seconds": round(load.seconds, 1),
        "webhooks_per_second": round(LOAD / load.seconds),
        "retried": len(retried),
        "drain_seconds": round(drain, 1),
        **extra,
    }
    record_property(scenario, figures)
    log.warning("fault %s: %s", scenario, figures)
