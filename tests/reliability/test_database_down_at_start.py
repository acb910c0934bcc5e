"""Processes that start while PostgreSQL is down, and come right on their own.

The database is behind a proxy the test controls: refusing connections (the server is down) or
answering as PostgreSQL does while it starts (FATAL 57P03). Two ``tipline serve`` sharing a data
directory start, say they are not ready, spool webhooks, and once the database answers finish
their start (the default antennas) and store what they spooled under the references given. A
worker starts too, says in one warning line per scheduled run that the database is unreachable,
never that it lost Redis, and triages once the database is back. Every line they write is JSON.
"""

from __future__ import annotations

import asyncio
import functools
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest

from service.settings import Settings
from tests.conftest import make_settings
from tests.reliability.harness import (
    Load,
    ServerProcess,
    WorkerProcess,
    decisions_per_tip,
    deliver,
    sid_key,
    stored_references,
    wait_until_spool_replayed,
)
from tests.support.inspect import count_rows
from tests.support.postgres_server import OwnPostgresServer
from tests.support.redis import OwnRedisServer
from tests.support.tcp_proxy import TcpProxy

DEFAULT_ANTENNAS = 14


@pytest.fixture
def settings(
    tmp_path: Path,
    own_postgres: OwnPostgresServer,
    postgres_proxy: TcpProxy,
    own_redis: OwnRedisServer,
) -> Settings:
    # Migrated, but without the antennas the first start adds.
    name = own_postgres.create_database(f"tipline_start_{time.monotonic_ns() % 10**9}")
    return make_settings(
        tmp_path,
        postgres_proxy.url(name.rsplit("/", 1)[1]),
        redis_url=own_redis.url,
        sms_bundle_seconds=0,
        spool_replay_seconds=0.5,
    )


async def test_apis_started_with_the_database_down_spool_then_finish_their_start(
    settings: Settings, postgres_proxy: TcpProxy, tmp_path: Path
) -> None:
    servers = [ServerProcess(settings, tmp_path) for _ in range(2)]
    try:
        postgres_proxy.refusing()
        await servers[0].ready(within=60)
        postgres_proxy.starting_up()
        await servers[1].ready(within=60)
        not_ready = [await readiness(server) for server in servers]
        loads = [Load.of_new_reporters(10, f"down-{index}") for index in range(2)]
        for index, load in enumerate(loads):
            for n, delivery in enumerate(load.deliveries):
                delivery.form["From"] = f"+2237{index}8{n:05d}"
        await asyncio.gather(
            *(
                deliver(load, server.url, concurrency=4)
                for load, server in zip(loads, servers, strict=True)
            )
        )
        postgres_proxy.passing()
        for server in servers:
            await eventually(functools.partial(is_ready, server), within=60)
        await wait_until_spool_replayed(settings, within=60)
    finally:
        for server in servers:
            server.stop()

    assert not_ready == [(503, False), (503, False)]
    answered = [delivery for load in loads for delivery in load.deliveries]
    assert all(delivery.accepted and delivery.reference for delivery in answered)
    stored, key = await stored_references(settings), sid_key(settings)
    assert {key(d.sid): [d.reference] for d in answered} == stored
    assert await count_rows(settings.resolved_database_url, "antennas") == DEFAULT_ANTENNAS
    for server in servers:
        assert_json_lines_only(server)


async def test_a_worker_starts_while_postgresql_starts_up_and_recovers_on_its_own(
    settings: Settings, postgres_proxy: TcpProxy, tmp_path: Path
) -> None:
    assert settings.redis_url is not None
    worker = WorkerProcess(settings, tmp_path)
    postgres_proxy.starting_up()
    worker.start()
    try:
        await worker.ready(settings.redis_url, within=60)
        postgres_proxy.refusing()
        # The outbox relay runs every ten seconds: it meets the outage at least once.
        await eventually(functools.partial(logged_soon, worker, "scheduled_job_skipped"), within=60)
        assert worker.alive
        postgres_proxy.passing()
        server = ServerProcess(settings, tmp_path)
        try:
            await server.ready(within=60)
            load = Load.of_new_reporters(3, "worker-start")
            await deliver(load, server.url, concurrency=3)
        finally:
            server.stop()
        await eventually(functools.partial(all_triaged, settings, 3), within=90)
        assert worker.alive
    finally:
        worker.stop()

    assert all(delivery.accepted for delivery in load.deliveries)
    assert worker.logged("database_unreachable_at_start") == 1
    assert worker.logged("worker_lost_redis") == 0
    lines = assert_json_lines_only(worker)
    skipped = [line for line in lines if line["event"] == "scheduled_job_skipped"]
    assert skipped
    assert {line["level"] for line in skipped} == {"warning"}
    # One concise line per failed run: no error, no traceback.
    assert [line["event"] for line in lines if line["level"] in ("error", "critical")] == []
    assert not any("exception" in line for line in lines)
    # Job ids (cron:relay_outbox:<time>, triage_tip:<uuid>…) are not taken for phone numbers.
    assert not any("masqué" in json.dumps(line) for line in lines)


# Helpers ----------------------------------------------------------------------------------------


async def readiness(server: ServerProcess) -> tuple[int, bool]:
    async with httpx.AsyncClient(base_url=server.url, timeout=15) as client:
        answer = await client.get("/readyz")
    return answer.status_code, bool(answer.json()["checks"]["database"])


async def is_ready(server: ServerProcess) -> bool:
    return (await readiness(server))[0] == 200


async def logged_soon(process: WorkerProcess, event: str) -> bool:
    return process.logged(event) > 0


async def all_triaged(settings: Settings, count: int) -> bool:
    decisions = await decisions_per_tip(settings.resolved_database_url)
    return len(decisions) == count and min(decisions.values()) >= 1


async def eventually(condition: Callable[[], Awaitable[bool]], *, within: float) -> None:
    deadline = time.monotonic() + within
    while not await condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {within} s")
        await asyncio.sleep(0.5)


def assert_json_lines_only(process: WorkerProcess | ServerProcess) -> list[dict[str, object]]:
    """Every line of every start of the process, each a JSON object."""
    lines: list[dict[str, object]] = []
    for start in range(1, process.started + 1):
        for text in process.log_path(start).read_text(errors="replace").splitlines():
            if text.strip():
                try:
                    lines.append(json.loads(text))
                except json.JSONDecodeError:
                    pytest.fail(f"not a JSON line: {text[:200]}")
    return lines
